/**
 * Booting and stopping one host as a systemd-nspawn machine.
 *
 * This machine has no systemd as PID 1 and no system bus, so nspawn cannot register machines
 * or create scope units: it runs as a detached background process (`--register=no
 * --keep-unit`), tracked by a pid file, its console written to a log.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { currentCgroupHierarchies, machineCgroupDirs, nspawnLaunchCommand, removeMachineCgroups } from "./cgroups";
import { LabSpec } from "./config";
import { processAlive } from "./image";
import { LabHost } from "./network";
import { rootOverlayUpperDir } from "./mounts";
import { HostLayout } from "./paths";

/** The systemd-nspawn command line of a host. Pure. */
export function nspawnArguments(host: LabHost, spec: LabSpec, root: string): string[] {
  return [
    "--register=no",
    "--keep-unit",
    `--directory=${root}`,
    "--boot",
    `--machine=${host.machine}`,
    `--hostname=${host.name}`,
    `--network-bridge=${spec.bridge}`,
    // MariaDB, RabbitMQ and libvirt (later issues) use capabilities nspawn drops by default
    // (e.g. CAP_SYS_RESOURCE, CAP_NET_ADMIN, CAP_SYS_NICE); these are throwaway test hosts.
    "--capability=all",
    // Keep the machine's own journal and name resolution out of the hosts: /etc/hosts is theirs.
    "--link-journal=no",
    "--resolv-conf=off",
    // No terminal: copy the console to the log, never read from it.
    "--console=read-only",
  ];
}

/** The pid of the host's running nspawn, or undefined when it is not running. */
export function runningNspawnPid(layout: HostLayout, host: LabHost): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(layout.pidFile, "utf8").trim());
  } catch {
    return undefined;
  }
  return isNspawnOf(pid, host.machine) ? pid : undefined;
}

/** Whether `pid` is a live (not zombie) systemd-nspawn of this machine: pid files outlive reboots. */
function isNspawnOf(pid: number, machine: string): boolean {
  if (!processAlive(pid) || isZombie(pid)) return false;
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return path.basename(argv[0] ?? "") === "systemd-nspawn" && argv.includes(`--machine=${machine}`);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    // The state follows the parenthesised command name, which may itself contain spaces.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/**
 * Starts nspawn in the background, in a cgroup of the machine's own (see cgroups.ts), and
 * records its pid once that pid runs nspawn.
 * @throws Error naming the host and its console log when nspawn does not start.
 */
export async function startMachine(host: LabHost, spec: LabSpec, layout: HostLayout): Promise<number> {
  // What the machine's last boot left (a reboot, a stop that had to kill) must not be shared.
  await removeMachineCgroups(host.machine);
  const cgroupDirs = machineCgroupDirs(currentCgroupHierarchies(), host.machine);
  for (const dir of cgroupDirs) fs.mkdirSync(dir, { recursive: true });
  const { command, args } = nspawnLaunchCommand(nspawnArguments(host, spec, layout.merged), cgroupDirs);
  const log = fs.openSync(layout.consoleLog, "a");
  let pid: number;
  try {
    fs.writeSync(log, `\n--- ${new Date().toISOString()} starting ${host.machine}\n`);
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });
    if (child.pid === undefined) throw new Error(`cannot start systemd-nspawn for ${host.name}; see ${layout.consoleLog}`);
    child.unref();
    pid = child.pid;
  } finally {
    fs.closeSync(log);
  }
  // Until the shell has joined the cgroup and exec'd, the pid is not nspawn yet.
  const exited = (): boolean => !processAlive(pid) || isZombie(pid);
  await waitUntil(() => isNspawnOf(pid, host.machine) || exited(), 10_000);
  if (!isNspawnOf(pid, host.machine)) {
    throw new Error(
      `${host.name}: systemd-nspawn did not start (${exited() ? "its launcher exited" : "still not running after 10 s"}); see ${layout.consoleLog}`,
    );
  }
  fs.writeFileSync(layout.pidFile, `${pid}\n`);
  return pid;
}

/**
 * Pids of machine inits (PID 1 of their own PID namespace) booted from an overlay whose upper
 * directory is `upperDir` or below it. /proc/<pid>/root cannot tell: nspawn pivots into its own
 * mount namespace, where that link reads "/". The init's own mount table still names the layer.
 * Killing an init ends every process of its machine.
 */
export function machineInitsUsing(upperDir: string): number[] {
  const wanted = path.resolve(upperDir);
  const inits: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const nsPids =
        /^NSpid:\s+(.*)$/m
          .exec(fs.readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]
          ?.trim()
          .split(/\s+/) ?? [];
      if (nsPids.length !== 2 || nsPids[1] !== "1") continue;
      const upper = rootOverlayUpperDir(fs.readFileSync(`/proc/${entry}/mountinfo`, "utf8"));
      if (upper !== undefined && (path.resolve(upper) === wanted || upper.startsWith(`${wanted}/`))) inits.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return inits;
}

/**
 * Stops a host: asks nspawn for an orderly poweroff, then after `graceMs` kills the machine's
 * init (killing nspawn alone would orphan the machine, not end it). The grace is short because
 * a stopped host's layer is deleted: a clean poweroff (about 0.5 s when idle) is only tidier.
 * @throws Error naming the host and pids when something survives SIGKILL.
 */
export async function stopMachine(host: LabHost, layout: HostLayout, graceMs = 3_000): Promise<void> {
  const pid = runningNspawnPid(layout, host);
  const nspawnGone = (): boolean => pid === undefined || !isNspawnOf(pid, host.machine);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    await waitUntil(() => nspawnGone() && machineInitsUsing(layout.upper).length === 0, graceMs);
  }
  for (const init of machineInitsUsing(layout.upper)) {
    try {
      process.kill(init, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
  // nspawn exits by itself once its machine is gone; only a stuck one needs the hard way.
  if (!(await waitUntil(nspawnGone, 5_000)) && pid !== undefined) process.kill(pid, "SIGKILL");
  const gone = await waitUntil(() => nspawnGone() && machineInitsUsing(layout.upper).length === 0, 5_000);
  if (!gone) {
    throw new Error(
      `${host.name}: still running after SIGKILL: nspawn ${nspawnGone() ? "gone" : pid}, machine init ${machineInitsUsing(layout.upper).join(", ") || "gone"}`,
    );
  }
  fs.rmSync(layout.pidFile, { force: true });
  await removeMachineCgroups(host.machine);
}

/** Polls `condition` every 100 ms until true or `timeoutMs` passes; returns its last value. */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
