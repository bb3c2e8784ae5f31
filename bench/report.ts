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

/**
 * A target: a figure (a median, or a ratio of two medians, or the median of paired ratios) and
 * the limit it must stay under.
 */
export interface Target {
  readonly label: string;
  /** Ids of the measurements: one (its median, seconds) or two (numerator / denominator). */
  readonly of: readonly [string] | readonly [string, string];
  readonly atMost: number;
  readonly unit: "s" | "x";
  /**
   * The two measurements were taken in pairs, sample i of one next to sample i of the other
   * (an add and its own host's floor, back to back): the figure is the median of the pairs'
   * ratios, so a floor's spread between hosts does not enter it. Default: ratio of the medians.
   */
  readonly paired?: boolean;
}

export interface TargetResult extends Target {
  readonly value: number;
  readonly met: boolean;
}

/** Sample i of `numerator` over sample i of `denominator`, for the pairs both have. */
export function pairedRatios(numerator: readonly number[], denominator: readonly number[]): number[] {
  const pairs = Math.min(numerator.length, denominator.length);
  return numerator.slice(0, pairs).map((value, index) => value / denominator[index]);
}

export function evaluateTargets(measurements: readonly Measurement[], targets: readonly Target[]): TargetResult[] {
  const samplesOf = new Map(
    measurements.filter((measurement) => measurement.samples.length > 0).map((measurement) => [measurement.id, measurement.samples]),
  );
  const samples = (id: string): readonly number[] => {
    const value = samplesOf.get(id);
    if (value === undefined) throw new Error(`target refers to unmeasured ${id}`);
    return value;
  };
  const median = (id: string): number => summarize(samples(id)).median;
  const figure = (target: Target): number => {
    if (target.of.length === 1) return median(target.of[0]);
    const [numerator, denominator] = target.of;
    return target.paired ? summarize(pairedRatios(samples(numerator), samples(denominator))).median : median(numerator) / median(denominator);
  };
  return targets
    .filter((target) => target.of.every((id) => samplesOf.has(id)))
    .map((target) => {
      const value = figure(target);
      return { ...target, value, met: value <= target.atMost };
    });
}

/**
 * A real guest's boot beside the fake driver's create, taken on one compute of one lab in one
 * run: the guest boots through libvirt.LibvirtDriver, then the stack is switched to
 * fake.FakeDriver and servers of the same image and flavor are created on the same compute.
 * Every time runs from the create request (the client's start on the controller included).
 */
export interface GuestBootSamples {
  /** The compute every server was created on. */
  readonly compute: string;
  /** libvirt.LibvirtDriver: seconds from the create request to the guest's console marker, in order. */
  readonly libvirtMarker: readonly number[];
  /** The same boots: seconds from the create request to ACTIVE. */
  readonly libvirtActive: readonly number[];
  /** fake.FakeDriver: seconds from the create request to ACTIVE, in order. */
  readonly fakeActive: readonly number[];
  /** Each boot's libvirt domain type: the virt_type the guest ran with. */
  readonly virtTypes: readonly string[];
  /** Each boot's QEMU accelerator: tcg or kvm. */
  readonly accelerators: readonly string[];
  /** What the figure cost the run, in seconds: both driver switches (`pulumi up`), the boots and the creates. */
  readonly wallSeconds?: number;
}

/** A series' samples (seconds, in the order taken) and their summary. */
export type Series = { readonly samples: readonly number[] } & Summary;

export interface GuestBootFigure {
  readonly compute: string;
  readonly libvirtMarker?: Series;
  readonly libvirtActive?: Series;
  readonly fakeActive?: Series;
  /** The median boot to the marker over the median fake create to ACTIVE, when both were taken. */
  readonly ratio?: number;
  /** The virt_type the guests ran with; several, comma-separated, if they differed. */
  readonly virtType: string;
  /** QEMU's accelerator the guests ran with; several, comma-separated, if they differed. */
  readonly accelerator: string;
  readonly wallSeconds?: number;
}

