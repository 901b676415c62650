package io.syncline.streams.lake;

/** One source column as the lake sees it: its name and its {@link LakeType}. */
public record LakeColumn(String name, LakeType type) {

  public LakeColumn {
    if (name == null || name.isEmpty() || type == null) {
      throw new IllegalArgumentException("a lake column needs a name and a type");
    }
  }
}
