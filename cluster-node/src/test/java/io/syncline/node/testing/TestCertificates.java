package io.syncline.node.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for the TLS tests, made in the test with BouncyCastle (no openssl on the machine
 * needed): a certificate authority, and server certificates it signs for given host names, written
 * as PEM files the servers and the sources read.
 */
public final class TestCertificates {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A certificate authority: its certificate in {@code certFile} (PEM). */
  public record Authority(String name, KeyPair keys, X509Certificate certificate, Path certFile) {

    /**
     * A server certificate signed by this authority for {@code dnsNames}: {@code <name>.crt} and its
     * key {@code <name>.key} (PKCS#8 PEM, owner-only: PostgreSQL refuses a key others may read).
     */
    public ServerCertificate issue(Path dir, String name, String... dnsNames) throws Exception {
      Issued issued = sign(dnsNames);
      Path certFile = dir.resolve(name + ".crt");
      Path keyFile = dir.resolve(name + ".key");
      Files.writeString(certFile, pem(issued.certificate()));
      // PKCS#8 ("BEGIN PRIVATE KEY"): the JCA encoding of a private key
      Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\n"
          + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
              .encodeToString(issued.keys().getPrivate().getEncoded())
          + "\n-----END PRIVATE KEY-----\n");
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
      return new ServerCertificate(certFile, keyFile);
    }

    /** A certificate for {@code dnsNames} (the first is the subject's CN) signed by this authority. */
    Issued sign(String... dnsNames) throws Exception {
      KeyPair keys = keyPair();
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate,
          BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
          Date.from(now.plus(Duration.ofDays(2))), new X500Name("CN=" + dnsNames[0]), keys.getPublic());
      GeneralName[] names = new GeneralName[dnsNames.length];
      for (int i = 0; i < dnsNames.length; i++) {
        names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withRSA").build(this.keys.getPrivate())));
      return new Issued(keys, cert);
    }
  }

  /** A key pair and its certificate. */
  record Issued(KeyPair keys, X509Certificate certificate) {}

  /**
   * A client certificate signed by {@code authority}, with its key, in a PKCS#12 file
   * {@code <name>.p12} protected by {@code password} (what a source's {@code tls.key-store} takes).
   */
  public static Path clientKeyStore(Authority authority, Path dir, String name, String password) throws Exception {
    Issued issued = authority.sign(name);
    X509Certificate cert = issued.certificate();
    java.security.PrivateKey key = issued.keys().getPrivate();
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(name, key, password.toCharArray(), new java.security.cert.Certificate[] {cert, authority.certificate()});
    Path file = dir.resolve(name + ".p12");
    try (var out = Files.newOutputStream(file)) {
      ks.store(out, password.toCharArray());
    }
    return file;
  }

  /** A server's certificate and key files. */
  public record ServerCertificate(Path certFile, Path keyFile) {}

  private TestCertificates() {}

  /** A new self-signed certificate authority, its certificate written to {@code dir/<name>.pem}. */
  public static Authority authority(Path dir, String name) throws Exception {
    KeyPair keys = keyPair();
    Instant now = Instant.now();
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    Path file = dir.resolve(name + ".pem");
    Files.writeString(file, pem(cert));
    return new Authority(name, keys, cert, file);
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private static String pem(Object o) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }
}
