package io.syncline.streams.postgres.types;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What Syncline knows about the types of one PostgreSQL database ({@code pg_type} joined with
 * {@code pg_namespace}), and the {@link ValueConverter} of each. Immutable: {@link #refresh} and
 * {@link #ensureKnown} return a new registry, so one instance can be shared by any number of
 * readers; the caller decides which connection a reload uses and keeps the newest instance.
 *
 * <p>Resolution (docs/type-mapping.md): built-in types by OID; domains resolve to their base type;
 * enums become strings; arrays ({@code typcategory 'A'}) of any type become lists converted by the
 * element type's converter with its {@code typdelim}; every other type (ranges, geometric, composite,
 * extension types, …) and every OID the registry does not know keeps its text form as a string, never dropped.
 */
public final class PgTypeRegistry {

  /**
   * One row of {@code pg_type}.
   *
   * @param type {@code typtype}: {@code b} base, {@code c} composite, {@code d} domain, {@code e} enum,
   *     {@code p} pseudo, {@code r} range, {@code m} multirange
   * @param baseType {@code typbasetype}: the base of a domain, else 0
   * @param elementType {@code typelem}: the element of an array type, else 0 (or a fixed-length subscript type)
   * @param delimiter {@code typdelim}: the separator of this type's elements in array literals
   * @param category {@code typcategory}: {@code A} for arrays
   */
  public record PgType(
      int oid, String namespace, String name, char type, int baseType, int elementType, char delimiter, char category) {

    /** {@code namespace.name}. */
    public String qualifiedName() {
      return namespace + "." + name;
    }
  }

  static final String QUERY = "SELECT t.oid, n.nspname, t.typname, t.typtype, t.typbasetype, t.typelem,"
      + " t.typdelim, t.typcategory FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace";

  private static final int MAX_DEPTH = 16;
  private static final int INT2VECTOR = 22;
  private static final int OIDVECTOR = 30;

  private final Map<Integer, PgType> types;

  private PgTypeRegistry(Map<Integer, PgType> types) {
    this.types = Map.copyOf(types);
  }

  /** Reads every type of the connection's database. */
  public static PgTypeRegistry load(Connection connection) throws SQLException {
    Map<Integer, PgType> types = new HashMap<>(1024);
    try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(QUERY)) {
      while (rs.next()) {
        PgType t = new PgType(
            (int) rs.getLong(1),
            rs.getString(2),
            rs.getString(3),
            firstChar(rs.getString(4)),
            (int) rs.getLong(5),
            (int) rs.getLong(6),
            firstChar(rs.getString(7)),
            firstChar(rs.getString(8)));
        types.put(t.oid(), t);
      }
    }
    return new PgTypeRegistry(types);
  }

  /** A registry of the given types (tests, or types learned elsewhere). */
  public static PgTypeRegistry of(Collection<PgType> types) {
    Map<Integer, PgType> map = new HashMap<>();
    for (PgType t : types) {
      map.put(t.oid(), t);
    }
    return new PgTypeRegistry(map);
  }

  private static char firstChar(String s) {
    return s == null || s.isEmpty() ? 0 : s.charAt(0);
  }

  /** A new registry read again from {@code connection} (after DDL created types). */
  public PgTypeRegistry refresh(Connection connection) throws SQLException {
    return load(connection);
  }

  /**
   * This registry when it knows every given OID and the types they lead to (domain bases, array
   * elements), else a new one read from {@code connection}. Call it with the column type OIDs of a
   * pgoutput Relation message before asking for their converters.
   */
  public PgTypeRegistry ensureKnown(Connection connection, int... oids) throws SQLException {
    for (int oid : oids) {
      if (!knowsFully(oid, 0)) {
        return load(connection);
      }
    }
    return this;
  }

  private boolean knowsFully(int oid, int depth) {
    if (builtin(oid) != null) {
      return true;
    }
    PgType t = types.get(oid);
    if (t == null || depth > MAX_DEPTH) {
      return false;
    }
    if (t.type() == 'd') {
      return knowsFully(t.baseType(), depth + 1);
    }
    if (t.category() == 'A' && t.elementType() != 0) {
      return knowsFully(t.elementType(), depth + 1);
    }
    return true;
  }

  /** Whether the registry has a {@code pg_type} row (or a built-in converter) for this OID. */
  public boolean knows(int oid) {
    return types.containsKey(oid) || builtin(oid) != null;
  }

  /** The catalog row of a type, if known. */
  public Optional<PgType> type(int oid) {
    return Optional.ofNullable(types.get(oid));
  }

  /** {@code namespace.name} of a type for messages, or {@code oid N} when unknown. */
  public String describe(int oid) {
    PgType t = types.get(oid);
    return t == null ? "oid " + Integer.toUnsignedString(oid) : t.qualifiedName() + " (oid " + Integer.toUnsignedString(oid) + ")";
  }

  /**
   * The converter of a column type. Resolve it once per relation column; a conversion failure
   * throws an {@link IllegalArgumentException} naming the type (the caller adds the column).
   * An OID this registry does not know converts to its text form: call {@link #ensureKnown} first.
   *
   * @param typeModifier the column's {@code atttypmod} (-1 when none); the text forms carry
   *     precision and scale, so it does not change the conversion today
   */
  public ValueConverter converterFor(int typeOid, int typeModifier) {
    ValueConverter raw = resolve(typeOid, 0);
    if (raw == PgValueConverters.TEXT) {
      return raw; // cannot fail
    }
    String type = describe(typeOid);
    return text -> {
      try {
        return raw.convert(text);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("cannot convert a value of PostgreSQL type " + type + ": " + e.getMessage(), e);
      }
    };
  }

  private ValueConverter resolve(int oid, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalStateException("type " + describe(oid) + " nests domains or arrays more than " + MAX_DEPTH + " deep");
    }
    ValueConverter builtin = builtin(oid);
    if (builtin != null) {
      return builtin;
    }
    PgType t = types.get(oid);
    if (t == null) {
      return PgValueConverters.TEXT;
    }
    if (t.type() == 'd') {
      return resolve(t.baseType(), depth + 1);
    }
    if (t.category() == 'A' && t.elementType() != 0 && oid != INT2VECTOR && oid != OIDVECTOR) {
      ValueConverter element = resolve(t.elementType(), depth + 1);
      PgType elementType = types.get(t.elementType());
      char delimiter = elementType == null || elementType.delimiter() == 0 ? ',' : elementType.delimiter();
      return PgValueConverters.array(element, delimiter);
    }
    return PgValueConverters.TEXT; // enums, ranges, geometric, composite, network, extension types, …
  }

  /** Converters of built-in scalar types, by their fixed OIDs; null when not one of them. */
  private static ValueConverter builtin(int oid) {
    return switch (oid) {
      case 16 -> PgValueConverters.BOOL;
      case 17 -> PgValueConverters.BYTEA;
      case 20 -> PgValueConverters.INT8;
      case 21 -> PgValueConverters.INT2;
      case 23 -> PgValueConverters.INT4;
      case 26 -> PgValueConverters.OID;
      case 114, 3802 -> PgValueConverters.JSON;
      case 700 -> PgValueConverters.FLOAT4;
      case 701 -> PgValueConverters.FLOAT8;
      case 1082 -> PgValueConverters.DATE;
      case 1083 -> PgValueConverters.TIME;
      case 1114 -> PgValueConverters.TIMESTAMP;
      case 1184 -> PgValueConverters.TIMESTAMPTZ;
      case 1266 -> PgValueConverters.TIMETZ;
      // numeric (1700), text types, uuid, xml, interval, money, network, bit: the text form itself
      case 18, 19, 25, 142, 650, 774, 790, 829, 869, 1042, 1043, 1186, 1560, 1562, 1700, 2950 -> PgValueConverters.TEXT;
      default -> null;
    };
  }
}
