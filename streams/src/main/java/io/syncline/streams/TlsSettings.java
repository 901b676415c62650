package io.syncline.streams;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS to a source database: one settings block, {@code tls { mode, ca-file, key-store,
 * key-store-password }}, the same for every kind of source that has it (PostgreSQL, MySQL/MariaDB;
 * docs/postgres-source.md, docs/mysql-source.md). Read and checked here once; each driver gets the
 * same meaning: pgjdbc through its own options; MariaDB Connector/J and the binlog client through
 * {@link #trustManagers()}, {@link #keyManagers()} and {@link #sslContext()}.
 *
 * @param mode how much TLS is required and verified
 * @param caFile PEM file of the certificate authorities the server's certificate must chain to;
 *     null: the JVM's trust store
 * @param keyStore PKCS#12 file ({@code .p12}/{@code .pfx}) with the client's certificate and key,
 *     for servers that ask for one; null: none
 * @param keyStorePassword its password (never printed)
 */
public record TlsSettings(Mode mode, Path caFile, Path keyStore, Secret keyStorePassword) {

  /** How much TLS: from none to a verified certificate naming the host. */
  public enum Mode {
    /** No TLS. */
    DISABLE("disable"),
    /** TLS when the server offers it, not verified (a man in the middle goes unnoticed). */
    PREFER("prefer"),
    /** TLS or no connection; the certificate is not verified. */
    REQUIRE("require"),
    /** TLS, and the server's certificate must chain to a trusted authority ({@code ca-file}). */
    VERIFY_CA("verify-ca"),
    /** As {@code verify-ca}, and the certificate must name the host the source connects to ({@code host}). */
    VERIFY_FULL("verify-full");

    private final String setting;

    Mode(String setting) {
      this.setting = setting;
    }

    /** The value as written in the configuration (and as pgjdbc's {@code sslmode} takes it). */
    public String setting() {
      return setting;
    }

    static Mode parse(String value, String source) {
      for (Mode m : values()) {
        if (m.setting.equals(value.toLowerCase(Locale.ROOT))) {
          return m;
        }
      }
      throw new IllegalArgumentException("source '" + source + "': setting 'tls.mode' is '" + value
          + "': use one of disable, prefer, require, verify-ca, verify-full");
    }
  }

  public TlsSettings {
    if (mode == null) {
      throw new IllegalArgumentException("tls.mode is required");
    }
    keyStorePassword = keyStorePassword == null ? new Secret("") : keyStorePassword;
  }

  /** True when the server's certificate is checked (verify-ca, verify-full). */
  public boolean verifies() {
    return mode == Mode.VERIFY_CA || mode == Mode.VERIFY_FULL;
  }

  /**
   * Reads {@code tls} of a source entry ({@code c} with its kind's defaults) and checks the files.
   *
   * @throws IllegalArgumentException naming the setting and what is wrong with it
   */
  public static TlsSettings create(Config c, String source) {
    Config t = c.getConfig("tls");
    Mode mode = Mode.parse(t.getString("mode"), source);
    Path ca = file(t, "ca-file", source);
    Path keyStore = file(t, "key-store", source);
    if (keyStore != null) {
      String name = keyStore.getFileName().toString().toLowerCase(Locale.ROOT);
      if (!name.endsWith(".p12") && !name.endsWith(".pfx")) {
        throw new IllegalArgumentException("source '" + source + "': setting 'tls.key-store' (" + keyStore
            + ") must be a PKCS#12 file named *.p12 or *.pfx. Fix: openssl pkcs12 -export -in client.crt -inkey"
            + " client.key -out client.p12");
      }
    }
    if (mode == Mode.DISABLE && (ca != null || keyStore != null)) {
      throw new IllegalArgumentException("source '" + source + "': 'tls.ca-file'/'tls.key-store' are set but"
          + " 'tls.mode' is disable. Fix: set tls.mode = verify-full (or remove the files)");
    }
    return new TlsSettings(mode, ca, keyStore, new Secret(t.hasPath("key-store-password")
        ? t.getString("key-store-password") : ""));
  }

  private static Path file(Config t, String key, String source) {
    String v = t.hasPath(key) ? t.getString(key) : "";
    if (v.isBlank()) {
      return null;
    }
    Path p = Path.of(v);
    if (!Files.isReadable(p)) {
      throw new IllegalArgumentException("source '" + source + "': setting 'tls." + key + "' names " + p
          + ", which " + (Files.exists(p) ? "this process may not read" : "does not exist") + ".");
    }
    return p;
  }

  /**
   * The TLS context the settings describe: trusted authorities from {@code ca-file} (else the JVM's
   * trust store) when the mode verifies, none checked otherwise; the client's key from
   * {@code key-store}. Host names are checked by the caller (verify-full).
   */
  public SSLContext sslContext() throws GeneralSecurityException, IOException {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers(), trustManagers(), null);
    return context;
  }

  /** The client's key from {@code key-store}, or null (none). */
  public KeyManager[] keyManagers() throws GeneralSecurityException, IOException {
    if (keyStore == null) {
      return null;
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks.load(in, keyStorePassword.value().toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, keyStorePassword.value().toCharArray());
    return kmf.getKeyManagers();
  }

  /**
   * Who is trusted: the authorities of {@code ca-file} (null: the JVM's trust store) when the mode
   * verifies, anyone otherwise. Strict: a certificate they do not sign fails the handshake.
   */
  public TrustManager[] trustManagers() throws GeneralSecurityException, IOException {
    if (!verifies()) {
      return new TrustManager[] {TRUST_ANY}; // prefer/require: encrypted, not verified (as libpq's sslmode)
    }
    if (caFile == null) {
      return null; // the JVM's trust store
    }
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(caFile)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (certificates.isEmpty()) {
      throw new CertificateException("tls.ca-file " + caFile + " holds no PEM certificate");
    }
    int i = 0;
    for (Certificate cert : certificates) {
      trusted.setCertificateEntry("ca-" + i++, cert);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    return tmf.getTrustManagers();
  }

  private static final X509TrustManager TRUST_ANY = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      // not verified: the mode asks for encryption only
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // not verified: the mode asks for encryption only
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  /**
   * When {@code failure} is a TLS failure (the server's certificate not trusted, not naming the host,
   * the server without TLS), what went wrong and the settings that fix it; else empty.
   */
  public Optional<String> explain(Throwable failure, String host) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage() == null ? "" : t.getMessage();
      String lower = m.toLowerCase(Locale.ROOT);
      if (lower.contains("hostname") && (lower.contains("verif") || lower.contains("match"))
          || lower.contains("no subject alternative") || lower.contains("no name matching")
          || lower.contains("doesn't correspond to certificate")) {
        return Optional.of("the server's TLS certificate does not name host '" + host + "' (tls.mode = verify-full). Fix:"
            + " set 'host' to a name the certificate holds, or have the server's certificate name '" + host
            + "'. (" + m + ")");
      }
      if (t instanceof java.security.cert.CertPathValidatorException
          || t instanceof java.security.cert.CertPathBuilderException
          || lower.contains("pkix path") || lower.contains("unable to find valid certification path")
          || lower.contains("certificate_unknown") || lower.contains("trustanchor")) {
        return Optional.of("the server's TLS certificate is not signed by an authority in "
            + (caFile == null ? "the JVM's trust store" : "tls.ca-file (" + caFile + ")") + " (tls.mode = "
            + mode.setting() + "). Fix: set 'tls.ca-file' to the PEM file of the authority that signed the server's"
            + " certificate. (" + m + ")");
      }
      if (lower.contains("does not support ssl") || lower.contains("ssl not enabled")
          || lower.contains("server does not support ssl") || lower.contains("ssl off")) {
        return Optional.of("the server does not offer TLS, and tls.mode = " + mode.setting()
            + " requires it. Fix: enable TLS on the server, or lower 'tls.mode'. (" + m + ")");
      }
      if (t instanceof SSLException) {
        return Optional.of("the TLS handshake failed (tls.mode = " + mode.setting() + "): " + m
            + ". Fix: check 'tls.ca-file', 'tls.key-store' and the server's TLS settings.");
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "tls=" + mode.setting() + (caFile == null ? "" : ", ca-file=" + caFile)
        + (keyStore == null ? "" : ", key-store=" + keyStore);
  }
}
