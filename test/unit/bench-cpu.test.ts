/** The benchmark's CPU accounting: /proc/PID/stat parsing and the top consumers between two readings. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parsePressure, parseProcessCpu, parseWrittenBytes, readProcesses, readStalls, topConsumers } from "../../bench/cpu";

// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
const stat = (pid: number, comm: string, utime: number, stime: number, cutime: number, cstime: number) =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194304 97 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 7003374 3133440 390\n`;

describe("bench CPU accounting", () => {
  it("reads a process's own and its finished children's ticks, a name with spaces and parentheses included", () => {
    expect(parseProcessCpu(stat(42, "node", 7, 3, 120, 35))).toEqual({ name: "node", own: 10, children: 155 });
    expect(parseProcessCpu(stat(42, "a) b (c", 1, 2, 3, 4))).toEqual({ name: "a) b (c", own: 3, children: 7 });
    expect(() => parseProcessCpu("garbage")).toThrow(/not a \/proc\/PID\/stat line/);
  });

  it("ranks what each process used between two readings; one started meanwhile counts from zero, a reused pid too", () => {
    const before = new Map([
      [1, parseProcessCpu(stat(1, "dpkg", 100, 0, 0, 0))],
      [2, parseProcessCpu(stat(2, "bash", 10, 0, 50, 0))],
      [3, parseProcessCpu(stat(3, "idle", 5, 5, 0, 0))],
      [4, parseProcessCpu(stat(4, "old", 900, 0, 0, 0))],
    ]);
    const after = new Map([
      [1, parseProcessCpu(stat(1, "dpkg", 400, 100, 0, 0))],
      [2, parseProcessCpu(stat(2, "bash", 10, 0, 850, 0))],
      [3, parseProcessCpu(stat(3, "idle", 5, 5, 0, 0))],
      [4, parseProcessCpu(stat(4, "new", 20, 0, 0, 0))],
      [5, parseProcessCpu(stat(5, "python3", 150, 50, 0, 0))],
    ]);
    after.set(6, { ...parseProcessCpu(stat(6, "jbd2/sda1-8", 0, 0, 0, 0)), written: 3 * 2 ** 20 });
    before.set(6, { ...parseProcessCpu(stat(6, "jbd2/sda1-8", 0, 0, 0, 0)), written: 2 ** 20 });
    expect(topConsumers(before, after, { byCpu: 10, byWrites: 5 })).toEqual([
      { pid: 2, name: "bash", seconds: 8, writtenMiB: 0 },
      { pid: 1, name: "dpkg", seconds: 4, writtenMiB: 0 },
      { pid: 5, name: "python3", seconds: 2, writtenMiB: 0 },
      { pid: 4, name: "new", seconds: 0.2, writtenMiB: 0 },
      { pid: 6, name: "jbd2/sda1-8", seconds: 0, writtenMiB: 2 },
    ]);
  });

  it("keeps the busiest by CPU, then the biggest writers of the rest; none that wrote nothing", () => {
    const reading = (written: number, utime: number) => ({ ...parseProcessCpu(stat(1, "p", utime, 0, 0, 0)), written: written * 2 ** 20 });
    const before = new Map([1, 2, 3, 4, 5].map((pid) => [pid, reading(0, 0)]));
    const after = new Map([
      [1, reading(1, 300)],
      [2, reading(0, 200)],
      [3, reading(5, 100)],
      [4, reading(9, 50)],
      [5, reading(0, 10)],
    ]);
    const picked = (byCpu: number, byWrites: number) => topConsumers(before, after, { byCpu, byWrites }).map((consumer) => consumer.pid);
    expect(picked(2, 2)).toEqual([1, 2, 4, 3]);
    expect(picked(2, 1)).toEqual([1, 2, 4]);
    expect(picked(4, 5)).toEqual([1, 2, 3, 4]);
    expect(picked(0, 10)).toEqual([4, 3, 1]);
  });

  it("reads every numbered entry of a /proc directory and skips the rest", () => {
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), "proc-"));
    for (const [pid, line] of [
      ["7", stat(7, "sshd", 1, 1, 0, 0)],
      ["9", "truncated"],
    ]) {
      fs.mkdirSync(path.join(proc, pid));
      fs.writeFileSync(path.join(proc, pid, "stat"), line);
    }
    fs.mkdirSync(path.join(proc, "self"));
    fs.writeFileSync(path.join(proc, "stat"), "cpu 1 2 3\n");
    fs.writeFileSync(path.join(proc, "7", "io"), "rchar: 10\nwchar: 20\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n");
    expect([...readProcesses(proc)]).toEqual([[7, { name: "sshd", own: 2, children: 0, written: 8192 }]]);
    expect(parseWrittenBytes("rchar: 1\n")).toBe(0);
    fs.rmSync(proc, { recursive: true, force: true });
  });

  it("reads the machine's stall totals from /proc/pressure, zeros where the kernel keeps none", () => {
    const cpu = "some avg10=8.76 avg60=9.26 avg300=21.38 total=28932084477\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    expect(parsePressure(cpu)).toEqual({ some: 28932.084477, full: 0 });
    expect(parsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=1500000\n")).toEqual({ some: 1.5, full: 0 });
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), "proc-"));
    fs.mkdirSync(path.join(proc, "pressure"));
    fs.writeFileSync(path.join(proc, "pressure", "io"), "some avg10=1 avg60=1 avg300=1 total=3000000\nfull avg10=1 avg60=1 avg300=1 total=2000000\n");
    expect(readStalls(proc)).toEqual({ cpu: { some: 0, full: 0 }, io: { some: 3, full: 2 } });
    fs.rmSync(proc, { recursive: true, force: true });
  });
});
