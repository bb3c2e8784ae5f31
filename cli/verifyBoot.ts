/**
 * `nova-installer verify --boot`: boots one server of the test guest on each compute, waits for
 * the marker the guest writes to its serial console (only a booted guest can write it: it
 * carries the instance UUID from SMBIOS, docs/guest-image.md), deletes the server, and reports
 * per compute the driver, the domain's virt_type, the guest's accelerator and the seconds from
 * the create request to the marker.
 *
 * The API does the work (server create pinned to the compute through the admin's
 * `nova:<host>` availability zone, `console log show` for the marker); the compute is only read:
 * the console log file is polled there for the timing (each API call costs seconds of client
 * start-up), and `virsh` and `ps` say how the guest runs.
 */
import { markerPrefix } from "../guest/recipe";
import { guestImageName } from "../guest/glance";
import type { FlavorConfig, HostConfig, StackConfig } from "../config/types";
import { shellQuote } from "../lib/shell";
import { adminOpenrcFile } from "../plan/hostPlan";
import { endpointOf } from "../remote/endpoint";
import { runCommand } from "../remote/ssh";
import type { CheckRow } from "./checkTable";
import { errorDetail } from "./checkTable";
import { asRoot } from "./verify";

/** Where Nova keeps instance directories (its `instances_path` default, both families). */
export const novaInstancesPath = "/var/lib/nova/instances";

/** The image verify boots: the test guest's root image (registered by the prerequisites' image step). */
export const bootImageName: string = guestImageName;

/** How long a guest may take from the create request to its marker. */
const bootTimeoutSeconds = 600;

/** The smallest flavor of the stack (by RAM, then disk): the guest needs little. @throws Error naming the key when there is none. */
export function bootFlavor(flavors: readonly FlavorConfig[]): FlavorConfig {
  const sorted = [...flavors].sort((a, b) => a.ramMb - b.ramMb || a.diskGb - b.diskGb);
  if (sorted.length === 0) throw new Error("no flavor to boot with: add one to nova-installer:flavors (e.g. 1 vCPU, 256 MB, 1 GB)");
  return sorted[0];
}

/** The server's name: says what made it, for an operator who finds one left behind. */
export function bootServerName(compute: string, nonce: string): string {
  return `nova-installer-verify-${compute}-${nonce}`;
}

/** On the controller: creates the server on `compute` and prints its id (the create returns once it is ACTIVE or fails). */
export function createServerScript(compute: string, flavor: string, name: string): string {
  return [
    `. ${adminOpenrcFile.path}`,
    `openstack --os-compute-api-version 2.37 server create --image ${shellQuote(bootImageName)} --flavor ${shellQuote(flavor)} --nic none \\`,
    `  --availability-zone ${shellQuote(`nova:${compute}`)} --wait -f value -c id ${shellQuote(name)}`,
  ].join("\n");
}

/** On the controller: what a failed create left (status and fault), then the server deleted. */
export function serverFaultScript(name: string): string {
  return [`. ${adminOpenrcFile.path}`, `openstack server show ${shellQuote(name)} -f value -c status -c fault 2>&1 | head -c 600 || true`].join("\n");
}

/** On the controller: deletes every server of that name (an interrupted create may have left one). */
export function deleteServersScript(name: string): string {
  return [
    `. ${adminOpenrcFile.path}`,
    `for id in $(openstack server list --all-projects --name ${shellQuote(`^${name}$`)} -f value -c ID); do openstack server delete --wait "$id"; done`,
  ].join("\n");
}

