/**
 * `lab up`, `lab down` and `lab status`: the lab's life cycle, in the order things happen.
 *
 * up:   prerequisites -> image (cached) -> client key -> bridge -> surplus computes removed ->
 *       packages-installed layers (cached; only when hosts start "installed") ->
 *       each host: overlay, host key, files, boot -> /etc/hosts everywhere -> ssh ready -> inventory
 * down: every host stopped (its cgroup removed) and unmounted -> bridge deleted -> state deleted ->
 *       nothing left (checked)
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { HostKeyMismatchError, SshEndpoint, waitForSsh, withConnection } from "../remote/ssh";
import { bridgeExists, bridgePorts, ensureBridge, interfacesOnSubnet, linkExists, removeBridge } from "./bridge";
import { machineCgroupsLeft } from "./cgroups";
import { LabSpec, defaultLabSpec, validateComputeCount, validateLabSpec } from "./config";
import { run, tailOfFile } from "./exec";
import { hostLayerEntries } from "./host-files";
import { describeLabAccelerator, detectLabAccelerator } from "./hypervisor";
import { ensureImage, imagePaths } from "./image";
import { HostStart, ensureInstalledLayer } from "./installedLayer";
import type { OsProfile, ProfileKey } from "../profiles/profiles";
import { defaultLabProfile, imageInputs, imageKey, labProfileFor, profileKeyOf } from "./image-recipe";
import { Inventory, buildInventory, inventoryEndpoint, readInventory, renderInventory } from "./inventory";
import { ensureClientKey, ensureHostKey } from "./keys";
import { isLayerMounted, mountLayer, writeLayerEntries } from "./layer";
import { machineInitsUsing, runningNspawnPid, startMachine, stopMachine, waitUntil } from "./machine";
import { currentMountsUnder, removeTree } from "./mounts";
import { HostRole, LabHost, planHosts } from "./network";
import { HostLayout, LabLayout, hostLayout, labCacheDir, labLayout, labStateDir, repoRoot } from "./paths";
import { ensurePrereqs } from "./prereqs";
import { Writer, seconds } from "./progress";

export interface LabContext {
  readonly spec: LabSpec;
  /** `<state>/lab`: host layers, keys, inventory. */
  readonly stateDir: string;
  /** `<cache>/lab`: built images. */
  readonly cacheDir: string;
  readonly write: Writer;
  /** What hosts new to the lab start from: the bare image (default) or their role's packages installed. */
  readonly hostStart: HostStart;
  /** What the hosts run: the Debian release of the image and the OpenStack it ships. */
  readonly profile: OsProfile;
}

/** A context from the environment (NOVA_INSTALLER_STATE, NOVA_INSTALLER_CACHE, ...). */
export function labContext(overrides: Partial<LabContext> = {}): LabContext {
  return {
    spec: defaultLabSpec,
    stateDir: labStateDir(process.env, repoRoot),
    cacheDir: labCacheDir(process.env),
    write: (line) => void process.stdout.write(`${line}\n`),
    hostStart: "bare",
    profile: labProfileFor(defaultLabProfile),
    ...overrides,
  };
}

/** What a state directory belongs to, so that `up` never mixes two labs or two images. */
interface LabRecord {
  readonly name: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly imageKey: string;
  readonly imageRootfs: string;
  /** The profile the hosts were built for (absent in labs started before the lab had profiles: debian-12/zed). */
  readonly profile?: ProfileKey;
}

function readLabRecord(layout: LabLayout): LabRecord | undefined {
  return fs.existsSync(layout.labRecord) ? (JSON.parse(fs.readFileSync(layout.labRecord, "utf8")) as LabRecord) : undefined;
}

/** Hosts that have a directory in the state (running or not), by name. */
function hostNamesInState(layout: LabLayout): string[] {
  return fs.existsSync(layout.hostsDir) ? fs.readdirSync(layout.hostsDir).sort() : [];
}

