/**
 * Benchmark results: samples -> medians with min and max, ratios measured in the same run,
 * each figure against its target, rendered as JSON and as the Markdown of bench/RESULTS.md.
 * Pure: the runner (bench/run.ts) measures, this file only computes and renders. Not named
 * results.ts: `./results` would resolve to the results.json next to it before any .ts file.
 */

/** One measured quantity: its samples in seconds. */
export interface Measurement {
  readonly id: string;
  readonly label: string;
  readonly samples: readonly number[];
  /** What bounds the figure: the floor it is near, or what keeps it from it. */
  readonly bound: string;
}

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("summarize: no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

/** A target: a figure (a median, or a ratio of two medians) and the limit it must stay under. */
export interface Target {
  readonly label: string;
  /** Ids of the measurements: one (its median, seconds) or two (numerator / denominator medians). */
  readonly of: readonly [string] | readonly [string, string];
  readonly atMost: number;
  readonly unit: "s" | "x";
}

export interface TargetResult extends Target {
  readonly value: number;
  readonly met: boolean;
}

export function evaluateTargets(measurements: readonly Measurement[], targets: readonly Target[]): TargetResult[] {
  const measured = measurements.filter((measurement) => measurement.samples.length > 0);
  const medians = new Map(measured.map((measurement) => [measurement.id, summarize(measurement.samples).median]));
  const median = (id: string): number => {
    const value = medians.get(id);
    if (value === undefined) throw new Error(`target refers to unmeasured ${id}`);
    return value;
  };
  return targets
    .filter((target) => target.of.every((id) => medians.has(id)))
    .map((target) => {
      const value = target.of.length === 1 ? median(target.of[0]) : median(target.of[0]) / median(target.of[1]);
      return { ...target, value, met: value <= target.atMost };
    });
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { readonly cores: number; readonly memoryGiB: number; readonly cpu: string };
  readonly mode: "full" | "quick";
  readonly measurements: readonly (Measurement & Summary)[];
  readonly targets: readonly TargetResult[];
  /** Labels of the measurements without a sample: the run stopped before them. */
  readonly notMeasured: readonly string[];
  /** Why the run stopped early, when it did: what it measured before is kept. */
  readonly stoppedBy?: string;
}

export function buildReport(options: {
  date: Date;
  machine: BenchReport["machine"];
  mode: BenchReport["mode"];
  measurements: readonly Measurement[];
  targets: readonly Target[];
  stoppedBy?: string;
}): BenchReport {
  const measured = options.measurements.filter((measurement) => measurement.samples.length > 0);
  return {
    date: options.date.toISOString(),
    machine: options.machine,
    mode: options.mode,
    measurements: measured.map((measurement) => ({ ...measurement, ...summarize(measurement.samples) })),
    targets: evaluateTargets(options.measurements, options.targets),
    notMeasured: options.measurements.filter((measurement) => measurement.samples.length === 0).map((measurement) => measurement.label),
    ...(options.stoppedBy === undefined ? {} : { stoppedBy: options.stoppedBy }),
  };
}

const seconds = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

export function renderMarkdown(report: BenchReport): string {
  const lines = [
    "# Benchmark results",
    "",
    `Produced by \`bench/run.sh${report.mode === "quick" ? " --quick" : ""}\` on ${report.date.slice(0, 10)}: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memoryGiB} GiB.` +
      (report.mode === "quick" ? " **Quick mode: one run of each, smaller labs, hosts started with their packages installed; figures prove the script works, they are not results.**" : ""),
    "",
    ...(report.stoppedBy === undefined ? [] : [`**The run stopped early: ${report.stoppedBy}.** What it measured before is below.`, ""]),
    "| measurement | median (s) | min | max | runs | what bounds it |",
    "|---|---:|---:|---:|---:|---|",
    ...report.measurements.map(
      (entry) => `| ${entry.label} | ${seconds(entry.median)} | ${seconds(entry.min)} | ${seconds(entry.max)} | ${entry.runs} | ${entry.bound} |`,
    ),
    "",
    "| target | figure | limit | met |",
    "|---|---:|---:|---|",
    ...report.targets.map(
      (target) =>
        `| ${target.label} | ${target.unit === "x" ? `${target.value.toFixed(2)}x` : `${seconds(target.value)} s`} | ${target.unit === "x" ? `${target.atMost}x` : `${target.atMost} s`} | ${target.met ? "yes" : "**no**"} |`,
    ),
    "",
    ...(report.notMeasured.length === 0 ? [] : [`Not measured: ${report.notMeasured.join("; ")}.`, ""]),
  ];
  return lines.join("\n");
}
