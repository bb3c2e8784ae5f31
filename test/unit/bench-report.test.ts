/** The benchmark's arithmetic and report: medians, ratios of medians, targets, the Markdown table. */
import { describe, expect, it } from "vitest";
import { buildReport, evaluateTargets, guestBootLabel, pairedRatios, renderMarkdown, summarize, summarizeGuestBoot } from "../../bench/report";

/** The date and machine of every report built here. */
const where = { date: new Date("2026-11-21T12:00:00Z"), machine: { cores: 2, memoryGiB: 24, cpu: "test cpu" } };

describe("bench results", () => {
  it("summarizes samples as median, min and max (odd and even counts)", () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, runs: 4 });
    expect(() => summarize([])).toThrow(/no samples/);
  });

  it("judges a median or a ratio of two medians against its limit, skipping what was not measured", () => {
    const measurements = [
      { id: "converge", label: "c", samples: [70, 80, 90], bound: "" },
      { id: "baseline", label: "b", samples: [100, 100, 100], bound: "" },
      { id: "noop", label: "n", samples: [12, 9, 11], bound: "" },
    ];
    const results = evaluateTargets(measurements, [
      { label: "ratio", of: ["converge", "baseline"], atMost: 0.8, unit: "x" },
      { label: "noop", of: ["noop"], atMost: 10, unit: "s" },
      { label: "absent", of: ["preview"], atMost: 8, unit: "s" },
    ]);
    expect(results.map((result) => [result.label, result.value, result.met])).toEqual([
      ["ratio", 0.8, true],
      ["noop", 11, false],
    ]);
  });

  it("judges paired measurements by the median of each pair's ratio, not by the ratio of the medians", () => {
    // Each add sits next to its own host's floor: the floors spread, the adds' overhead does not.
    const measurements = [
      { id: "add", label: "a", samples: [96, 80, 150], bound: "" },
      { id: "floor", label: "f", samples: [90, 70, 120], bound: "" },
    ];
    const [ofMedians, paired] = evaluateTargets(measurements, [
      { label: "medians", of: ["add", "floor"], atMost: 1.1, unit: "x" },
      { label: "paired", of: ["add", "floor"], atMost: 1.1, unit: "x", paired: true },
    ]);
    expect(ofMedians.value).toBeCloseTo(96 / 90);
    expect(paired.value).toBeCloseTo(80 / 70);
    expect(pairedRatios([110, 90, 130], [100, 80])).toEqual([1.1, 90 / 80]);
    const markdown = renderMarkdown(
      buildReport({
        ...where,
        mode: "full",
        measurements,
        targets: [{ label: "add / floor", of: ["add", "floor"], atMost: 1.2, unit: "x", paired: true }],
      }),
    );
    expect(markdown).toContain("| add / floor (*paired*) | 1.14x | 1.2x | yes |");
  });

  it("renders the table with the machine, the mode and each target", () => {
    const report = buildReport({
      ...where,
      mode: "quick",
      measurements: [{ id: "preview", label: "preview", samples: [3.21], bound: "engine start" }],
      targets: [{ label: "preview", of: ["preview"], atMost: 8, unit: "s" }],
    });
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("2026-11-21: 2 cores (test cpu), 24 GiB");
    expect(markdown).toContain("Quick mode");
    expect(markdown).toContain("| preview | 3.2 | 3.2 | 3.2 | 1 | engine start |");
    expect(markdown).toContain("| preview | 3.2 s | 8 s | yes |");
  });

  it("says when only the adds were measured, and how", () => {
    const adds = {
      ...where,
      mode: "full" as const,
      measurements: [{ id: "add-2", label: "add one compute", samples: [90], bound: "" }],
      targets: [],
    };
    expect(renderMarkdown(buildReport({ ...adds, addsOnly: true }))).toContain("`bench/run.sh --adds-only`");
    expect(renderMarkdown(buildReport({ ...adds, addsOnly: true }))).toContain("Adds only:");
    expect(renderMarkdown(buildReport(adds))).not.toContain("Adds only");
  });

  it("keeps what a run measured before it stopped, and says why it stopped and what is missing", () => {
    const report = buildReport({
      ...where,
      mode: "full",
      measurements: [
        { id: "baseline", label: "the guide", samples: [700], bound: "" },
        { id: "converge", label: "cold converge", samples: [], bound: "" },
      ],
      targets: [{ label: "converge / baseline", of: ["converge", "baseline"], atMost: 0.8, unit: "x" }],
      stoppedBy: "pulumi up failed",
    });
    expect(report.measurements.map((entry) => [entry.id, entry.median])).toEqual([["baseline", 700]]);
    expect(report.targets).toEqual([]);
    expect(report.notMeasured).toEqual(["cold converge", guestBootLabel]);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("**The run stopped early: pulumi up failed.**");
    expect(markdown).toContain("| the guide | 700 | 700 | 700 | 1 |  |");
    expect(markdown).toContain(`Not measured: cold converge; ${guestBootLabel}.`);
  });
});