/** A host known only by name (for stopping hosts no longer in the plan). */
function hostByName(spec: LabSpec, name: string): LabHost {
  return { name, role: name === "controller" ? "controller" : "compute", address: "", machine: `${spec.name}-${name}` };
}

/** Whether the layer has its own machine id, which must then stay (journals and leases use it). */
function hasMachineId(paths: HostLayout): boolean {
  const file = path.join(paths.upper, "etc/machine-id");
  return fs.existsSync(file) && fs.statSync(file).size > 0;
}

function writeIfChanged(file: string, content: string, mode = 0o644): void {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === content) return;
  fs.writeFileSync(file, content, { mode });
}

/**
 * Brings the lab to one controller and `computes` computes, all answering ssh. Hosts already
 * running are kept; surplus computes are stopped and deleted.
 */
export async function labUp(context: LabContext, computes: number): Promise<Inventory> {
  const started = Date.now();
  const { spec, write } = context;
  validateLabSpec(spec);
  validateComputeCount(computes);
  await ensurePrereqs(write);
  const layout = labLayout(context.stateDir);
  fs.mkdirSync(layout.hostsDir, { recursive: true });

  const image = await labImage(context, layout);
  const record: LabRecord = {
    name: spec.name,
    bridge: spec.bridge,
    subnet: spec.subnet,
    imageKey: image.key,
    imageRootfs: image.rootfs,
    profile: profileKeyOf(context.profile),
  };
  writeIfChanged(layout.labRecord, `${JSON.stringify(record, null, 2)}\n`);
  const clientKey = await ensureClientKey(layout.privateKey, `nova-installer-lab-${spec.name}`);
  await ensureBridge(spec);

  const hosts = planHosts(spec, computes);
  for (const surplus of hostNamesInState(layout).filter((name) => !hosts.some((host) => host.name === name))) {
    await removeHost(layout, hostByName(spec, surplus));
    write(`${surplus.padEnd(12)} removed`);
  }

  // Layers first: a build must not compete with hosts booting.
  const installed = async (role: HostRole) => [await ensureInstalledLayer(context.cacheDir, image, context.profile, role, write), image.rootfs];
  const lowerDirs: Record<HostRole, string[]> =
    context.hostStart === "installed"
      ? { controller: await installed("controller"), compute: await installed("compute") }
      : { controller: [image.rootfs], compute: [image.rootfs] };

  const accelerator = detectLabAccelerator();
  write(describeLabAccelerator(accelerator));
  const hostPublicKeys: Record<string, string> = {};
  /** When each host was booted by this run; hosts already running are absent. */
  const bootedAt = new Map<string, number>();
  for (const host of hosts) {
    const paths = hostLayout(layout, host.name);
    const running = runningNspawnPid(paths, host) !== undefined;
    if (running && !isLayerMounted(paths)) {
      // Mounting again would put a second overlay on the upper directory the machine writes to.
      throw new Error(`${host.name} runs but its layer is no longer mounted at ${paths.merged}: run "nova-installer lab down", then "lab up"`);
    }
    await mountLayer(paths, lowerDirs[host.role]);
    hostPublicKeys[host.name] = await ensureHostKey(paths.merged, host.name);
    writeLayerEntries(
      paths.merged,
      hostLayerEntries({
        host,
        hosts,
        authorizedKey: clientKey.publicKey,
        machineId: hasMachineId(paths) ? undefined : randomBytes(16).toString("hex"),
        accelerator,
        hypervisorUnit: context.profile.hypervisorUnit,
      }),
    );
    if (!running) {
      await startMachine(host, spec, paths);
      bootedAt.set(host.name, Date.now());
    }
  }

  const inventory = buildInventory(hosts, hostPublicKeys, layout.privateKey, accelerator);
  const waitStart = Date.now();
  const readyAfter = await Promise.all(
    hosts.map(async (host) => {
      await waitForHost(hostLayout(layout, host.name), host, inventoryEndpoint(inventory, host.name));
      return Date.now() - (bootedAt.get(host.name) ?? waitStart);
    }),
  );
  hosts.forEach((host, index) => {
    const how = bootedAt.has(host.name) ? "booted" : "already running";
    write(`${host.name.padEnd(12)} ${host.address.padEnd(15)} ready in ${seconds(readyAfter[index] ?? 0)} (${how})`);
  });

  writeIfChanged(layout.inventory, renderInventory(inventory));
  write(`lab "${spec.name}" up: ${hosts.length} hosts in ${seconds(Date.now() - started)}; inventory ${layout.inventory}`);
  return inventory;
}

