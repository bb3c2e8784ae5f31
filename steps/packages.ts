/** Package installation, per package manager. Installing what is installed is a fast no-op. */
import { shellQuote } from "../lib/shell";
import type { PackageManager } from "../profiles/profiles";

const installCommands: { readonly [manager in PackageManager]: (packages: string) => string } = {
  // confold: a configuration file the installer already wrote is kept on upgrades.
  "apt-get": (packages) =>
    `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold ${packages}`,
  yum: (packages) => `yum install -y -q ${packages}`,
  dnf: (packages) => `dnf install -y -q ${packages}`,
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
  const lines = options.refreshIndex ? [refreshCommands[manager]] : [];
  lines.push(installCommands[manager]([...packages].sort().map(shellQuote).join(" ")));
  return lines.join("\n");
}
