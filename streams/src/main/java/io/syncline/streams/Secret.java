package io.syncline.streams;

/** A password or token: its value is never part of {@code toString()}, logs or error messages. */
public record Secret(String value) {

  public boolean isEmpty() {
    return value == null || value.isEmpty();
  }

  @Override
  public String toString() {
    return "Secret[****]";
  }
}