/**
 * The image this lab runs on: the one it was started with while it exists (hosts must not mix
 * images), otherwise the current one, built when missing.
 */
async function labImage(context: LabContext, layout: LabLayout): Promise<{ key: string; rootfs: string }> {
  const record = readLabRecord(layout);
  if (record !== undefined && (record.name !== context.spec.name || record.bridge !== context.spec.bridge || record.subnet !== context.spec.subnet)) {
    throw new Error(
      `state directory ${layout.stateDir} holds lab "${record.name}" (bridge ${record.bridge}, subnet ${record.subnet}), ` +
        `not lab "${context.spec.name}": run "lab down" for it first or set NOVA_INSTALLER_STATE to another directory`,
    );
  }
  if (record !== undefined && hostNamesInState(layout).length > 0) {
    const running = record.profile ?? "debian-12/zed";
    if (running !== profileKeyOf(context.profile)) {
      throw new Error(
        `lab "${record.name}" runs ${running} hosts, not ${profileKeyOf(context.profile)}: run "lab down" first, or give --profile ${running}`,
      );
    }
    if (!fs.existsSync(imagePaths(context.cacheDir, record.imageKey).record)) {
      throw new Error(`lab "${record.name}" runs on image ${record.imageKey}, which is no longer cached: run "lab down" and "lab up" again`);
    }
    const current = imageKey(imageInputs(context.profile));
    if (current !== record.imageKey) {
      context.write(`[lab] note: the image inputs changed (${record.imageKey} -> ${current}); "lab down" then "lab up" to use the new image`);
    }
    return { key: record.imageKey, rootfs: record.imageRootfs };
  }
  return ensureImage(context.cacheDir, context.profile, context.write);
}

/** How long a booting host may take to answer ssh (`lab up`, `lab reboot`). */
const hostReadyTimeoutMs = 60_000;

/** Waits until a booting host answers ssh with its pinned key; fails early when its machine exits. */
async function waitForHost(paths: HostLayout, host: LabHost, endpoint: SshEndpoint): Promise<void> {
  let exited: Error | undefined;
  const stillRunning = (): void => {
    if (runningNspawnPid(paths, host) === undefined) {
      exited = new Error(`${host.name}: systemd-nspawn exited while booting; console log:\n${tailOfFile(paths.consoleLog)}`);
      throw exited;
    }
  };
  try {
    await waitForSsh(endpoint, { timeoutMs: hostReadyTimeoutMs, beforeAttempt: stillRunning });
  } catch (error) {
    if (error === exited || error instanceof HostKeyMismatchError) throw error;
    throw new Error(`${(error as Error).message}; console log: ${paths.consoleLog}; to start over: "nova-installer lab down", then "lab up"`);
  }
}

/** A running host of the lab, as planned from its inventory (address and machine name included). */
function runningHost(context: LabContext, name: string): { host: LabHost; paths: HostLayout; init: number; endpoint: SshEndpoint } {
  const layout = labLayout(context.stateDir);
  const inventory = readInventory(layout.inventory);
  const entry = inventory.hosts.find((candidate) => candidate.name === name);
  const host = planHosts(context.spec, inventory.hosts.length - 1).find((candidate) => candidate.name === name);
  if (entry === undefined || host === undefined) throw new Error(`no host ${name} in ${layout.inventory}`);
  const paths = hostLayout(layout, name);
  const init = runningNspawnPid(paths, host) === undefined ? undefined : machineInitsUsing(paths.upper)[0];
  if (init === undefined) throw new Error(`${name} is not running`);
  return { host, paths, init, endpoint: inventoryEndpoint(inventory, name) };
}

