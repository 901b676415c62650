package io.syncline.streams.event;

/** A value that already is JSON text (PostgreSQL json/jsonb, MySQL JSON): embedded as JSON, not as a string. */
public record JsonText(String json) {

  /**
   * The value of a relational JSON column whose JSON text is {@code json}: {@link JsonNull#LITERAL}
   * when it is the literal {@code null} (with any whitespace around it), else the text.
   */
  public static Object valueOf(String json) {
    return isNullLiteral(json) ? JsonNull.LITERAL : new JsonText(json);
  }

  private static boolean isNullLiteral(String json) {
    int start = 0;
    int end = json.length();
    while (start < end && isJsonWhitespace(json.charAt(start))) {
      start++;
    }
    while (end > start && isJsonWhitespace(json.charAt(end - 1))) {
      end--;
    }
    return end - start == 4 && json.startsWith("null", start);
  }

  private static boolean isJsonWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }
}