/** What RESULTS.md lists as not measured when the figure has no boot or no create. */
export const guestBootLabel = "a real guest's boot through libvirt beside the fake driver's create";

const series = (samples: readonly number[]): Series | undefined => (samples.length === 0 ? undefined : { samples, ...summarize(samples) });

/** The distinct values, in the order first seen: one when every boot agreed. */
const distinct = (values: readonly string[]): string => (values.length === 0 ? "unknown" : [...new Set(values)].join(", "));

export function summarizeGuestBoot(samples: GuestBootSamples): GuestBootFigure {
  const [libvirtMarker, libvirtActive, fakeActive] = [samples.libvirtMarker, samples.libvirtActive, samples.fakeActive].map(series);
  return {
    compute: samples.compute,
    ...(libvirtMarker === undefined ? {} : { libvirtMarker }),
    ...(libvirtActive === undefined ? {} : { libvirtActive }),
    ...(fakeActive === undefined ? {} : { fakeActive }),
    ...(libvirtMarker === undefined || fakeActive === undefined ? {} : { ratio: libvirtMarker.median / fakeActive.median }),
    virtType: distinct(samples.virtTypes),
    accelerator: distinct(samples.accelerators),
    ...(samples.wallSeconds === undefined ? {} : { wallSeconds: samples.wallSeconds }),
  };
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { readonly cores: number; readonly memoryGiB: number; readonly cpu: string };
  readonly mode: "full" | "quick";
  /** Only the adds and their floors were measured (`--adds-only`). Default false. */
  readonly addsOnly?: boolean;
  /** Only `pulumi refresh` and `nova-installer drift` were measured (`--read-backs-only`). Default false. */
  readonly readBacksOnly?: boolean;
  readonly measurements: readonly (Measurement & Summary)[];
  readonly targets: readonly TargetResult[];
  /** The real guest's boot beside the fake driver's create, when the run took it. */
  readonly guestBoot?: GuestBootFigure;
  /** Labels of the measurements without a sample: the run stopped before them. */
  readonly notMeasured: readonly string[];
  /** Why the run stopped early, when it did: what it measured before is kept. */
  readonly stoppedBy?: string;
}

export function buildReport(options: {
  date: Date;
  machine: BenchReport["machine"];
  mode: BenchReport["mode"];
  addsOnly?: boolean;
  readBacksOnly?: boolean;
  measurements: readonly Measurement[];
  targets: readonly Target[];
  guestBoot?: GuestBootSamples;
  stoppedBy?: string;
}): BenchReport {
  // A partial run (--adds-only, --read-backs-only) lists as not measured only what it would take.
  const taken = options.readBacksOnly ? (measurement: Measurement) => /^(refresh|drift)-/.test(measurement.id) : () => true;
  const measured = options.measurements.filter((measurement) => measurement.samples.length > 0);
  const guestBoot = options.guestBoot === undefined ? undefined : summarizeGuestBoot(options.guestBoot);
  const guestBootTaken = guestBoot?.ratio !== undefined;
  return {
    date: options.date.toISOString(),
    machine: options.machine,
    mode: options.mode,
    ...(options.addsOnly ? { addsOnly: true } : {}),
    ...(options.readBacksOnly ? { readBacksOnly: true } : {}),
    measurements: measured.map((measurement) => ({ ...measurement, ...summarize(measurement.samples) })),
    targets: evaluateTargets(options.measurements, options.targets),
    ...(guestBoot === undefined ? {} : { guestBoot }),
    notMeasured: [
      ...options.measurements.filter((measurement) => measurement.samples.length === 0 && taken(measurement)).map((measurement) => measurement.label),
      ...(guestBootTaken || options.readBacksOnly ? [] : [guestBootLabel]),
    ],
    ...(options.stoppedBy === undefined ? {} : { stoppedBy: options.stoppedBy }),
  };
}

const seconds = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

