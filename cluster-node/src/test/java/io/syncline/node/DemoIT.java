package io.syncline.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code syncline demo --source mariadb} and {@code --source all}, run briefly in-process (each run
 * starts its own embedded servers, as the command does): the summary lines add up to what the load
 * wrote, and the output files hold exactly those events, in the same envelope shape for both sources.
 */
class DemoIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SUMMARY = Pattern.compile(
      "(?:source=(\\S+) )?captured=(\\d+) inserts=(\\d+) updates=(\\d+) deletes=(\\d+) lag_ms_p99=(\\d+)");
  private static final Pattern WRITTEN = Pattern.compile(
      "syncline demo: (?:(\\S+): )?load stopped after \\d+ s \\((\\d+) inserts, (\\d+) updates, (\\d+) deletes\\)");

  @TempDir
  Path dir;

  record Counts(long captured, long inserts, long updates, long deletes, long lagP99) {}

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource({
    "mariadb, demo_mariadb, mysql, table",
    "mongodb, demo_mongo, mongodb, collection"
  })
  void shouldCaptureOneSourcesLoadAndEndWithTheSummaryLine(String source, String name, String connector, String tableField)
      throws Exception {
    Path out = dir.resolve("out");
    List<String> lines = runDemo(source, out);

    Counts total = parseSummary(lines.get(lines.size() - 1), null);
    Counts written = written(lines).get("");
    assertThat(written.inserts()).as("the load wrote").isPositive();
    assertThat(written.updates()).isPositive();
    assertThat(written.deletes()).isPositive();
    // the seed rows snapshotted, then exactly the load's changes
    assertThat(total).isEqualTo(new Counts(Demo.SEED_CUSTOMERS + Demo.SEED_ORDERS + written.inserts() + written.updates()
        + written.deletes(), written.inserts(), written.updates(), written.deletes(), total.lagP99()));

    Map<String, List<JsonNode>> files = readOutput(out);
    assertThat(files.keySet()).containsExactly(name + ".demo.customers.jsonl", name + ".demo.orders.jsonl");
    assertThat(files.get(name + ".demo.customers.jsonl")).hasSize(Demo.SEED_CUSTOMERS)
        .allSatisfy(e -> assertThat(e.get("op").asText()).isEqualTo("r"));
    List<JsonNode> events = files.get(name + ".demo.orders.jsonl");
    assertThat(events).hasSize((int) total.captured() - Demo.SEED_CUSTOMERS);
    assertThat(events.stream().filter(e -> e.get("op").asText().equals("r")).count()).isEqualTo(Demo.SEED_ORDERS);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.at("/source/connector").asText()).isEqualTo(connector);
      assertThat(e.at("/source/name").asText()).isEqualTo(name);
      assertThat(e.at("/source/" + tableField).asText()).isEqualTo("orders");
      if (!e.get("op").asText().equals("d")) {
        assertThat(e.at("/after/status").isTextual()).as("after has the whole row or document: %s", e).isTrue();
      }
    });
    assertThat(events.stream().filter(e -> e.get("op").asText().equals("c")).count()).isEqualTo(written.inserts());
    assertThat(events.stream().filter(e -> e.get("op").asText().equals("u")).count()).isEqualTo(written.updates());
    assertThat(events.stream().filter(e -> e.get("op").asText().equals("d")).count()).isEqualTo(written.deletes());
  }

  @Test
  void shouldCaptureBothSourcesInOneNodeIntoOneOutputAndSumThemUp() throws Exception {
    Path out = dir.resolve("out");
    List<String> lines = runDemo("all", out);

    int last = lines.size() - 1;
    Counts pg = parseSummary(lines.get(last - 2), "demo_pg");
    Counts maria = parseSummary(lines.get(last - 1), "demo_mariadb");
    Counts total = parseSummary(lines.get(last), null);
    assertThat(total).isEqualTo(new Counts(pg.captured() + maria.captured(), pg.inserts() + maria.inserts(),
        pg.updates() + maria.updates(), pg.deletes() + maria.deletes(), Math.max(pg.lagP99(), maria.lagP99())));
    Map<String, Counts> written = written(lines);
    for (var e : Map.of("demo_pg", pg, "demo_mariadb", maria).entrySet()) {
      Counts w = written.get(e.getKey());
      assertThat(w.inserts()).as("%s load", e.getKey()).isPositive();
      assertThat(e.getValue().inserts()).as("%s inserts", e.getKey()).isEqualTo(w.inserts());
      assertThat(e.getValue().updates()).as("%s updates", e.getKey()).isEqualTo(w.updates());
      assertThat(e.getValue().deletes()).as("%s deletes", e.getKey()).isEqualTo(w.deletes());
    }
    // both snapshot their 250 seed rows first
    assertThat(pg.captured() - pg.inserts() - pg.updates() - pg.deletes()).isEqualTo(
        Demo.SEED_CUSTOMERS + Demo.SEED_ORDERS);
    assertThat(maria.captured() - maria.inserts() - maria.updates() - maria.deletes()).isEqualTo(
        Demo.SEED_CUSTOMERS + Demo.SEED_ORDERS);

    Map<String, List<JsonNode>> files = readOutput(out);
    assertThat(files.keySet()).containsExactly("demo_mariadb.demo.customers.jsonl", "demo_mariadb.demo.orders.jsonl",
        "demo_pg.public.customers.jsonl", "demo_pg.public.orders.jsonl");
    assertThat(files.get("demo_pg.public.customers.jsonl")).hasSize(Demo.SEED_CUSTOMERS);
    assertThat(files.get("demo_pg.public.orders.jsonl")).hasSize((int) pg.captured() - Demo.SEED_CUSTOMERS);
    assertThat(files.get("demo_mariadb.demo.customers.jsonl")).hasSize(Demo.SEED_CUSTOMERS);
    assertThat(files.get("demo_mariadb.demo.orders.jsonl")).hasSize((int) maria.captured() - Demo.SEED_CUSTOMERS);

    // one envelope shape: the same fields, and the same JSON kinds in `after`, for each operation
    List<JsonNode> pgOrders = files.get("demo_pg.public.orders.jsonl");
    List<JsonNode> mariaOrders = files.get("demo_mariadb.demo.orders.jsonl");
    for (String op : List.of("r", "c", "u", "d")) {
      JsonNode p = first(pgOrders, op);
      JsonNode m = first(mariaOrders, op);
      assertThat(fieldNames(m)).as("envelope fields of op %s", op).isEqualTo(fieldNames(p));
      if (op.equals("d")) {
        // PostgreSQL's default replica identity logs only the key of a deleted row; the binlog the whole row
        assertThat(m.at("/before/id").isNumber()).isTrue();
        assertThat(p.at("/before/id").isNumber()).isTrue();
        assertThat(m.get("after").isNull()).isTrue();
        assertThat(p.get("after").isNull()).isTrue();
      } else {
        assertThat(shape(m.get("after"))).as("after of op %s", op).isEqualTo(shape(p.get("after")));
      }
    }
    assertThat(first(mariaOrders, "c").at("/after/tags").toString()).isEqualTo("[\"demo\",\"web\"]");
    assertThat(first(pgOrders, "c").at("/after/tags").toString()).isEqualTo("[\"demo\",\"web\"]");
  }

  private List<String> runDemo(String source, Path out) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    int code;
    try (PrintStream print = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
      code = Demo.run(new Demo.Options(source, Duration.ofSeconds(3), out, false), print);
    }
    String text = buffer.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    assertThat(code).as("demo exit code; its output:\n%s", text).isZero();
    return text.lines().toList();
  }

  private static Counts parseSummary(String line, String source) {
    Matcher m = SUMMARY.matcher(line);
    assertThat(m.matches()).as("summary line: %s", line).isTrue();
    assertThat(m.group(1)).as("source of %s", line).isEqualTo(source);
    return new Counts(Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)),
        Long.parseLong(m.group(5)), Long.parseLong(m.group(6)));
  }

  /** What each load wrote, by source ("" when the demo ran one source), from its "load stopped" line. */
  private static Map<String, Counts> written(List<String> lines) {
    Map<String, Counts> w = new TreeMap<>();
    for (String line : lines) {
      Matcher m = WRITTEN.matcher(line);
      if (m.matches()) {
        w.put(m.group(1) == null ? "" : m.group(1), new Counts(-1, Long.parseLong(m.group(2)),
            Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), -1));
      }
    }
    return w;
  }

  private static Map<String, List<JsonNode>> readOutput(Path out) throws IOException {
    Map<String, List<JsonNode>> files = new TreeMap<>();
    try (var list = Files.list(out)) {
      for (Path f : list.toList()) {
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(f)) {
          events.add(JSON.readTree(line));
        }
        if (!events.isEmpty()) {
          files.put(f.getFileName().toString(), events);
        }
      }
    }
    return files;
  }

  private static JsonNode first(List<JsonNode> events, String op) {
    return events.stream().filter(e -> e.get("op").asText().equals(op)).findFirst()
        .orElseThrow(() -> new AssertionError("no event with op " + op));
  }

  private static TreeSet<String> fieldNames(JsonNode node) {
    TreeSet<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Field name → JSON node type (STRING, NUMBER, ARRAY, OBJECT, NULL ...). */
  private static Map<String, String> shape(JsonNode row) {
    Map<String, String> s = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      s.put(f.getKey(), f.getValue().getNodeType().name());
    }
    return s;
  }
}
