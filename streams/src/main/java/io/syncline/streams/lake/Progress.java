package io.syncline.streams.lake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.Snapshot;
import java.io.IOException;
import java.util.Optional;

/**
 * What one writer app ({@code syncline:bronze:<table>}, {@code syncline:silver:<table>}) has
 * committed to a Delta table: the Delta transaction-id version of its last commit and the identity
 * ({@link Keys#eventId}: sortable position, then key) of the last change in it. Kept in the table's domain metadata
 * ({@code syncline.progress.<app>}), written by the same commit as the data, so that it is exactly as
 * durable as the data and a second writer of the same app conflicts with the first (Delta refuses two
 * commits that both set one domain, and two commits of one app id with the same txn version).
 *
 * @param version the txn version of the app's last commit (0: none yet)
 * @param position identity ({@link Keys#eventId}) of the greatest change committed; "" when none
 * @param display the same position for people
 */
record Progress(long version, String position, String display) {

  static final Progress NONE = new Progress(0, "", "");
  private static final ObjectMapper JSON = new ObjectMapper();

  static String domain(String appId) {
    return "syncline.progress." + appId;
  }

  static Progress read(Optional<Snapshot> snapshot, String appId) {
    if (snapshot.isEmpty()) {
      return NONE;
    }
    Optional<String> config = snapshot.get().getDomainMetadata(domain(appId));
    if (config.isEmpty()) {
      return NONE;
    }
    try {
      JsonNode n = JSON.readTree(config.get());
      return new Progress(n.path("version").asLong(), n.path("position").asText(""), n.path("display").asText(""));
    } catch (IOException e) {
      throw new IllegalStateException("the lake progress of " + appId + " in the Delta table is not JSON: "
          + e.getMessage(), e);
    }
  }

  /**
   * True when a change of this identity is at or before the greatest committed: committed already,
   * or delivered late (the caller asks the table which).
   */
  boolean covers(String eventId) {
    return !position.isEmpty() && eventId.compareTo(position) <= 0;
  }

  String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", version);
    n.put("position", position);
    n.put("display", display);
    return n.toString();
  }
}