/**
 * Runs a command inside a running host without SSH (through its mount and pid namespaces), for
 * what must not depend on the host's sshd: stopping and starting sshd itself, rebooting.
 */
export async function hostExec(context: LabContext, name: string, argv: readonly string[]): Promise<string> {
  const { init } = runningHost(context, name);
  return (await run("nsenter", ["--target", String(init), "--mount", "--pid", "--uts", "--net", "--", ...argv])).stdout;
}

/**
 * Reboots one host the way a machine reboots: `systemctl reboot` inside it (services stop, the
 * container's systemd ends), then the same root layer boots again. nspawn ends with the
 * container, so this starts it again and waits until the host answers ssh. What runs after the
 * reboot is what the host's own boot starts (enabled units), nothing this function starts.
 */
export async function rebootHost(context: LabContext, name: string): Promise<void> {
  const { host, paths, endpoint } = runningHost(context, name);
  const started = Date.now();
  await hostExec(context, name, ["systemctl", "reboot"]);
  if (!(await waitUntil(() => runningNspawnPid(paths, host) === undefined, 120_000))) {
    throw new Error(`${name} did not shut down within 120 s of systemctl reboot; console log: ${paths.consoleLog}`);
  }
  await startMachine(host, context.spec, paths);
  await waitForHost(paths, host, endpoint);
  context.write(`${name.padEnd(12)} rebooted in ${seconds(Date.now() - started)}`);
}

/**
 * Rebuilds one host from scratch, as a machine reinstalled under the same name and address: it
 * is stopped, its layer (and with it its host key, machine id and everything installed) deleted,
 * and it boots again from the image (or its role's installed layer) with a new key. The other
 * hosts keep running. Returns the new inventory (the host's new public key in it).
 */
export async function rebuildHost(context: LabContext, name: string): Promise<Inventory> {
  const { host } = runningHost(context, name);
  const layout = labLayout(context.stateDir);
  const computes = readInventory(layout.inventory).hosts.length - 1;
  await removeHost(layout, host);
  context.write(`${name.padEnd(12)} removed, to boot again from scratch`);
  return labUp(context, computes);
}

async function removeHost(layout: LabLayout, host: LabHost): Promise<void> {
  const paths = hostLayout(layout, host.name);
  await stopMachine(host, paths);
  await removeTree(paths.dir);
}

/** Stops and deletes every host, the bridge and the lab's state, then checks nothing is left. */
export async function labDown(context: LabContext): Promise<void> {
  const started = Date.now();
  const layout = labLayout(context.stateDir);
  const record = readLabRecord(layout);
  const spec: LabSpec = record !== undefined ? { name: record.name, bridge: record.bridge, subnet: record.subnet } : context.spec;
  if (process.getuid?.() !== 0) throw new Error("lab down needs root (it unmounts overlays and deletes a bridge)");
  const veths = (await bridgeExists(spec.bridge)) ? await bridgePorts(spec.bridge) : [];
  await Promise.all(
    hostNamesInState(layout).map(async (name) => {
      const hostStart = Date.now();
      await removeHost(layout, hostByName(spec, name));
      context.write(`${name.padEnd(12)} stopped in ${seconds(Date.now() - hostStart)}`);
    }),
  );
  await removeBridge(spec.bridge);
  await removeTree(layout.stateDir);
  // The kernel tears a machine's network namespace down asynchronously (its veth goes with it,
  // seconds later on a loaded host): wait for that, bounded, before calling anything left over.
  let leftovers = await labLeftovers(spec, context.stateDir, veths);
  for (const deadline = Date.now() + 20_000; leftovers.length > 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    leftovers = await labLeftovers(spec, context.stateDir, veths);
  }
  if (leftovers.length > 0) {
    throw new Error(`lab "${spec.name}" down left things behind:\n- ${leftovers.join("\n- ")}`);
  }
  context.write(`lab "${spec.name}" down in ${seconds(Date.now() - started)}: no process, mount, cgroup, bridge, veth or address left`);
}

