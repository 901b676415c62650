package io.syncline.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.syncline.streams.mysql.MySqlSourceSettings;
import io.syncline.streams.postgres.PgSourceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tls} block of a source: one reading for both SQL kinds, errors naming the setting. */
class TlsSettingsTest {

  @TempDir
  Path dir;

  private static Config defaults(String kind) {
    return ConfigFactory.parseResources("reference.conf").resolve().getConfig("syncline.source-defaults." + kind);
  }

  private static PgSourceSettings pg(String tls) {
    return PgSourceSettings.create(ConfigFactory.parseString("name = s, database = d, include-tables = [\"public.t\"], "
        + tls), defaults("postgres"));
  }

  private static MySqlSourceSettings mysql(String tls) {
    return MySqlSourceSettings.create(ConfigFactory.parseString("name = m, include-tables = [\"shop.t\"], " + tls),
        defaults("mysql"));
  }

  @Test
  void shouldDefaultToPgjdbcsPreferForPostgresAndToNoTlsForMySql() {
    assertThat(pg("").tls().mode()).isEqualTo(TlsSettings.Mode.PREFER);
    assertThat(mysql("").tls().mode()).isEqualTo(TlsSettings.Mode.DISABLE);
  }

  @Test
  void shouldReadTheSameBlockForBothKinds() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    Path ks = Files.writeString(dir.resolve("client.p12"), "x");
    String block = "tls { mode = verify-full, ca-file = \"" + ca + "\", key-store = \"" + ks
        + "\", key-store-password = \"ks-secret\" }";
    for (TlsSettings t : new TlsSettings[] {pg(block).tls(), mysql(block).tls()}) {
      assertThat(t.mode()).isEqualTo(TlsSettings.Mode.VERIFY_FULL);
      assertThat(t.caFile()).isEqualTo(ca);
      assertThat(t.keyStore()).isEqualTo(ks);
      assertThat(t.keyStorePassword().value()).isEqualTo("ks-secret");
    }
    assertThat(pg(block).toString()).contains("tls=verify-full").doesNotContain("ks-secret");
    assertThat(mysql(block).toString()).contains("tls=verify-full").doesNotContain("ks-secret");
  }

  @Test
  void shouldNameTheSettingWhenItIsWrong() throws Exception {
    assertThatThrownBy(() -> pg("tls.mode = verify"))
        .hasMessageContaining("setting 'tls.mode' is 'verify': use one of disable, prefer, require, verify-ca, verify-full");
    assertThatThrownBy(() -> mysql("tls { mode = verify-ca, ca-file = \"" + dir.resolve("nope.pem") + "\" }"))
        .hasMessageContaining("setting 'tls.ca-file' names " + dir.resolve("nope.pem") + ", which does not exist");
    Path pem = Files.writeString(dir.resolve("client.pem"), "x");
    assertThatThrownBy(() -> pg("tls { mode = verify-full, key-store = \"" + pem + "\" }"))
        .hasMessageContaining("setting 'tls.key-store' (" + pem + ") must be a PKCS#12 file named *.p12 or *.pfx");
    assertThatThrownBy(() -> pg("tls { mode = disable, ca-file = \"" + pem + "\" }"))
        .hasMessageContaining("but 'tls.mode' is disable");
  }

  @Test
  void shouldExplainAnUntrustedCertificateAndAWrongHostNamingTheSettings() {
    TlsSettings t = new TlsSettings(TlsSettings.Mode.VERIFY_FULL, dir.resolve("ca.pem"), null, null);
    var pkix = new SSLHandshakeException("PKIX path building failed: unable to find valid certification path to requested target");
    assertThat(t.explain(new java.sql.SQLException("SSL error", pkix), "db")).get().asString()
        .contains("not signed by an authority in tls.ca-file (" + dir.resolve("ca.pem") + ")")
        .contains("Fix: set 'tls.ca-file'");
    assertThat(t.explain(new java.sql.SQLException("The hostname 10.0.0.1 could not be verified by hostnameverifier"
        + " PgjdbcHostnameVerifier."), "10.0.0.1")).get().asString()
        .contains("does not name host '10.0.0.1' (tls.mode = verify-full)").contains("Fix: set 'host'");
    assertThat(t.explain(new java.sql.SQLException("connection refused"), "db")).isEmpty();
  }
}
