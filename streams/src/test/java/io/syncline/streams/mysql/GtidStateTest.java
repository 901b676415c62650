package io.syncline.streams.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GtidStateTest {

  @Test
  void mariaDbKeepsTheLastGtidOfEachDomain() {
    GtidState s = GtidState.of("0-1-41,1-2-7", true);
    s.add("0-1-42");
    s.add("2-3-1");
    s.add("1-5-8"); // another server of domain 1 (after a failover) continues its sequence
    assertThat(s.toString()).isEqualTo("0-1-42,1-5-8,2-3-1");
    assertThat(GtidState.of("", true).toString()).isEmpty();
    assertThat(GtidState.of(null, true).toString()).isEmpty();
  }

  @Test
  void mariaDbRefusesAMySqlGtid() {
    assertThatThrownBy(() -> GtidState.of("", true).add("3E11FA47-71CA-11E1-9E33-C80AA9429562:23"))
        .hasMessageContaining("not a MariaDB GTID");
  }

  @Test
  void mySqlKeepsTheExecutedSetAsIntervals() {
    String uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    GtidState s = GtidState.of(uuid + ":1-41", false);
    s.add(uuid + ":42");
    s.add(uuid + ":44");
    assertThat(s.toString()).isEqualTo(uuid + ":1-42:44");
    s.add(uuid + ":43");
    assertThat(s.toString()).isEqualTo(uuid + ":1-44");
    String other = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
    GtidState two = GtidState.of(uuid.toUpperCase() + ":1-5:7-9,\n" + other + ":3", false);
    two.add(other + ":4");
    assertThat(two.toString()).isEqualTo(uuid + ":1-5:7-9," + other + ":3-4");
  }
}
