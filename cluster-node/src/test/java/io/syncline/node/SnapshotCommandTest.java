package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.syncline.streams.snapshot.incremental.KeyBounds;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Arguments of {@code syncline snapshot} (the request itself is exercised by IncrementalSnapshotNodeIT). */
class SnapshotCommandTest {

  @Test
  void shouldReadTablesInOrderAndTheKeyRange() {
    SnapshotCommand.Request r = SnapshotCommand.Request.parse("shop", "public.orders, public.customers", "10", null, false);
    assertThat(r.tables()).containsExactly("public.orders", "public.customers");
    assertThat(r.range()).isEqualTo(new KeyBounds("10", null));
    assertThat(r.stop()).isFalse();
  }

  @Test
  void shouldStopAllQueuedTablesWhenNoneIsNamed() {
    SnapshotCommand.Request r = SnapshotCommand.Request.parse("shop", null, null, null, true);
    assertThat(r.tables()).isEmpty();
    assertThat(r.stop()).isTrue();
  }

  @Test
  void shouldNameWhatIsMissingOrContradictory() {
    assertThatThrownBy(() -> SnapshotCommand.Request.parse(null, "public.t", null, null, false))
        .hasMessageContaining("--source NAME is required");
    assertThatThrownBy(() -> SnapshotCommand.Request.parse("shop", null, null, null, false))
        .hasMessageContaining("--table T is required");
    assertThatThrownBy(() -> SnapshotCommand.Request.parse("shop", "public.t", "1", "2", true))
        .hasMessageContaining("--from/--to do not go with --stop");
    assertThatThrownBy(() -> Main.run(List.of("snapshot", "--source", "shop", "--table")))
        .hasMessageContaining("--table needs a value");
    assertThatThrownBy(() -> Main.run(List.of("snapshot", "--table", "public.t")))
        .hasMessageContaining("--source NAME is required");
  }
}
