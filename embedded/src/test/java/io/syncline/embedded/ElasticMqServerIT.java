package io.syncline.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

class ElasticMqServerIT {

  private static SqsAsyncClient client(ElasticMqServer server) {
    return SqsAsyncClient.builder()
        .endpointOverride(server.endpoint())
        .region(Region.of(server.region()))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
        .build();
  }

  @Test
  void shouldKeepQueuesAndMessagesAcrossStopAndStartAgain() throws Exception {
    try (ElasticMqServer server = ElasticMqServer.start(); SqsAsyncClient sqs = client(server)) {
      String url = sqs.createQueue(b -> b.queueName("it-one.fifo")
              .attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true")))
          .get(30, TimeUnit.SECONDS).queueUrl();
      assertThat(url).startsWith(server.endpoint().toString());
      sqs.sendMessage(b -> b.queueUrl(url).messageBody("hello").messageGroupId("g").messageDeduplicationId("d1"))
          .get(30, TimeUnit.SECONDS);

      server.stop();
      assertThatThrownBy(() -> sqs.getQueueUrl(b -> b.queueName("it-one.fifo")).get(30, TimeUnit.SECONDS))
          .hasStackTraceContaining("Connection refused");
      server.startAgain();

      // the same deduplication id within the window is dropped: one message
      sqs.sendMessage(b -> b.queueUrl(url).messageBody("hello").messageGroupId("g").messageDeduplicationId("d1"))
          .get(30, TimeUnit.SECONDS);
      var got = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)).get(30, TimeUnit.SECONDS).messages();
      assertThat(got).extracting(Message::body).containsExactly("hello");
    }
  }
}
