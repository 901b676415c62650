package io.syncline.streams.mysql.schema;

import io.syncline.streams.mysql.schema.DdlTokenizer.Token;
import io.syncline.streams.mysql.schema.DdlTokenizer.Type;
import java.util.List;

/** A position in the tokens of one statement, for the small readers of this package. Not thread-safe. */
final class TokenCursor {

  private final List<Token> tokens;
  private int pos;

  /** @param tokens as {@link DdlTokenizer} gives them: the last is {@link Type#END} */
  TokenCursor(List<Token> tokens) {
    this.tokens = tokens;
  }

  Token peek() {
    return tokens.get(pos);
  }

  /** The token {@code ahead} places on (END past the end). */
  Token peekAt(int ahead) {
    int i = pos + ahead;
    return i < 0 ? new Token(Type.END, "", 0) : tokens.get(Math.min(i, tokens.size() - 1));
  }

  /** The next token, consumed (END stays). */
  Token next() {
    Token t = tokens.get(pos);
    if (t.type() != Type.END) {
      pos++;
    }
    return t;
  }

  boolean accept(String word) {
    if (peek().is(word)) {
      pos++;
      return true;
    }
    return false;
  }

  boolean acceptSymbol(char c) {
    if (peek().isSymbol(c)) {
      pos++;
      return true;
    }
    return false;
  }

  boolean atEnd() {
    return peek().type() == Type.END;
  }

  int position() {
    return pos;
  }

  void reset(int position) {
    pos = position;
  }

  /** The next few tokens, for error messages. */
  String near() {
    StringBuilder b = new StringBuilder();
    for (int i = pos; i < Math.min(tokens.size() - 1, pos + 4); i++) {
      b.append(i > pos ? " " : "").append(tokens.get(i).text());
    }
    return b.length() == 0 ? "end of statement" : b.toString();
  }
}
