package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies run one way: persistence ← streams ← actors ← cluster-node, with {@code embedded}
 * (test and demo servers) a leaf that depends on no Syncline module. Checked on the poms and on
 * every import of the main sources.
 */
class ModuleDependencyTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  /** module → the Syncline packages its main code may import (besides its own). */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "persistence", Set.of("persistence"),
      "streams", Set.of("persistence", "streams"),
      "actors", Set.of("persistence", "streams", "actors"),
      "embedded", Set.of("embedded"),
      "cluster-node", Set.of("persistence", "streams", "actors", "embedded", "node"));

  /** module → the Syncline artifacts its pom may depend on at compile scope. */
  private static final Map<String, Set<String>> ALLOWED_POM = Map.of(
      "persistence", Set.of(),
      "streams", Set.of("syncline-persistence"),
      "actors", Set.of("syncline-streams"),
      "embedded", Set.of(),
      "cluster-node", Set.of("syncline-actors", "syncline-embedded"));

  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.syncline\\.([a-z]+)\\.", Pattern.MULTILINE);
  private static final Pattern DEP = Pattern.compile(
      "<dependency>\\s*<groupId>io\\.syncline</groupId>\\s*<artifactId>([^<]+)</artifactId>(\\s*<scope>([^<]+)</scope>)?");

  @Test
  void shouldImportOnlyDownstreamModulesInMainCode() throws IOException {
    List<String> violations = new ArrayList<>();
    for (var e : ALLOWED.entrySet()) {
      Path src = ROOT.resolve(e.getKey()).resolve("src/main/java");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = IMPORT.matcher(Files.readString(f));
          while (m.find()) {
            if (!e.getValue().contains(m.group(1))) {
              violations.add(ROOT.relativize(f) + " imports io.syncline." + m.group(1));
            }
          }
        }
      }
    }
    assertThat(violations).as("imports against the module direction").isEmpty();
  }

  @Test
  void shouldDeclareOnlyDownstreamModulesInPoms() throws IOException {
    List<String> violations = new ArrayList<>();
    for (var e : ALLOWED_POM.entrySet()) {
      String pom = Files.readString(ROOT.resolve(e.getKey()).resolve("pom.xml"));
      Matcher m = DEP.matcher(pom);
      while (m.find()) {
        boolean testOnly = "test".equals(m.group(3));
        if (!testOnly && !e.getValue().contains(m.group(1))) {
          violations.add(e.getKey() + "/pom.xml depends on " + m.group(1));
        }
      }
    }
    assertThat(violations).as("pom dependencies against the module direction").isEmpty();
  }

  @Test
  void shouldFindEveryModule() {
    for (String module : ALLOWED.keySet()) {
      assertThat(ROOT.resolve(module).resolve("pom.xml")).exists();
    }
  }
}
