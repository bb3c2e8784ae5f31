/**
 * Waiting for the machine to be quiet before a measurement. The lab's hosts share this machine's
 * kernel and cores, so /proc/stat here counts their work too: a measurement taken while new
 * hosts still boot or new services still start would time the lab's load, not the installer.
 */
import * as fs from "fs";

/** Cumulative CPU time of the machine, from the first line of /proc/stat (in ticks). */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

export function parseCpuTimes(procStat: string): CpuTimes {
  const line = procStat.split("\n").find((entry) => entry.startsWith("cpu "));
  if (line === undefined) throw new Error("no aggregate cpu line in /proc/stat");
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice)
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  // Waiting on the disk counts as busy: writeback a measurement leaves behind (a host's files,
  // a removed host's blocks discarded) slows the next one's package installation.
  return { busy: total - idle, total };
}

/** The busy share (working or waiting on the disk) of all cores between two readings (0 to 1). */
export function busyShare(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  return total <= 0 ? 0 : (after.busy - before.busy) / total;
}

export interface QuietOptions {
  /** Quiet: at most this busy share of all cores over one window. */
  readonly atMostBusy: number;
  readonly windowSeconds: number;
  /** Bounded: after this long the measurement goes ahead anyway (and says so). */
  readonly timeoutSeconds: number;
}

export interface QuietResult {
  readonly quiet: boolean;
  readonly waitedSeconds: number;
  /** The busy share of the last window. */
  readonly busy: number;
}

/** The machine's CPU times now. */
export const readCpuTimes = (): CpuTimes => parseCpuTimes(fs.readFileSync("/proc/stat", "utf8"));
const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Waits, window after window, until one window is quiet or the time is up. */
export async function untilQuiet(options: QuietOptions, read: () => CpuTimes = readCpuTimes): Promise<QuietResult> {
  const started = Date.now();
  for (;;) {
    const before = read();
    await sleep(options.windowSeconds);
    const busy = busyShare(before, read());
    const waitedSeconds = (Date.now() - started) / 1000;
    if (busy <= options.atMostBusy) return { quiet: true, waitedSeconds, busy };
    if (waitedSeconds >= options.timeoutSeconds) return { quiet: false, waitedSeconds, busy };
  }
}