export function renderMarkdown(report: BenchReport): string {
  const lines = [
    "# Benchmark results",
    "",
    `Produced by \`bench/run.sh${report.mode === "quick" ? " --quick" : ""}${report.addsOnly ? " --adds-only" : ""}${report.readBacksOnly ? " --read-backs-only" : ""}\` on ${report.date.slice(0, 10)}: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memoryGiB} GiB.` +
      (report.mode === "quick"
        ? " **Quick mode: one run of each, smaller labs, hosts started with their packages installed; figures prove the script works, they are not results.**"
        : "") +
      (report.addsOnly ? " Adds only: the adds and their hosts' floors, on a lab converged once first; the other figures were not taken." : "") +
      (report.readBacksOnly
        ? " Read-backs only: `pulumi refresh` and `nova-installer drift` on labs converged once first (hosts started with their packages installed: a read-back does not depend on how they got there); the other figures were not taken."
        : ""),
    "",
    ...(report.stoppedBy === undefined ? [] : [`**The run stopped early: ${report.stoppedBy}.** What it measured before is below.`, ""]),
    "| measurement | median (s) | min | max | runs | what bounds it |",
    "|---|---:|---:|---:|---:|---|",
    ...report.measurements.map(
      (entry) => `| ${entry.label} | ${seconds(entry.median)} | ${seconds(entry.min)} | ${seconds(entry.max)} | ${entry.runs} | ${entry.bound} |`,
    ),
    "",
    "Ratios are of medians, except those marked *paired*: the median of each run's own ratio.",
    "",
    "| target | figure | limit | met |",
    "|---|---:|---:|---|",
    ...report.targets.map(
      (target) =>
        `| ${target.label}${target.paired ? " (*paired*)" : ""} | ${target.unit === "x" ? `${target.value.toFixed(2)}x` : `${seconds(target.value)} s`} | ${target.unit === "x" ? `${target.atMost}x` : `${target.atMost} s`} | ${target.met ? "yes" : "**no**"} |`,
    ),
    "",
    ...(report.guestBoot === undefined ? [] : renderGuestBoot(report.guestBoot)),
    ...(report.notMeasured.length === 0 ? [] : [`Not measured: ${report.notMeasured.join("; ")}.`, ""]),
  ];
  return lines.join("\n");
}

/** The section of RESULTS.md for the guest boot figure: what was taken of it, how, and the ratio. */
export function renderGuestBoot(figure: GuestBootFigure): string[] {
  const rows: [string, Series | undefined][] = [
    ["libvirt.LibvirtDriver: create request to the guest's console marker", figure.libvirtMarker],
    ["libvirt.LibvirtDriver, the same boots: create request to ACTIVE", figure.libvirtActive],
    ["fake.FakeDriver: create request to ACTIVE", figure.fakeActive],
  ];
  const taken = rows.filter((row): row is [string, Series] => row[1] !== undefined);
  return [
    "## A real guest's boot beside the fake driver's create",
    "",
    `One server at a time on ${figure.compute}, each created, timed and deleted, on one lab: first with libvirt.LibvirtDriver ` +
      `(the test guest ran with virt_type ${figure.virtType}, accelerator ${figure.accelerator}), then with the stack switched to ` +
      "fake.FakeDriver, same image and flavor. Times run from the create request, the client's start on the controller included.",
    "",
    "| measurement | median (s) | min | max | runs | samples, in order |",
    "|---|---:|---:|---:|---:|---|",
    ...taken.map(
      ([label, entry]) =>
        `| ${label} | ${seconds(entry.median)} | ${seconds(entry.min)} | ${seconds(entry.max)} | ${entry.runs} | ${entry.samples.map(seconds).join(", ")} |`,
    ),
    "",
    ...(figure.ratio === undefined
      ? []
      : [`A real boot to its marker takes **${figure.ratio.toFixed(1)}x** the fake driver's create to ACTIVE (median over median).`]),
    ...(figure.wallSeconds === undefined
      ? []
      : [`The figure took ${seconds(figure.wallSeconds)} s of the run, both driver switches (\`pulumi up\`) included.`]),
    "",
  ];
}