describe("bench results: a real guest's boot beside the fake driver's create", () => {
  const taken = {
    compute: "compute1",
    libvirtMarker: [31.2, 18.4, 19.0, 17.8, 20.5],
    libvirtActive: [9.1, 6.2, 6.0, 5.9, 6.4],
    fakeActive: [5.1, 4.2, 4.6, 4.0, 4.4],
    virtTypes: ["qemu", "qemu", "qemu", "qemu", "qemu"],
    accelerators: ["tcg", "tcg", "tcg", "tcg", "tcg"],
    wallSeconds: 241.7,
  };

  it("takes the medians of each series and the boot's median over the fake create's", () => {
    const figure = summarizeGuestBoot(taken);
    expect(figure.libvirtMarker).toMatchObject({ median: 19.0, min: 17.8, max: 31.2, runs: 5, samples: taken.libvirtMarker });
    expect(figure.libvirtActive?.median).toBe(6.2);
    expect(figure.fakeActive?.median).toBe(4.4);
    expect(figure.ratio).toBeCloseTo(19.0 / 4.4);
    expect([figure.virtType, figure.accelerator]).toEqual(["qemu", "tcg"]);
  });

  it("takes quick mode's two samples each as their mean, and names every accelerator seen", () => {
    const figure = summarizeGuestBoot({
      ...taken,
      libvirtMarker: [30, 20],
      libvirtActive: [8, 6],
      fakeActive: [5, 4],
      virtTypes: ["qemu", "kvm"],
      accelerators: ["tcg", "kvm"],
    });
    expect(figure.ratio).toBeCloseTo(25 / 4.5);
    expect([figure.virtType, figure.accelerator]).toEqual(["qemu, kvm", "tcg, kvm"]);
  });

  it("renders its section in RESULTS.md and keeps its samples in results.json", () => {
    const report = buildReport({ ...where, mode: "full", measurements: [], targets: [], guestBoot: taken });
    expect(report.notMeasured).toEqual([]);
    expect(JSON.parse(JSON.stringify(report)).guestBoot.fakeActive.samples).toEqual(taken.fakeActive);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("## A real guest's boot beside the fake driver's create");
    expect(markdown).toContain("on compute1");
    expect(markdown).toContain("virt_type qemu, accelerator tcg");
    expect(markdown).toContain(
      "| libvirt.LibvirtDriver: create request to the guest's console marker | 19.0 | 17.8 | 31.2 | 5 | 31.2, 18.4, 19.0, 17.8, 20.5 |",
    );
    expect(markdown).toContain("| fake.FakeDriver: create request to ACTIVE | 4.4 | 4.0 | 5.1 | 5 | 5.1, 4.2, 4.6, 4.0, 4.4 |");
    expect(markdown).toContain("**4.3x** the fake driver's create");
    expect(markdown).toContain("The figure took 242 s of the run");
  });

  it("keeps the boots of a run that stopped before the fake driver's creates, and lists the figure as not measured", () => {
    const report = buildReport({
      ...where,
      mode: "quick",
      measurements: [],
      targets: [],
      guestBoot: {
        ...taken,
        libvirtMarker: [22.5],
        libvirtActive: [7],
        fakeActive: [],
        virtTypes: ["qemu"],
        accelerators: ["tcg"],
        wallSeconds: undefined,
      },
      stoppedBy: "pulumi up failed",
    });
    expect(report.guestBoot?.ratio).toBeUndefined();
    expect(report.notMeasured).toEqual([guestBootLabel]);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("| libvirt.LibvirtDriver: create request to the guest's console marker | 22.5 |");
    expect(markdown).not.toContain("fake.FakeDriver: create request to ACTIVE |");
    expect(markdown).not.toContain("The figure took");
  });
});
