package io.syncline.streams.event;

/** A value that already is JSON text (PostgreSQL json/jsonb, MySQL JSON): embedded as JSON, not as a string. */
public record JsonText(String json) {}
