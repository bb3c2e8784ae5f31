/** Package installation, per package manager. Installing what is installed is a fast no-op. */
import { shellQuote } from "../lib/shell";
import type { PackageManager } from "../profiles/profiles";

const installCommands: { readonly [manager in PackageManager]: (packages: string) => string } = {
  // confold: a configuration file the installer already wrote is kept on upgrades. The lock
  // timeout waits out another package run (unattended upgrades, an earlier interrupted step).
  "apt-get": (packages) =>
    `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold ${packages}`,
  yum: (packages) => `yum install -y -q ${packages}`,
  dnf: (packages) => `dnf install -y -q ${packages}`,
};

/**
 * Finishes what an interrupted earlier run left half-installed (a deploy killed mid-install):
 * apt refuses to do anything until it is done. yum and dnf recover on their own.
 */
const recoverCommands: { readonly [manager in PackageManager]: string | undefined } = {
  "apt-get": 'if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then DEBIAN_FRONTEND=noninteractive dpkg --force-confold --configure -a; fi',
  yum: undefined,
  dnf: undefined,
};

const refreshCommands: { readonly [manager in PackageManager]: string } = {
  "apt-get": "apt-get update -q",
  yum: "yum makecache -q",
  dnf: "dnf makecache -q",
};

export interface InstallPackagesOptions {
  /** Refresh the package index first. Off for hosts that install from a pre-seeded cache (the lab). */
  readonly refreshIndex: boolean;
}

export function installPackagesScript(manager: PackageManager, packages: readonly string[], options: InstallPackagesOptions): string {
  if (packages.length === 0) {
    throw new Error("installPackagesScript: no packages given");
  }
  const lines = [recoverCommands[manager], options.refreshIndex ? refreshCommands[manager] : undefined].filter((line) => line !== undefined);
  lines.push(installCommands[manager]([...packages].sort().map(shellQuote).join(" ")));
  return lines.join("\n");
}
