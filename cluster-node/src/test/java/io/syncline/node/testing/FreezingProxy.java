package io.syncline.node.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP proxy that can make its open connections half-open: {@link #freeze()} stops forwarding
 * on every connection open now, in both directions, without closing anything (as a network that
 * drops packets does: no FIN, no RST, the peers never learn), while connections made afterwards
 * work normally. For the fault tests of idle-connection detection. Two threads per connection copy
 * the bytes; a frozen copier waits until {@link #close()}.
 */
public final class FreezingProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);

  /** One proxied connection: both sockets, and whether it is frozen. */
  private final class Link {
    final Socket client;
    final Socket upstream;
    volatile boolean frozen;

    Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void pump(InputStream from, OutputStream to) {
      byte[] buffer = new byte[16 * 1024];
      try {
        int n;
        while ((n = from.read(buffer)) >= 0) {
          if (frozen) {
            closed.await(); // the bytes read are dropped and nothing more is read: the peer's sends stall
            return;
          }
          to.write(buffer, 0, n);
          to.flush();
        }
        if (!frozen) {
          closeQuietly(client);
          closeQuietly(upstream);
        }
      } catch (IOException e) {
        if (!frozen) {
          closeQuietly(client);
          closeQuietly(upstream);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private FreezingProxy(ServerSocket server, String targetHost, int targetPort) {
    this.server = server;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  /** Listens on a free port of the loopback interface and forwards to {@code targetHost:targetPort}. */
  public static FreezingProxy start(String targetHost, int targetPort) throws IOException {
    FreezingProxy proxy = new FreezingProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), targetHost,
        targetPort);
    Thread accept = new Thread(proxy::acceptLoop, "freezing-proxy-accept");
    accept.setDaemon(true);
    accept.start();
    return proxy;
  }

  public int port() {
    return server.getLocalPort();
  }

  /**
   * Stops forwarding on every connection open now, closing none; later connections are not
   * affected. Returns how many connections this froze.
   */
  public int freeze() {
    int n = 0;
    for (Link l : links) {
      if (!l.frozen) {
        l.frozen = true;
        n++;
      }
    }
    return n;
  }

  /** Connections accepted so far (frozen or not). */
  public int connections() {
    return links.size();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        Link link = new Link(client, upstream);
        links.add(link);
        start(() -> link.pump(client.getInputStream(), upstream.getOutputStream()), "freezing-proxy-up");
        start(() -> link.pump(upstream.getInputStream(), client.getOutputStream()), "freezing-proxy-down");
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private interface IoRunnable {
    void run() throws IOException;
  }

  private static void start(IoRunnable body, String name) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (IOException e) {
        // the connection is gone: nothing to forward
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Closes the listening socket and every connection, frozen or not. */
  @Override
  public void close() throws IOException {
    closed.countDown();
    server.close();
    for (Link l : links) {
      closeQuietly(l.client);
      closeQuietly(l.upstream);
    }
  }
}
