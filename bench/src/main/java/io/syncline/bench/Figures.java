package io.syncline.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of a benchmark session: per figure one value per run and, where it has a reference
 * measured in the same run, the ratio of that run. Reports medians over the runs: the median value
 * and the median of the per-run ratios (not the ratio of the medians), printed as {@code RESULT} lines.
 */
final class Figures {

  /** No reference: the ratio prints as {@code na}. */
  static final String NONE = "na";

  /**
   * One figure over the runs.
   *
   * @param reference what the ratio is to ({@link #NONE} when there is none)
   * @param ratios per run, value / reference value of the same run (empty when there is no reference)
   */
  record Figure(String name, String unit, String reference, List<Double> values, List<Double> ratios) {

    double median() {
      return BenchSupport.median(values);
    }

    /** Median of the per-run ratios, NaN when there is no reference. */
    double medianRatio() {
      return ratios.isEmpty() ? Double.NaN : BenchSupport.median(ratios);
    }
  }

  private final Map<String, Figure> figures = new LinkedHashMap<>();

  /** Records a run's value of a figure that has no reference. */
  void add(String name, String unit, double value) {
    figure(name, unit, NONE).values().add(value);
  }

  /** Records a run's value of a figure and the value of its reference in the same run. */
  void add(String name, String unit, double value, String reference, double referenceValue) {
    if (!(referenceValue > 0)) {
      throw new IllegalArgumentException("figure " + name + ": reference " + reference + " measured " + referenceValue);
    }
    Figure f = figure(name, unit, reference);
    f.values().add(value);
    f.ratios().add(value / referenceValue);
  }

  private Figure figure(String name, String unit, String reference) {
    Figure f = figures.computeIfAbsent(name, n -> new Figure(n, unit, reference, new ArrayList<>(), new ArrayList<>()));
    if (!f.unit().equals(unit) || !f.reference().equals(reference)) {
      throw new IllegalArgumentException("figure " + name + " was recorded as " + f.unit() + " against "
          + f.reference() + ", now as " + unit + " against " + reference);
    }
    return f;
  }

  /** One {@code RESULT} line per figure, in the order they were first recorded. */
  List<String> resultLines() {
    List<String> lines = new ArrayList<>();
    for (Figure f : figures.values()) {
      lines.add(resultLine(f.name(), f.median(), f.unit(), f.medianRatio(), f.reference()));
    }
    return lines;
  }

  /**
   * {@code RESULT name=<figure> value=<number> unit=<unit> ratio=<number or na> reference=<what the ratio is to>}.
   */
  static String resultLine(String name, double value, String unit, double ratio, String reference) {
    return "RESULT name=" + name + " value=" + number(value) + " unit=" + unit + " ratio="
        + (Double.isNaN(ratio) ? NONE : String.format(Locale.ROOT, "%.2f", ratio)) + " reference=" + reference;
  }

  /** Whole numbers from 100 up, two decimals below (latencies, CPU seconds, MB/s). */
  static String number(double v) {
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  /** The run-by-run values of each figure, for the log above the RESULT lines. */
  List<String> table() {
    List<String> lines = new ArrayList<>();
    for (Figure f : figures.values()) {
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-34s %-9s", f.name(), f.unit()));
      for (int i = 0; i < f.values().size(); i++) {
        b.append(' ').append(number(f.values().get(i)));
        if (!f.ratios().isEmpty()) {
          b.append(String.format(Locale.ROOT, " (%.2f)", f.ratios().get(i)));
        }
      }
      b.append("  median ").append(number(f.median()));
      if (!f.ratios().isEmpty()) {
        b.append(String.format(Locale.ROOT, " ratio %.2f to %s", f.medianRatio(), f.reference()));
      }
      lines.add(b.toString());
    }
    return lines;
  }
}
