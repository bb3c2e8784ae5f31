/**
 * The files that make one lab host out of the shared image, as data. Pure: the orchestrator
 * writes them into the host's overlay layer (keys are generated separately, see keys.ts).
 */
import { LabAccelerator, labComputeEntries } from "./hypervisor";
import { LabHost, renderEtcHosts, renderNetworkdConfig } from "./network";

export type LayerEntry =
  | { readonly kind: "file"; readonly path: string; readonly content: string; readonly mode: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "directory"; readonly path: string; readonly mode: number };

/**
 * Units masked on every host because they cannot work in a container or would reach for a
 * network the hosts do not have; each left enabled would leave `systemctl is-system-running`
 * "degraded" or retry forever.
 */
export const maskedUnits: readonly string[] = [
  // Package list refreshes and unattended upgrades: no route out, and they would change the
  // apt lists the offline cache was made for.
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  // A container shares this machine's kernel and has no /lib/modules: there are no modules to
  // load. On trixie it runs (nspawn grants CAP_SYS_MODULE) and fails on the image's dangling
  // /etc/modules-load.d/modules.conf.
  "systemd-modules-load.service",
];

/** Units enabled on every host (the image only installs them). */
const enabledUnits: readonly { readonly unit: string; readonly wantedBy: string }[] = [
  { unit: "systemd-networkd.service", wantedBy: "multi-user.target" },
  { unit: "systemd-networkd.socket", wantedBy: "sockets.target" },
  // Services ordered after network-online.target (MariaDB, RabbitMQ) then see the address.
  { unit: "systemd-networkd-wait-online.service", wantedBy: "network-online.target" },
];

/**
 * journald keeps each host's journal in memory. The hosts share this machine's one disk, so a
 * persistent journal on each is write load the lab does not need. Also, with persistent storage,
 * systemd-journal-flush.service must copy the boot's journal to /var at boot, and on a loaded
 * machine it timed out and failed the boot. Lab hosts are thrown away, so nothing needs their
 * journal after them.
 */
export function renderJournaldConfig(): string {
  return ["# Written by nova-installer lab.", "[Journal]", "Storage=volatile", "RuntimeMaxUse=64M", ""].join("\n");
}

/** sshd: root by key only, and only the host key this lab generated and pinned. */
export function renderSshdConfig(): string {
  return [
    "# Written by nova-installer lab.",
    "HostKey /etc/ssh/ssh_host_ed25519_key",
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    // No DNS in the lab: reverse lookups of clients would only add a timeout to each login.
    "UseDNS no",
    "",
  ].join("\n");
}

export interface HostLayerInput {
  readonly host: LabHost;
  /** Every host of the lab (for /etc/hosts). */
  readonly hosts: readonly LabHost[];
  /** The lab's client public key line, the only key root accepts. */
  readonly authorizedKey: string;
  /**
   * 32 lower-case hex digits; each host needs its own (the image's is empty). Undefined when the
   * layer already has one, which must then stay.
   */
  readonly machineId: string | undefined;
  /** How the lab's guests run: computes get their lab-only hypervisor files from it. */
  readonly accelerator: LabAccelerator;
  /** The lab profile's hypervisor daemon (`OsProfile.hypervisorUnit`). */
  readonly hypervisorUnit: string;
}

/** Everything written into a host's layer, in the order it must be written (directories first). */
export function hostLayerEntries(input: HostLayerInput): LayerEntry[] {
  const { host } = input;
  if (input.machineId !== undefined && !/^[0-9a-f]{32}$/.test(input.machineId)) {
    throw new Error(`machine id "${input.machineId}" of ${host.name} is invalid: expected 32 lower-case hex digits`);
  }
  const file = (path: string, content: string, mode = 0o644): LayerEntry => ({ kind: "file", path, content, mode });
  return [
    file("/etc/hostname", `${host.name}\n`),
    file("/etc/hosts", renderEtcHosts(input.hosts)),
    ...(input.machineId !== undefined ? [file("/etc/machine-id", `${input.machineId}\n`, 0o444)] : []),
    file("/etc/systemd/network/10-nova-lab.network", renderNetworkdConfig(host)),
    ...enabledUnits.map(({ unit, wantedBy }): LayerEntry => ({
      kind: "symlink",
      path: `/etc/systemd/system/${wantedBy}.wants/${unit}`,
      target: `/lib/systemd/system/${unit}`,
    })),
    ...maskedUnits.map((unit): LayerEntry => ({ kind: "symlink", path: `/etc/systemd/system/${unit}`, target: "/dev/null" })),
    file("/etc/ssh/sshd_config.d/nova-lab.conf", renderSshdConfig()),
    file("/etc/systemd/journald.conf.d/nova-lab.conf", renderJournaldConfig()),
    { kind: "directory", path: "/root/.ssh", mode: 0o700 },
    file("/root/.ssh/authorized_keys", `${input.authorizedKey.trim()}\n`, 0o600),
    ...(host.role === "compute" ? labComputeEntries(input.accelerator, input.hypervisorUnit) : []),
  ];
}
