import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { installPackagesScript } from "../../steps/packages";

describe("Debian package runs hold service starts", () => {
  /** The policy-rc.d the script writes, written to a scratch path instead of /usr/sbin. */
  function writtenPolicy(): string {
    const dir = mkdtempSync(join(tmpdir(), "policy-rc-"));
    const policy = join(dir, "policy-rc.d");
    const script = installPackagesScript("apt-get", ["nova-compute"], { refreshIndex: false });
    const write = script
      .split("\n")
      .find((line) => line.includes("printf"))!
      .replace(/\/usr\/sbin\/policy-rc\.d/g, policy)
      .replace(/ && chmod .*$/, "");
    expect(spawnSync("/bin/sh", ["-c", write]).status).toBe(0);
    expect(readFileSync(policy, "utf8")).toMatch(/^#!\/bin\/sh\n# nova-installer: services start once configured\n/);
    return policy;
  }

  it("denies starts and restarts (invoke-rc.d's 101) while the packages install, and lets reloads through", () => {
    const policy = writtenPolicy();
    const decide = (service: string, action: string) => spawnSync("/bin/sh", [policy, service, action]).status;
    expect(decide("nova-api", "start")).toBe(101);
    expect(decide("libvirtd", "restart")).toBe(101);
    expect(decide("nova-compute", "force-reload")).toBe(101);
    // polkitd's postinst: dbus must learn the polkitd user it just created, or polkit cannot start.
    expect(decide("dbus", "reload")).toBe(0);
  });

  it("removes its policy-rc.d when the run ends, however it ends", () => {
    const script = installPackagesScript("apt-get", ["nova-compute"], { refreshIndex: false });
    expect(script).toContain("trap 'rm -f /usr/sbin/policy-rc.d' EXIT");
  });
});
