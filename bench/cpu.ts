/**
 * Where the CPU went during a measurement: the machine's processes (the lab's hosts share its
 * kernel, so theirs are here too), each one's CPU time read from /proc before and after. A
 * sample slower than its pair shows what else ran meanwhile.
 */
import * as fs from "fs";

/** Linux reports CPU time in /proc in USER_HZ ticks, 100 a second on every architecture. */
export const ticksPerSecond = 100;

/** A process's CPU time so far, in ticks: its own, and that of the children it waited for. */
export interface ProcessCpu {
  readonly name: string;
  readonly own: number;
  readonly children: number;
  /** Bytes it caused to be written to storage so far (/proc/PID/io write_bytes); 0 where unreadable. */
  readonly written?: number;
}

/** write_bytes of a /proc/PID/io file (0 when absent). */
export function parseWrittenBytes(procPidIo: string): number {
  const match = /^write_bytes:\s*(\d+)$/m.exec(procPidIo);
  return match === null ? 0 : Number(match[1]);
}

/**
 * Parses a /proc/PID/stat line. The command name in parentheses may hold spaces and parentheses
 * itself: the fields are counted from its last closing one.
 */
export function parseProcessCpu(procPidStat: string): ProcessCpu {
  const open = procPidStat.indexOf("(");
  const close = procPidStat.lastIndexOf(")");
  const fields = procPidStat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state); utime, stime, cutime and cstime are fields 14 to 17.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  if (open < 0 || close < open || ![utime, stime, cutime, cstime].every(Number.isFinite)) {
    throw new Error(`not a /proc/PID/stat line: ${procPidStat.slice(0, 80)}`);
  }
  return { name: procPidStat.slice(open + 1, close), own: utime + stime, children: cutime + cstime };
}

/** Every process's CPU so far, by pid (a process that exits while it is read is left out). */
export function readProcesses(proc = "/proc"): Map<number, ProcessCpu> {
  const processes = new Map<number, ProcessCpu>();
  for (const entry of fs.readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cpu = parseProcessCpu(fs.readFileSync(`${proc}/${entry}/stat`, "utf8"));
      let written = 0;
      try {
        written = parseWrittenBytes(fs.readFileSync(`${proc}/${entry}/io`, "utf8"));
      } catch {
        // Kernel threads and processes of other users may not show their I/O.
      }
      processes.set(Number(entry), { ...cpu, written });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return processes;
}

export interface Consumer {
  readonly pid: number;
  readonly name: string;
  /** CPU seconds between the two readings, its finished children's included. */
  readonly seconds: number;
  /** Megabytes it wrote to storage between the two readings (its own; children's not included). */
  readonly writtenMiB: number;
}

/** How many of the busiest processes a summary keeps: by CPU, then by what the rest wrote. */
export interface TopCounts {
  readonly byCpu: number;
  readonly byWrites: number;
}

/**
 * The processes that used the most CPU between two readings, then those of the rest that wrote
 * the most to storage (a process that only makes others wait on the disk still shows). One
 * started meanwhile counts from zero; one that ended meanwhile is not seen, except through the
 * parent that waited for it.
 */
export function topConsumers(before: ReadonlyMap<number, ProcessCpu>, after: ReadonlyMap<number, ProcessCpu>, counts: TopCounts): Consumer[] {
  const consumers: Consumer[] = [];
  for (const [pid, now] of after) {
    const then = before.get(pid);
    const same = then !== undefined && then.name === now.name && then.own <= now.own;
    const ticks = now.own + now.children - (same ? then.own + then.children : 0);
    const written = (now.written ?? 0) - (same ? (then.written ?? 0) : 0);
    if (ticks > 0 || written > 0) consumers.push({ pid, name: now.name, seconds: ticks / ticksPerSecond, writtenMiB: written / 2 ** 20 });
  }
  const byCpu = consumers.sort((a, b) => b.seconds - a.seconds);
  const writers = byCpu
    .slice(counts.byCpu)
    .filter((consumer) => consumer.writtenMiB > 0)
    .sort((a, b) => b.writtenMiB - a.writtenMiB);
  return [...byCpu.slice(0, counts.byCpu), ...writers.slice(0, counts.byWrites)];
}

/** Time so far that some task waited for a resource, and that all waited (/proc/pressure), in seconds. */
export interface Stall {
  readonly some: number;
  readonly full: number;
}

/** A /proc/pressure/{cpu,io,memory} file: the `total=` of its `some` and `full` lines (microseconds). */
export function parsePressure(text: string): Stall {
  const total = (kind: string) => {
    const match = new RegExp(`^${kind} .*\\btotal=(\\d+)`, "m").exec(text);
    return match === null ? 0 : Number(match[1]) / 1e6;
  };
  return { some: total("some"), full: total("full") };
}

/** CPU and disk stall of the machine so far; zeros on a kernel without pressure accounting. */
export function readStalls(proc = "/proc"): { cpu: Stall; io: Stall } {
  const read = (resource: string) => {
    try {
      return parsePressure(fs.readFileSync(`${proc}/pressure/${resource}`, "utf8"));
    } catch {
      return { some: 0, full: 0 };
    }
  };
  return { cpu: read("cpu"), io: read("io") };
}
