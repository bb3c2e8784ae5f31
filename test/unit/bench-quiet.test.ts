/** The benchmark's quiet wait: the machine's busy share from /proc/stat, and the bounded wait. */
import { describe, expect, it } from "vitest";
import { busyShare, parseCpuTimes, untilQuiet } from "../../bench/quiet";

const stat = (user: number, system: number, idle: number, iowait: number) =>
  `cpu  ${user} 0 ${system} ${idle} ${iowait} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 1 2 3\n`;

describe("bench quiet wait", () => {
  it("counts busy time from the aggregate cpu line, waiting on the disk as busy", () => {
    expect(parseCpuTimes(stat(100, 50, 800, 50))).toEqual({ busy: 200, total: 1000 });
    expect(busyShare(parseCpuTimes(stat(100, 50, 800, 50)), parseCpuTimes(stat(400, 150, 1300, 150)))).toBeCloseTo(500 / 1000);
    expect(busyShare(parseCpuTimes(stat(0, 0, 100, 0)), parseCpuTimes(stat(0, 0, 150, 50)))).toBeCloseTo(0.5);
    expect(() => parseCpuTimes("intr 1 2 3\n")).toThrow(/no aggregate cpu line/);
  });

  it("returns at the first quiet window, and gives up (saying so) when the time is up", async () => {
    const readings = [stat(0, 0, 0, 0), stat(90, 0, 10, 0), stat(90, 0, 10, 0), stat(100, 0, 100, 0)].map(parseCpuTimes);
    let next = 0;
    const quiet = await untilQuiet({ atMostBusy: 0.3, windowSeconds: 0.01, timeoutSeconds: 60 }, () => readings[next++]);
    expect(quiet.quiet).toBe(true);
    expect(quiet.busy).toBeCloseTo(10 / 100);
    expect(next).toBe(4);

    let busyTicks = 0;
    const alwaysBusy = () => parseCpuTimes(stat((busyTicks += 100), 0, 0, 0));
    const busy = await untilQuiet({ atMostBusy: 0.3, windowSeconds: 0.01, timeoutSeconds: 0.05 }, alwaysBusy);
    expect(busy.quiet).toBe(false);
    expect(busy.busy).toBe(1);
    expect(busy.waitedSeconds).toBeGreaterThanOrEqual(0.05);
  });
});