/** On the compute: waits (bounded) until the instance's console log holds its marker, then prints the marker line. */
export function waitForMarkerScript(serverId: string, timeoutSeconds: number): string {
  const log = `${novaInstancesPath}/${serverId}/console.log`;
  const marker = `${markerPrefix} uuid=${serverId}`;
  return [
    `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
    `until grep -aF ${shellQuote(marker)} ${shellQuote(log)} 2>/dev/null; do`,
    `  [ "$(date +%s)" -lt "$deadline" ] || { echo "no marker in ${log} after ${timeoutSeconds} s" >&2; tail -c 400 ${shellQuote(log)} >&2 2>/dev/null; exit 1; }`,
    "  sleep 0.2",
    "done",
  ].join("\n");
}

/** On the compute: the domain's type (the virt_type it runs with), its state ("running", "paused", "shut off") and its QEMU process (pid, accelerator). */
export function guestRuntimeScript(serverId: string): string {
  return [
    `domain=$(virsh -c qemu:///system domname ${shellQuote(serverId)})`,
    `printf 'type=%s\\n' "$(virsh -c qemu:///system dumpxml "$domain" | sed -n "s/^<domain type='\\([a-z]*\\)'.*/\\1/p")"`,
    // QEMU names its accelerator as "-accel <name>" (libvirt 9 and later) or "-machine ...,accel=<name>".
    `printf 'state=%s\\n' "$(virsh -c qemu:///system domstate "$domain" 2>&1 | head -n 1)"`,
    `pid=$(cat /run/libvirt/qemu/"$domain".pid 2>/dev/null)`,
    `printf 'pid=%s\\n' "$pid"`,
    `printf 'accel=%s\\n' "$(tr '\\0' '\\n' < /proc/"$pid"/cmdline | sed -n -e '/^-accel$/{n;p;}' -e 's/.*accel=\\([a-z]*\\).*/\\1/p' | head -n 1)"`,
  ].join("\n");
}

/** On the controller: the marker as the API returns it (`openstack console log show`). */
export function consoleLogScript(serverId: string): string {
  return [
    `. ${adminOpenrcFile.path}`,
    `openstack console log show ${shellQuote(serverId)} | grep -aF ${shellQuote(`${markerPrefix} uuid=${serverId}`)}`,
  ].join("\n");
}

export interface BootMeasurement {
  readonly serverId: string;
  /** From the create request to ACTIVE (as the client's --wait saw it). */
  readonly activeSeconds: number;
  /** From the create request to the marker in the console log. */
  readonly markerSeconds: number;
  /** The libvirt domain type: the virt_type the guest runs with. */
  readonly domainType: string;
  /** QEMU's accelerator: kvm or tcg. */
  readonly accelerator: string;
}

/** Reads guestRuntimeScript's output; `pid` is QEMU's (0 when none runs). */
export function parseGuestRuntime(stdout: string): { domainType: string; state: string; accelerator: string; pid: number } {
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(stdout)?.[1]?.trim() ?? "";
  return { domainType: value("type") || "unknown", state: value("state"), accelerator: value("accel") || "unknown", pid: Number(value("pid")) || 0 };
}

/** The controller's side of a boot: runs a script there as root, bounded. */
function controllerRunner(config: StackConfig) {
  const controller = endpointOf(config, config.controller);
  return (script: string, timeoutSeconds = 300) => runCommand(controller, asRoot(script, config.sshUser), { timeoutMs: timeoutSeconds * 1000 });
}

/**
 * Creates the server `name` of the test guest on `compute` and waits until it is ACTIVE (the
 * client's --wait). Whatever the driver: with fake.FakeDriver this is the whole create.
 * @throws Error with what the client and the server's fault said. The server is not deleted.
 */
async function createActiveServer(config: StackConfig, compute: HostConfig, name: string): Promise<{ serverId: string }> {
  const onController = controllerRunner(config);
  const created = await onController(createServerScript(compute.name, bootFlavor(config.flavors).name, name), bootTimeoutSeconds);
  const serverId = created.stdout.trim().split("\n").pop() ?? "";
  if (created.exitCode !== 0 || !/^[0-9a-f-]{36}$/.test(serverId)) {
    const fault = await onController(serverFaultScript(name));
    throw new Error(
      `server create failed: ${(created.stderr || created.stdout).trim().split("\n").pop() ?? ""} ${fault.stdout.trim().replace(/\s+/g, " ")}`,
    );
  }
  return { serverId };
}

/**
 * Creates one server of the test guest on `compute`, waits until it is ACTIVE and deletes it
 * (also on failure): the seconds from the create request to ACTIVE, as `bootGuest` measures
 * them. What the benchmark sets beside a real boot, with a driver that boots nothing.
 * @throws Error with what Nova reported.
 */
export async function createServerToActive(
  config: StackConfig,
  compute: HostConfig,
  nonce: string,
): Promise<{ serverId: string; activeSeconds: number }> {
  const name = bootServerName(compute.name, nonce);
  const started = Date.now();
  try {
    const { serverId } = await createActiveServer(config, compute, name);
    return { serverId, activeSeconds: (Date.now() - started) / 1000 };
  } finally {
    await controllerRunner(config)(deleteServersScript(name));
  }
}

/**
 * Boots one guest on `compute`, measures it, deletes it (also on failure).
 * @throws Error saying which stage failed and what Nova or the compute reported.
 */
export async function bootGuest(config: StackConfig, compute: HostConfig, nonce: string): Promise<BootMeasurement> {
  const onController = controllerRunner(config);
  const onCompute = endpointOf(config, compute);
  const name = bootServerName(compute.name, nonce);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  try {
    const { serverId } = await createActiveServer(config, compute, name);
    const activeSeconds = seconds();
    const marker = await runCommand(onCompute, asRoot(waitForMarkerScript(serverId, bootTimeoutSeconds), config.sshUser), {
      timeoutMs: (bootTimeoutSeconds + 30) * 1000,
    });
    if (marker.exitCode !== 0) throw new Error(`ACTIVE after ${activeSeconds.toFixed(1)} s, then ${marker.stderr.trim().split("\n")[0]}`);
    const markerSeconds = seconds();
    const api = await onController(consoleLogScript(serverId));
    if (api.exitCode !== 0) throw new Error("the marker is in the compute's console log, but `openstack console log show` does not return it");
    const runtime = await runCommand(onCompute, asRoot(guestRuntimeScript(serverId), config.sshUser));
    const { domainType, accelerator } = parseGuestRuntime(runtime.stdout);
    return { serverId, activeSeconds, markerSeconds, domainType, accelerator };
  } finally {
    await onController(deleteServersScript(name));
  }
}

/** One row per compute: OK with the measurement, or FAIL with why. Guests boot one compute at a time, so times are comparable. */
export async function runBootChecks(config: StackConfig, nonce = `${process.pid}`): Promise<CheckRow[]> {
  if (config.computeDriver === "fake.FakeDriver") {
    return config.computes.map((host) => ({
      host: host.name,
      check: "boot",
      result: "FAIL",
      detail: "fake.FakeDriver runs no guests (nova-installer:computeDriver)",
    }));
  }
  if (config.prerequisites && config.guestImage === undefined) {
    return config.computes.map((host) => ({
      host: host.name,
      check: "boot",
      result: "FAIL",
      detail: `no test guest in Glance: set nova-installer:guestImage (bin/nova-installer guest-image builds one) and run pulumi up`,
    }));
  }
  const rows: CheckRow[] = [];
  for (const host of config.computes) {
    try {
      const boot = await bootGuest(config, host, nonce);
      rows.push({
        host: host.name,
        check: "boot",
        result: "OK",
        detail: `${config.computeDriver}, virt_type ${boot.domainType} (${boot.accelerator}): marker ${boot.markerSeconds.toFixed(1)} s after create (ACTIVE after ${boot.activeSeconds.toFixed(1)} s)`,
      });
    } catch (error) {
      rows.push({ host: host.name, check: "boot", result: "FAIL", detail: errorDetail(error) });
    }
  }
  return rows;
}
