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
 * modes, except for two fixes of the library (0.30.1), made by subclassing its row deserializers:
 * <ul>
 *   <li>TIME(fsp) values are decoded as signed microseconds: the library reads the TIME2 format as
 *       unsigned and loses negative values; decoded as MySQL's {@code my_time_packed_from_binary} does;</li>
 *   <li>DATE and DATETIME fields become microseconds on the proleptic Gregorian calendar, MySQL's own
 *       ({@link #civilMillis}): the library counts dates before 1582-10-15 on the Julian calendar, so
 *       {@code 1582-10-10} came out as {@code 1582-10-20} and year 0 dates as null.</li>
 * </ul>
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

    @Override
    protected Long asUnixTime(int year, int month, int day, int hour, int minute, int second, int millis) {
      return civilMillis(year, month, day, hour, minute, second, millis);
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

    @Override
    protected Long asUnixTime(int year, int month, int day, int hour, int minute, int second, int millis) {
      return civilMillis(year, month, day, hour, minute, second, millis);
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

    @Override
    protected Long asUnixTime(int year, int month, int day, int hour, int minute, int second, int millis) {
      return civilMillis(year, month, day, hour, minute, second, millis);
    }
  }

  /**
   * MySQL's date and time fields as milliseconds since 1970-01-01T00:00 on the proleptic Gregorian
   * calendar, MySQL's own for every year 0000–9999; null for the zero date and dates with a zero
   * month or day (as the library gives them). A day past the month's end, which
   * {@code ALLOW_INVALID_DATES} lets the server store ({@code 2024-02-31}), runs on into the next
   * month, as the library's arithmetic did.
   */
  public static Long civilMillis(int year, int month, int day, int hour, int minute, int second, int millis) {
    if (month == 0 || day == 0) {
      return null;
    }
    long days = java.time.LocalDate.of(year, month, 1).toEpochDay() + day - 1;
    return ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + millis;
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
