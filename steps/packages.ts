/** Package installation, per package manager. Installing what is installed is a fast no-op. */
import { shellQuote } from "../lib/shell";
import type { PackageManager } from "../profiles/profiles";

const policyRcD = "/usr/sbin/policy-rc.d";
const policyMarker = "# nova-installer: services start once configured";

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

/**
 * Debian starts every service it installs, with the packaged settings: API servers with 8 to 16
 * workers each, minutes of CPU on a small controller while dpkg still runs, for services the
 * installer restarts with its own configuration anyway (and a half-configured service answering
 * meanwhile). A policy-rc.d for the length of the run keeps them stopped; the installer's
 * service steps start them once configured. An operator's own policy-rc.d is left as it is; ours
 * carries a marker, so one a lost connection left behind is replaced and removed by the next run.
 *
 * Reloads pass: they start nothing, and package scripts need them. polkitd's postinst creates
 * the polkitd user, then runs `invoke-rc.d dbus reload` so that dbus-daemon applies its bus
 * policy for that user; denied, polkitd cannot own its bus name ("Lost the name
 * org.freedesktop.PolicyKit1 - exiting"), and libvirtd, which asks polkit who may connect,
 * refuses nova-compute.
 */
const policyRcDAllows = '[ "$2" = reload ] && exit 0';
const holdServiceStarts: { readonly [manager in PackageManager]: string[] } = {
  "apt-get": [
    `if [ ! -e ${policyRcD} ] || grep -qxF ${shellQuote(policyMarker)} ${policyRcD}; then`,
    `  printf '#!/bin/sh\\n%s\\n%s\\nexit 101\\n' ${shellQuote(policyMarker)} ${shellQuote(policyRcDAllows)} > ${policyRcD} && chmod 0755 ${policyRcD}`,
    `  trap 'rm -f ${policyRcD}' EXIT`,
    "fi",
  ],
  yum: [],
  dnf: [],
};

export function installPackagesScript(manager: PackageManager, packages: readonly string[], options: InstallPackagesOptions): string {
  if (packages.length === 0) {
    throw new Error("installPackagesScript: no packages given");
  }
  const lines = [...holdServiceStarts[manager], recoverCommands[manager], options.refreshIndex ? refreshCommands[manager] : undefined].filter(
    (line) => line !== undefined,
  );
  lines.push(installCommands[manager]([...packages].sort().map(shellQuote).join(" ")));
  return lines.join("\n");
}
