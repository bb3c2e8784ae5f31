import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { cgroupHierarchies, labCgroupParent, machineCgroupDirs, nspawnLaunchCommand } from "../../lab/cgroups";

/** A hybrid layout as on the lab's machines: v1 controllers, name=systemd, cgroup2 "unified". */
const hybridMountinfo = [
  "25 1 0:22 / / rw,relatime - ext4 /dev/vda rw",
  "30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
  "32 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
  "34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  "",
].join("\n");

const unifiedMountinfo = ["25 1 0:22 / / rw - ext4 /dev/vda rw", "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate", ""].join(
  "\n",
);

describe("lab machine cgroups", () => {
  it("finds the cgroup2 and name=systemd hierarchies, and nothing on a machine without them", () => {
    expect(cgroupHierarchies(hybridMountinfo)).toEqual({ unified: "/sys/fs/cgroup/unified", namedSystemd: "/sys/fs/cgroup/systemd" });
    expect(cgroupHierarchies(unifiedMountinfo)).toEqual({ unified: "/sys/fs/cgroup", namedSystemd: undefined });
    expect(cgroupHierarchies("25 1 0:22 / / rw - ext4 /dev/vda rw\n")).toEqual({ unified: undefined, namedSystemd: undefined });
  });

  it("gives each machine a cgroup named after it in each hierarchy, the one nspawn reads its own from first", () => {
    const hierarchies = cgroupHierarchies(hybridMountinfo);
    expect(machineCgroupDirs(hierarchies, "labtest-controller")).toEqual([
      `/sys/fs/cgroup/unified/${labCgroupParent}/labtest-controller`,
      `/sys/fs/cgroup/systemd/${labCgroupParent}/labtest-controller`,
    ]);
    expect(machineCgroupDirs(hierarchies, "labtest-compute1")).toEqual([
      "/sys/fs/cgroup/unified/nova-lab/labtest-compute1",
      "/sys/fs/cgroup/systemd/nova-lab/labtest-compute1",
    ]);
    expect(machineCgroupDirs(cgroupHierarchies(unifiedMountinfo), "labtest-compute1")).toEqual(["/sys/fs/cgroup/nova-lab/labtest-compute1"]);
    expect(machineCgroupDirs({ unified: undefined, namedSystemd: undefined }, "labtest-compute1")).toEqual([]);
  });

  it("runs nspawn itself when there is no cgroup to join", () => {
    expect(nspawnLaunchCommand(["--boot"], [])).toEqual({ command: "systemd-nspawn", args: ["--boot"] });
  });

  it("joins every cgroup with the very pid that then runs nspawn, its arguments untouched", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-cgroups-"));
    try {
      // A stub nspawn that prints its pid and arguments; plain directories stand in for the cgroups.
      fs.writeFileSync(path.join(dir, "systemd-nspawn"), '#!/bin/sh\necho "pid $$"\nfor a in "$@"; do echo "arg $a"; done\n', { mode: 0o755 });
      const cgroups = [path.join(dir, "unified"), path.join(dir, "systemd")];
      for (const cgroup of cgroups) fs.mkdirSync(cgroup);
      const nspawnArguments = ["--machine=labtest-controller", "--directory=/a b/$(touch pwned)", "it's", "3"];
      const { command, args } = nspawnLaunchCommand(nspawnArguments, cgroups);
      const output = execFileSync(command, args, { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" })
        .trim()
        .split("\n");
      expect(output.slice(1)).toEqual(nspawnArguments.map((arg) => `arg ${arg}`));
      for (const cgroup of cgroups) expect(`pid ${fs.readFileSync(path.join(cgroup, "cgroup.procs"), "utf8").trim()}`).toBe(output[0]);
      expect(fs.existsSync(path.join(dir, "pwned"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not start nspawn when a cgroup cannot be joined", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-cgroups-"));
    try {
      fs.writeFileSync(path.join(dir, "systemd-nspawn"), "#!/bin/sh\ntouch started\n", { mode: 0o755 });
      const { command, args } = nspawnLaunchCommand(["--boot"], [dir, "/nonexistent/cgroup"]);
      expect(() => execFileSync(command, args, { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin` }, stdio: "pipe" })).toThrow(
        /nonexistent\/cgroup\/cgroup\.procs/,
      );
      expect(fs.existsSync(path.join(dir, "started"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