/**
 * What of a lab still exists on this machine: nspawn or machine processes, mounts, machine
 * cgroups, the bridge, the given veths, addresses in the lab subnet. Empty after a clean `lab down`.
 */
export async function labLeftovers(spec: LabSpec, stateDir: string, veths: readonly string[] = []): Promise<string[]> {
  const leftovers: string[] = [];
  for (const pid of nspawnPidsOfLab(spec)) leftovers.push(`systemd-nspawn process ${pid}`);
  for (const pid of machineInitsUsing(stateDir)) leftovers.push(`machine init process ${pid} (and its machine)`);
  for (const mount of currentMountsUnder(stateDir)) leftovers.push(`mount ${mount}`);
  for (const cgroup of machineCgroupsLeft(`${spec.name}-`)) leftovers.push(`cgroup ${cgroup}`);
  if (await bridgeExists(spec.bridge)) leftovers.push(`bridge ${spec.bridge}`);
  for (const veth of veths) if (await linkExists(veth)) leftovers.push(`veth ${veth}`);
  for (const holder of await interfacesOnSubnet(spec)) leftovers.push(`address in ${spec.subnet} on ${holder}`);
  return leftovers;
}

/** Pids of systemd-nspawn processes running machines of this lab (found by their command line). */
function nspawnPidsOfLab(spec: LabSpec): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (path.basename(argv[0] ?? "") === "systemd-nspawn" && argv.some((arg) => arg.startsWith(`--machine=${spec.name}-`))) {
        pids.push(Number(entry));
      }
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

export interface HostStatus {
  readonly name: string;
  readonly address: string | undefined;
  /** nspawn pid when running. */
  readonly pid: number | undefined;
  readonly mounted: boolean;
  /** "ok", or why ssh with the pinned key failed; undefined when not running. */
  readonly ssh: string | undefined;
}

export interface LabStatus {
  readonly spec: LabSpec;
  readonly exists: boolean;
  readonly imageKey: string | undefined;
  readonly bridgeUp: boolean;
  readonly hosts: readonly HostStatus[];
}

/** The lab as it is now, including a quick ssh check of every running host. */
export async function labStatus(context: LabContext): Promise<LabStatus> {
  const layout = labLayout(context.stateDir);
  const record = readLabRecord(layout);
  const spec: LabSpec = record !== undefined ? { name: record.name, bridge: record.bridge, subnet: record.subnet } : context.spec;
  const inventory = fs.existsSync(layout.inventory) ? (JSON.parse(fs.readFileSync(layout.inventory, "utf8")) as Inventory) : undefined;
  const hosts = await Promise.all(
    hostNamesInState(layout).map(async (name): Promise<HostStatus> => {
      const paths: HostLayout = hostLayout(layout, name);
      const pid = runningNspawnPid(paths, hostByName(spec, name));
      const entry = inventory?.hosts.find((host) => host.name === name);
      let ssh: string | undefined;
      if (pid !== undefined) {
        if (inventory === undefined || entry === undefined) {
          ssh = "not in the inventory";
        } else {
          try {
            await withConnection(inventoryEndpoint(inventory, name), () => Promise.resolve(), { connectTimeoutMs: 3_000 });
            ssh = "ok";
          } catch (error) {
            ssh = (error as Error).message;
          }
        }
      }
      return { name, address: entry?.address, pid, mounted: isLayerMounted(paths), ssh };
    }),
  );
  // Controller first, then computes by number.
  const order = (name: string): number => (name === "controller" ? 0 : Number(name.replace(/\D/g, "")) || 1e9);
  hosts.sort((a, b) => order(a.name) - order(b.name));
  return { spec, exists: record !== undefined, imageKey: record?.imageKey, bridgeUp: await bridgeExists(spec.bridge), hosts };
}
