package io.syncline.streams.mysql.schema;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a MySQL/MariaDB statement into tokens: words, {@code `quoted`} identifiers, strings
 * ({@code '…'} and {@code "…"}, with doubled quotes and backslash escapes), numbers and single
 * symbols. Comments ({@code -- }, {@code #}, {@code /* … *}{@code /}) are dropped. The content of an
 * executable comment ({@code /*! … *}{@code /}, {@code /*!50100 … *}{@code /}, {@code /*M!100100 … *}{@code /})
 * is kept where the server that wrote the statement ran it ({@link ServerVersion#runs}) and dropped
 * where it did not: MariaDB and MySQL read the version as the lexers of their sources do (MariaDB:
 * five or six digits; MySQL: five, or six followed by a space).
 */
final class DdlTokenizer {

  /** Token kinds. */
  enum Type { WORD, QUOTED, STRING, NUMBER, SYMBOL, END }

  /** One token; {@code text} is unquoted for QUOTED and STRING. */
  record Token(Type type, String text, int offset) {
    boolean is(String word) {
      return type == Type.WORD && text.equalsIgnoreCase(word);
    }

    boolean isSymbol(char c) {
      return type == Type.SYMBOL && text.length() == 1 && text.charAt(0) == c;
    }
  }

  private DdlTokenizer() {}

  /** Tokens of {@code sql} as MariaDB 11.4 reads it. */
  static List<Token> tokenize(String sql) {
    return tokenize(sql, ServerVersion.MARIADB_11_4);
  }

  /** Tokens of {@code sql} as {@code server} reads it. */
  static List<Token> tokenize(String sql, ServerVersion server) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = sql.length();
    int executableComments = 0;
    while (i < n) {
      char c = sql.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '#' || (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-'
          && (i + 2 >= n || Character.isWhitespace(sql.charAt(i + 2))))) {
        while (i < n && sql.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int body = i + 2;
        boolean maria = sql.startsWith("M!", body);
        if (maria || (body < n && sql.charAt(body) == '!')) {
          int digits = body + (maria ? 2 : 1);
          int count = 0;
          while (count < 7 && digits + count < n && Character.isDigit(sql.charAt(digits + count))) {
            count++;
          }
          int length = count < 5 ? 0
              : count >= 6 && (server.mariaDb() || digits + 6 >= n || Character.isWhitespace(sql.charAt(digits + 6))) ? 6
              : 5;
          long version = length == 0 ? -1 : Long.parseLong(sql.substring(digits, digits + length));
          if (server.runs(maria, version)) {
            i = digits + length;
            executableComments++;
          } else {
            int end = sql.indexOf("*/", digits);
            i = end < 0 ? n : end + 2;
          }
        } else {
          int end = sql.indexOf("*/", body);
          i = end < 0 ? n : end + 2;
        }
      } else if (c == '*' && executableComments > 0 && i + 1 < n && sql.charAt(i + 1) == '/') {
        executableComments--;
        i += 2;
      } else if (c == '`') {
        StringBuilder b = new StringBuilder();
        int start = i++;
        while (i < n) {
          char d = sql.charAt(i++);
          if (d == '`') {
            if (i < n && sql.charAt(i) == '`') {
              b.append('`');
              i++;
            } else {
              break;
            }
          } else {
            b.append(d);
          }
        }
        out.add(new Token(Type.QUOTED, b.toString(), start));
      } else if (c == '\'' || c == '"') {
        StringBuilder b = new StringBuilder();
        int start = i++;
        while (i < n) {
          char d = sql.charAt(i++);
          if (d == '\\' && i < n) {
            char e = sql.charAt(i++);
            b.append(switch (e) {
              case 'n' -> '\n';
              case 't' -> '\t';
              case 'r' -> '\r';
              case '0' -> '\0';
              default -> e;
            });
          } else if (d == c) {
            if (i < n && sql.charAt(i) == c) {
              b.append(c);
              i++;
            } else {
              break;
            }
          } else {
            b.append(d);
          }
        }
        out.add(new Token(Type.STRING, b.toString(), start));
      } else if (isWordChar(c)) {
        int start = i;
        while (i < n && isWordChar(sql.charAt(i))) {
          i++;
        }
        boolean digits = sql.substring(start, i).chars().allMatch(Character::isDigit);
        if (digits && i + 1 < n && sql.charAt(i) == '.' && Character.isDigit(sql.charAt(i + 1))) {
          i++;
          while (i < n && Character.isDigit(sql.charAt(i))) {
            i++;
          }
        }
        String text = sql.substring(start, i);
        out.add(new Token(digits ? Type.NUMBER : Type.WORD, text, start));
      } else {
        out.add(new Token(Type.SYMBOL, String.valueOf(c), i));
        i++;
      }
    }
    out.add(new Token(Type.END, "", n));
    return out;
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c >= 0x80;
  }
}
