/**
 * A control group of its own for each lab machine (a lab accommodation: nothing here touches
 * what the installer does on real hosts).
 *
 * nspawn started with --keep-unit and no systemd on the machine takes its own cgroup as the
 * machine's and puts the machine in "<own>/payload". Every nspawn started from the same cgroup
 * (all of them, here: the root) therefore shares one "/payload", and the systemd of every
 * machine on this machine, of every lab, manages the same "/payload/system.slice/<unit>"
 * directories. When two hosts run a unit at the same moment (both boot at once and start
 * systemd-sysctl.service within milliseconds of each other), one host's systemd removes the
 * unit's cgroup as its run ends while the other's is moving its new process into it: that
 * start fails with status 219/CGROUP (next to it, in the journal: "Failed to attach ... to
 * compat systemd cgroup /system.slice/systemd-sysctl.service: No such file or directory").
 * Started in "nova-lab/<machine>" instead, each nspawn makes its machine a tree of its own.
 */
import * as fs from "fs";
import * as path from "path";

/** Below each hierarchy's root: one directory per machine, named after the machine. */
export const labCgroupParent = "nova-lab";

/**
 * The mount points of the cgroup hierarchies systemd and nspawn keep their process tree in: on
 * a hybrid layout (this machine's) the cgroup2 one is systemd's own and name=systemd the compat
 * copy; a legacy layout has only name=systemd, a unified one only cgroup2.
 */
export interface CgroupHierarchies {
  /** The cgroup2 hierarchy ("/sys/fs/cgroup/unified" on a hybrid layout). */
  readonly unified: string | undefined;
  /** The named v1 hierarchy "name=systemd" (legacy and hybrid layouts). */
  readonly namedSystemd: string | undefined;
}

/** The cgroup2 and name=systemd mounts in /proc/self/mountinfo text (the first of each). Pure. */
export function cgroupHierarchies(mountinfo: string): CgroupHierarchies {
  let unified: string | undefined;
  let namedSystemd: string | undefined;
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    const [fsType, , superOptions] = (after ?? "").split(" ");
    const mountPoint = (before ?? "").split(" ")[4];
    if (mountPoint === undefined || mountPoint === "") continue;
    if (fsType === "cgroup2") unified ??= mountPoint;
    if (fsType === "cgroup" && (superOptions ?? "").split(",").includes("name=systemd")) namedSystemd ??= mountPoint;
  }
  return { unified, namedSystemd };
}

/**
 * A machine's cgroup in each hierarchy, where its nspawn starts: nspawn reads its own cgroup
 * from the first and mirrors what it creates into the second, so it starts in both. Pure.
 */
export function machineCgroupDirs(hierarchies: CgroupHierarchies, machine: string): string[] {
  return [hierarchies.unified, hierarchies.namedSystemd]
    .filter((root): root is string => root !== undefined)
    .map((root) => path.join(root, labCgroupParent, machine));
}

/**
 * The command that starts nspawn inside `cgroupDirs`: a shell joins each cgroup, then execs
 * nspawn (same pid), so nspawn never runs anywhere else; if a cgroup cannot be joined, nspawn
 * does not start. Without cgroups, nspawn itself. Pure.
 */
export function nspawnLaunchCommand(nspawnArguments: readonly string[], cgroupDirs: readonly string[]): { command: string; args: string[] } {
  if (cgroupDirs.length === 0) return { command: "systemd-nspawn", args: [...nspawnArguments] };
  // $0 is how many cgroup.procs files lead "$@"; the rest is nspawn's. The shell parses no value.
  const script = 'n=$0; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 1; shift; n=$((n - 1)); done; exec systemd-nspawn "$@"';
  return {
    command: "/bin/sh",
    args: ["-c", script, String(cgroupDirs.length), ...cgroupDirs.map((dir) => path.join(dir, "cgroup.procs")), ...nspawnArguments],
  };
}

export function currentCgroupHierarchies(): CgroupHierarchies {
  return cgroupHierarchies(fs.readFileSync("/proc/self/mountinfo", "utf8"));
}

/** Deletes a cgroup directory tree, deepest first (cgroupfs removes only empty cgroups, one at a time). */
function removeCgroupTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(path.join(dir, entry.name));
  }
  fs.rmdirSync(dir);
}

/**
 * Removes a stopped machine's cgroup trees. A machine's last processes may still be leaving
 * (EBUSY) right after its init was killed, so this retries for `timeoutMs`.
 * @throws Error naming the cgroup when it still holds processes after that.
 */
export async function removeMachineCgroups(machine: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const dir of machineCgroupDirs(currentCgroupHierarchies(), machine)) {
    for (;;) {
      try {
        if (fs.existsSync(dir)) removeCgroupTree(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") break;
        if (code !== "EBUSY" || Date.now() >= deadline) {
          throw new Error(`cannot remove the cgroup ${dir} of machine ${machine} (${code ?? String(error)}): processes of it still run`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

/** Cgroups of machines whose names start with `machinePrefix` that still exist on this machine. */
export function machineCgroupsLeft(machinePrefix: string): string[] {
  const hierarchies = currentCgroupHierarchies();
  const left: string[] = [];
  for (const root of [hierarchies.unified, hierarchies.namedSystemd]) {
    if (root === undefined) continue;
    const parent = path.join(root, labCgroupParent);
    if (!fs.existsSync(parent)) continue;
    for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name.startsWith(machinePrefix)) left.push(path.join(parent, entry.name));
    }
  }
  return left;
}
