package io.syncline.streams.mysql.schema;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a MySQL/MariaDB statement into tokens: words, {@code `quoted`} identifiers, strings
 * ({@code '…'} and {@code "…"}, with doubled quotes and backslash escapes), numbers and single
 * symbols. Comments ({@code -- }, {@code #}, {@code /* … *}{@code /}) are dropped; the content of
 * executable comments ({@code /*!50100 … *}{@code /}, {@code /*M!100000 … *}{@code /}) is kept,
 * as the server runs it.
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

  static List<Token> tokenize(String sql) {
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
        if (body < n && sql.charAt(body) == '!' || sql.startsWith("M!", body)) {
          i = body + (sql.charAt(body) == '!' ? 1 : 2);
          while (i < n && Character.isDigit(sql.charAt(i))) {
            i++;
          }
          executableComments++;
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
