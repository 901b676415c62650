package io.syncline.streams.transport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP front of a real SQS server (ElasticMQ) that answers as AWS does where ElasticMQ never
 * does: throttled SendMessageBatch requests, partial batch failures (the first entry of a request
 * is not forwarded and reported failed, not the sender's fault) and refused credentials. Everything
 * else is forwarded unchanged, so what is accepted really is in the queue.
 */
final class SqsFaultProxy implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "expect",
      "upgrade", "transfer-encoding");

  private final HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  private final URI target;
  private final AtomicInteger throttle = new AtomicInteger();
  private final AtomicInteger failFirstEntry = new AtomicInteger();
  private final AtomicInteger throttled = new AtomicInteger();
  private final AtomicInteger failedEntries = new AtomicInteger();
  private volatile String requiredAccessKey;

  private SqsFaultProxy(URI target) throws IOException {
    this.target = target;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", this::handle);
    server.start();
  }

  static SqsFaultProxy start(URI target) throws IOException {
    return new SqsFaultProxy(target);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The next {@code n} SendMessageBatch requests are answered as throttled. */
  void throttle(int n) {
    throttle.set(n);
  }

  /** The first entry of each of the next {@code n} SendMessageBatch requests fails (InternalError). */
  void failFirstEntry(int n) {
    failFirstEntry.set(n);
  }

  /** Requests signed with another access key id are refused as AWS does (InvalidClientTokenId). */
  void requireAccessKey(String accessKeyId) {
    requiredAccessKey = accessKeyId;
  }

  int throttled() {
    return throttled.get();
  }

  int failedEntries() {
    return failedEntries.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String action = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      String required = requiredAccessKey;
      if (required != null && (authorization == null || !authorization.contains("Credential=" + required + "/"))) {
        error(exchange, 403, "InvalidClientTokenId", "The security token included in the request is invalid.");
        return;
      }
      boolean batch = "AmazonSQS.SendMessageBatch".equals(action);
      if (batch && throttle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throttled.incrementAndGet();
        error(exchange, 400, "RequestThrottled", "Rate exceeded");
        return;
      }
      String dropped = null;
      if (batch && failFirstEntry.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        ObjectNode request = (ObjectNode) JSON.readTree(body);
        ArrayNode entries = (ArrayNode) request.get("Entries");
        if (entries.size() > 1) {
          dropped = entries.get(0).get("Id").asText();
          entries.remove(0);
          body = JSON.writeValueAsBytes(request);
        } else {
          failFirstEntry.incrementAndGet(); // a request of one entry: the next one fails instead
        }
      }
      HttpRequest.Builder forward = HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
          .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      exchange.getRequestHeaders().forEach((name, values) -> {
        if (!NOT_FORWARDED.contains(name.toLowerCase())) {
          values.forEach(v -> forward.header(name, v));
        }
      });
      HttpResponse<byte[]> response = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
      byte[] answer = response.body();
      if (dropped != null && response.statusCode() == 200) {
        ObjectNode result = (ObjectNode) JSON.readTree(answer);
        ArrayNode failed = result.has("Failed") ? (ArrayNode) result.get("Failed") : result.putArray("Failed");
        failed.addObject().put("Id", dropped).put("SenderFault", false).put("Code", "InternalError")
            .put("Message", "injected by SqsFaultProxy");
        failedEntries.incrementAndGet();
        answer = JSON.writeValueAsBytes(result);
      }
      response.headers().map().forEach((name, values) -> {
        if (!NOT_FORWARDED.contains(name.toLowerCase()) && !name.startsWith(":")) {
          exchange.getResponseHeaders().put(name, List.copyOf(values));
        }
      });
      exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
      exchange.getResponseBody().write(answer);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** An error as SQS's JSON protocol answers it. */
  private static void error(HttpExchange exchange, int status, String code, String message) throws IOException {
    byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode()
        .put("__type", "com.amazonaws.sqs#" + code).put("message", message));
    exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
    exchange.getResponseHeaders().add("x-amzn-query-error", code + ";Sender");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
