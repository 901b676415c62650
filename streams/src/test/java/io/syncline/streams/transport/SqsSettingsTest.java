package io.syncline.streams.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.syncline.streams.event.TableRef;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

class SqsSettingsTest {

  private static SqsSettings settings(Map<String, Object> c) {
    return SqsSettings.create(ConfigFactory.parseMap(c));
  }

  @Test
  void shouldTakeTheDocumentedDefaults() {
    SqsSettings s = settings(Map.of());
    assertThat(s.endpoint()).isEmpty();
    assertThat(s.fifo()).isTrue();
    assertThat(s.createQueues()).isTrue();
    assertThat(s.maxMessageBytes()).isEqualTo(262_144);
    assertThat(s.maxBatchBytes()).isEqualTo(262_144);
    assertThat(s.compression()).isEqualTo(SqsSettings.Compression.GZIP);
    assertThat(s.queueFor(new TableRef("postgresql", "shop", "db", "public", "orders"))).isEqualTo("shop-public-orders.fifo");
  }

  @Test
  void shouldNameQueuesByPatternWithinSqsRules() {
    TableRef t = new TableRef("mysql", "shop", "inventory", "inventory", "stock.levels");
    assertThat(settings(Map.of("fifo", false)).queueFor(t)).isEqualTo("shop-inventory-stock_levels");
    assertThat(settings(Map.of("queue-pattern", "${source}")).queueFor(t)).isEqualTo("shop.fifo");
    assertThat(settings(Map.of("queue-pattern", "${source}.fifo")).queueFor(t)).isEqualTo("shop.fifo");
    assertThat(settings(Map.of("queue-pattern", "${connector}_${database}_${table}", "fifo", false)).queueFor(t))
        .isEqualTo("mysql_inventory_stock_levels");
    TableRef longName = new TableRef("postgresql", "shop", "d", "public", "t".repeat(80));
    assertThatThrownBy(() -> settings(Map.of()).queueFor(longName))
        .hasMessageContaining("'syncline.transport.sqs.queue-pattern' gives the queue name")
        .hasMessageContaining("1 to 80 characters with .fifo");
    assertThatThrownBy(() -> settings(Map.of("queue-pattern", "${prefix}-${table}")))
        .hasMessageContaining("unknown placeholder ${prefix}");
  }

  @Test
  void shouldRefuseHalfCredentialsAndNeverPrintTheSecret() {
    assertThatThrownBy(() -> settings(Map.of("access-key-id", "AKIAEXAMPLE")))
        .hasMessageContaining("'syncline.transport.sqs.secret-access-key' is empty while access-key-id is set");
    assertThatThrownBy(() -> settings(Map.of("secret-access-key", "s3cr3t-value")))
        .hasMessageContaining("'syncline.transport.sqs.access-key-id' is empty")
        .hasMessageNotContaining("s3cr3t-value");
    SqsSettings s = settings(Map.of("access-key-id", "AKIAEXAMPLE", "secret-access-key", "s3cr3t-value",
        "session-token", "token-value"));
    assertThat(s.toString()).doesNotContain("s3cr3t-value", "token-value", "AKIAEXAMPLE").contains("AKIA****");
    assertThat(s.secretAccessKey().value()).isEqualTo("s3cr3t-value");
  }

  @Test
  void shouldRefuseValuesSqsCannotTake() {
    assertThatThrownBy(() -> settings(Map.of("max-message-bytes", 2_000_000)))
        .hasMessageContaining("'syncline.transport.sqs.max-message-bytes' must be between 1024 and 1048576");
    assertThatThrownBy(() -> settings(Map.of("compression", "zstd"))).hasMessageContaining("is 'zstd': use none or gzip");
    assertThatThrownBy(() -> settings(Map.of("endpoint", "localhost:9324")))
        .hasMessageContaining("'syncline.transport.sqs.endpoint' 'localhost:9324' is not an http(s) URL");
    assertThatThrownBy(() -> settings(Map.of("send-parallelism", 0))).hasMessageContaining("send-parallelism");
    assertThat(settings(Map.of("max-message-bytes", "1MiB")).maxBatchBytes()).isEqualTo(1_048_576);
  }

  private static AwsServiceException answer(int status, String code) {
    return AwsServiceException.builder().statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("m").build()).build();
  }

  @Test
  void shouldTellRetryableFailuresFromPermanentOnes() {
    assertThat(SqsTransport.classify(answer(403, "InvalidClientTokenId"))).isEqualTo(SqsTransport.Kind.DENIED);
    assertThat(SqsTransport.classify(answer(403, "SignatureDoesNotMatch"))).isEqualTo(SqsTransport.Kind.DENIED);
    assertThat(SqsTransport.classify(answer(400, "AccessDenied"))).isEqualTo(SqsTransport.Kind.DENIED);
    assertThat(SqsTransport.classify(answer(400, "RequestThrottled"))).isEqualTo(SqsTransport.Kind.RETRY);
    assertThat(SqsTransport.classify(answer(400, "ThrottlingException"))).isEqualTo(SqsTransport.Kind.RETRY);
    assertThat(SqsTransport.classify(answer(503, "ServiceUnavailable"))).isEqualTo(SqsTransport.Kind.RETRY);
    assertThat(SqsTransport.classify(answer(500, "InternalError"))).isEqualTo(SqsTransport.Kind.RETRY);
    assertThat(SqsTransport.classify(answer(400, "AWS.SimpleQueueService.NonExistentQueue")))
        .isEqualTo(SqsTransport.Kind.QUEUE_MISSING);
    assertThat(SqsTransport.classify(QueueDoesNotExistException.builder().message("gone").build()))
        .isEqualTo(SqsTransport.Kind.QUEUE_MISSING);
    assertThat(SqsTransport.classify(answer(400, "InvalidParameterValue"))).isEqualTo(SqsTransport.Kind.REFUSED);
    assertThat(SqsTransport.classify(SdkClientException.create("Unable to execute HTTP request: Connection refused")))
        .isEqualTo(SqsTransport.Kind.RETRY);
    assertThat(SqsTransport.classify(SdkClientException.create("Unable to load credentials from any of the providers")))
        .isEqualTo(SqsTransport.Kind.DENIED);
  }
}
