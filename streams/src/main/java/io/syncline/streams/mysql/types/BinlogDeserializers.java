package io.syncline.streams.mysql.types;

import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.DeleteRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer.CompatibilityMode;
import com.github.shyiko.mysql.binlog.event.deserialization.EventHeaderV4Deserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.NullEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.UpdateRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.WriteRowsEventDataDeserializer;
import com.github.shyiko.mysql.binlog.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The binlog {@link EventDeserializer} whose row cells {@link MySqlValueConverters} expects: the
 * library's own, in {@code DATE_AND_TIME_AS_LONG_MICRO} and {@code CHAR_AND_BINARY_AS_BYTE_ARRAY}
 * modes, except that TIME(fsp) values are decoded as signed microseconds. The library (0.30.1)
 * reads the TIME2 format as unsigned and loses negative values; here its row deserializers are
 * subclassed to decode TIME2 as MySQL's {@code my_time_packed_from_binary} does.
 */
public final class BinlogDeserializers {

  private BinlogDeserializers() {}

  /** A new deserializer (one per binlog client: it keeps the client's TABLE_MAP events). */
  public static EventDeserializer create() {
    EventDeserializer defaults = new EventDeserializer();
    Map<Long, TableMapEventData> tableMaps = new HashMap<>();
    Map<EventType, EventDataDeserializer> byType = new EnumMap<>(EventType.class);
    NullEventDataDeserializer none = new NullEventDataDeserializer();
    for (EventType type : EventType.values()) {
      EventDataDeserializer d = defaults.getEventDataDeserializer(type);
      if (d != null && !(d instanceof NullEventDataDeserializer)) {
        byType.put(type, d);
      }
    }
    byType.put(EventType.WRITE_ROWS, new SignedTimeWriteRows(tableMaps));
    byType.put(EventType.UPDATE_ROWS, new SignedTimeUpdateRows(tableMaps));
    byType.put(EventType.DELETE_ROWS, new SignedTimeDeleteRows(tableMaps));
    byType.put(EventType.EXT_WRITE_ROWS, new SignedTimeWriteRows(tableMaps).setMayContainExtraInformation(true));
    byType.put(EventType.EXT_UPDATE_ROWS, new SignedTimeUpdateRows(tableMaps).setMayContainExtraInformation(true));
    byType.put(EventType.EXT_DELETE_ROWS, new SignedTimeDeleteRows(tableMaps).setMayContainExtraInformation(true));
    EventDeserializer deserializer = new EventDeserializer(new EventHeaderV4Deserializer(), none, byType, tableMaps);
    deserializer.setCompatibilityMode(CompatibilityMode.DATE_AND_TIME_AS_LONG_MICRO,
        CompatibilityMode.CHAR_AND_BINARY_AS_BYTE_ARRAY);
    return deserializer;
  }

  private static final class SignedTimeWriteRows extends WriteRowsEventDataDeserializer {
    SignedTimeWriteRows(Map<Long, TableMapEventData> tableMaps) {
      super(tableMaps);
    }

    @Override
    protected Serializable deserializeTimeV2(int meta, ByteArrayInputStream in) throws IOException {
      return timeV2Micros(meta, in);
    }
  }

  private static final class SignedTimeUpdateRows extends UpdateRowsEventDataDeserializer {
    SignedTimeUpdateRows(Map<Long, TableMapEventData> tableMaps) {
      super(tableMaps);
    }

    @Override
    protected Serializable deserializeTimeV2(int meta, ByteArrayInputStream in) throws IOException {
      return timeV2Micros(meta, in);
    }
  }

  private static final class SignedTimeDeleteRows extends DeleteRowsEventDataDeserializer {
    SignedTimeDeleteRows(Map<Long, TableMapEventData> tableMaps) {
      super(tableMaps);
    }

    @Override
    protected Serializable deserializeTimeV2(int meta, ByteArrayInputStream in) throws IOException {
      return timeV2Micros(meta, in);
    }
  }

  /**
   * A TIME2 value (3 bytes big-endian integer part offset by 0x800000, then (fsp+1)/2 bytes of
   * fraction, negative values in complement form) as signed microseconds.
   */
  static Long timeV2Micros(int fsp, ByteArrayInputStream in) throws IOException {
    long packed;
    long intPart = bigEndian(in.read(3)) - 0x800000L;
    switch (fsp) {
      case 1, 2 -> {
        long frac = bigEndian(in.read(1));
        if (intPart < 0 && frac != 0) {
          intPart++;
          frac -= 0x100;
        }
        packed = (intPart << 24) + frac * 10_000;
      }
      case 3, 4 -> {
        long frac = bigEndian(in.read(2));
        if (intPart < 0 && frac != 0) {
          intPart++;
          frac -= 0x10000;
        }
        packed = (intPart << 24) + frac * 100;
      }
      case 5, 6 -> packed = ((intPart + 0x800000L) << 24 | bigEndian(in.read(3))) - 0x800000000000L;
      default -> packed = intPart << 24;
    }
    boolean negative = packed < 0;
    long magnitude = Math.abs(packed);
    long hms = magnitude >> 24;
    long seconds = ((hms >> 12) & 0x3FF) * 3600 + ((hms >> 6) & 0x3F) * 60 + (hms & 0x3F);
    long micros = seconds * 1_000_000 + (magnitude & 0xFFFFFF);
    return negative ? -micros : micros;
  }

  private static long bigEndian(byte[] bytes) {
    long v = 0;
    for (byte b : bytes) {
      v = (v << 8) | (b & 0xFF);
    }
    return v;
  }
}
