package io.syncline.streams.mysql.types;

import java.util.Arrays;

/**
 * Collation id → MySQL character set name, for the charset ids of binlog TABLE_MAP metadata.
 * The table is MariaDB 11.4.5's {@code information_schema.COLLATION_CHARACTER_SET_APPLICABILITY}
 * (ids 1..3327, incl. the MySQL 8 {@code utf8mb4_0900_*} ids 255..323 that MariaDB accepts as
 * aliases); {@code MySqlTypesGoldenIT} checks it against the server. Ids outside it give null.
 */
public final class Collations {

  /** {@code first[-last] charset} ranges, ascending. */
  private static final String TABLE = """
      1 big5, 2 latin2, 3 dec8, 4 cp850, 5 latin1, 6 hp8, 7 koi8r, 8 latin1, 9 latin2, 10 swe7, 11 ascii,
      12 ujis, 13 sjis, 14 cp1251, 15 latin1, 16 hebrew, 18 tis620, 19 euckr, 20 latin7, 21 latin2,
      22 koi8u, 23 cp1251, 24 gb2312, 25 greek, 26 cp1250, 27 latin2, 28 gbk, 29 cp1257, 30 latin5,
      31 latin1, 32 armscii8, 33 utf8mb3, 34 cp1250, 35 ucs2, 36 cp866, 37 keybcs2, 38 macce,
      39 macroman, 40 cp852, 41-42 latin7, 43 macce, 44 cp1250, 45-46 utf8mb4, 47-49 latin1,
      50-52 cp1251, 53 macroman, 54-55 utf16, 56 utf16le, 57 cp1256, 58-59 cp1257, 60-61 utf32,
      62 utf16le, 63 binary, 64 armscii8, 65 ascii, 66 cp1250, 67 cp1256, 68 cp866, 69 dec8, 70 greek,
      71 hebrew, 72 hp8, 73 keybcs2, 74 koi8r, 75 koi8u, 77 latin2, 78 latin5, 79 latin7, 80 cp850,
      81 cp852, 82 swe7, 83 utf8mb3, 84 big5, 85 euckr, 86 gb2312, 87 gbk, 88 sjis, 89 tis620, 90 ucs2,
      91 ujis, 92-93 geostd8, 94 latin1, 95-96 cp932, 97-98 eucjpms, 99 cp1250, 101-124 utf16,
      128-151 ucs2, 159 ucs2, 160-183 utf32, 192-215 utf8mb3, 223 utf8mb3, 224-247 utf8mb4,
      255-271 utf8mb4, 273-275 utf8mb4, 277-294 utf8mb4, 296-298 utf8mb4, 300 utf8mb4, 305 utf8mb4,
      309 utf8mb4, 576-578 utf8mb3, 608-610 utf8mb4, 640-642 ucs2, 672-674 utf16, 736-738 utf32,
      1025 big5, 1027 dec8, 1028 cp850, 1030 hp8, 1031 koi8r, 1032 latin1, 1033 latin2, 1034 swe7,
      1035 ascii, 1036 ujis, 1037 sjis, 1040 hebrew, 1042 tis620, 1043 euckr, 1046 koi8u, 1048 gb2312,
      1049 greek, 1050 cp1250, 1052 gbk, 1054 latin5, 1056 armscii8, 1057 utf8mb3, 1059 ucs2, 1060 cp866,
      1061 keybcs2, 1062 macce, 1063 macroman, 1064 cp852, 1065 latin7, 1067 macce, 1069-1070 utf8mb4,
      1071 latin1, 1074-1075 cp1251, 1077 macroman, 1078-1079 utf16, 1080 utf16le, 1081 cp1256,
      1082-1083 cp1257, 1084-1085 utf32, 1086 utf16le, 1088 armscii8, 1089 ascii, 1090 cp1250,
      1091 cp1256, 1092 cp866, 1093 dec8, 1094 greek, 1095 hebrew, 1096 hp8, 1097 keybcs2, 1098 koi8r,
      1099 koi8u, 1101 latin2, 1102 latin5, 1103 latin7, 1104 cp850, 1105 cp852, 1106 swe7, 1107 utf8mb3,
      1108 big5, 1109 euckr, 1110 gb2312, 1111 gbk, 1112 sjis, 1113 tis620, 1114 ucs2, 1115 ujis,
      1116-1117 geostd8, 1119-1120 cp932, 1121-1122 eucjpms, 1125 utf16, 1147 utf16, 1152 ucs2,
      1174 ucs2, 1184 utf32, 1206 utf32, 1216 utf8mb3, 1238 utf8mb3, 1248 utf8mb4, 1270 utf8mb4,
      2048-2215 utf8mb3, 2232-2247 utf8mb3, 2304-2471 utf8mb4, 2488-2503 utf8mb4, 2560-2727 ucs2,
      2744-2759 ucs2, 2816-2983 utf16, 3000-3015 utf16, 3072-3239 utf32, 3256-3271 utf32
      """;

  private static final int[] FIRST;
  private static final int[] LAST;
  private static final String[] CHARSET;

  static {
    String[] items = TABLE.replace("\n", " ").split(",");
    FIRST = new int[items.length];
    LAST = new int[items.length];
    CHARSET = new String[items.length];
    for (int i = 0; i < items.length; i++) {
      String[] parts = items[i].trim().split(" ");
      String[] bounds = parts[0].split("-");
      FIRST[i] = Integer.parseInt(bounds[0]);
      LAST[i] = Integer.parseInt(bounds[bounds.length - 1]);
      CHARSET[i] = parts[1];
    }
  }

  private Collations() {}

  /** The character set of collation {@code id}, or null when the id is unknown. */
  public static String charsetOf(int id) {
    int i = Arrays.binarySearch(FIRST, id);
    if (i < 0) {
      i = -i - 2; // the range starting before id
    }
    return i >= 0 && id <= LAST[i] ? CHARSET[i] : null;
  }
}
