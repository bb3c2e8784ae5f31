/**
 * The lab's host inventory: what the installer needs to reach the hosts (address, login, pinned
 * host key). `lab up` writes it to `<state>/lab/inventory.json`; `readInventory` loads and checks it.
 */
import * as fs from "fs";
import type { SshEndpoint } from "../remote/ssh";
import type { LabAccelerator } from "./hypervisor";
import { LabHost, HostRole } from "./network";
import { labLayout, labStateDir, repoRoot } from "./paths";

export interface InventoryHost {
  readonly name: string;
  readonly role: HostRole;
  readonly address: string;
  /** The host's ssh public key, one OpenSSH line, to pin when connecting. */
  readonly hostPublicKey: string;
}

export interface Inventory {
  readonly sshUser: string;
  /** Absolute path of the private key every host accepts for `sshUser`. */
  readonly privateKeyPath: string;
  /** Controller first, then computes in order. */
  readonly hosts: readonly InventoryHost[];
  /** How the computes run guests (lab/hypervisor.ts): KVM or QEMU's emulation, and why. */
  readonly accelerator: LabAccelerator;
}

/** Builds the inventory from the planned hosts and their public keys. Pure. */
export function buildInventory(
  hosts: readonly LabHost[],
  hostPublicKeys: Readonly<Record<string, string>>,
  privateKeyPath: string,
  accelerator: LabAccelerator,
): Inventory {
  return {
    sshUser: "root",
    privateKeyPath,
    accelerator,
    hosts: hosts.map((host) => {
      const hostPublicKey = hostPublicKeys[host.name];
      if (hostPublicKey === undefined) throw new Error(`no host public key for lab host "${host.name}"`);
      return { name: host.name, role: host.role, address: host.address, hostPublicKey };
    }),
  };
}

/** The inventory as written to disk (stable formatting, so unchanged hosts give unchanged bytes). */
export function renderInventory(inventory: Inventory): string {
  return `${JSON.stringify(inventory, null, 2)}\n`;
}

/** Where `lab up` writes the inventory for the current environment. */
function defaultInventoryPath(): string {
  return labLayout(labStateDir(process.env, repoRoot)).inventory;
}

/**
 * Reads and checks an inventory file (default: the one `lab up` writes).
 * @throws Error naming the file and the offending field when it is missing or malformed.
 */
export function readInventory(file: string = defaultInventoryPath()): Inventory {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`lab inventory ${file} not found: run "nova-installer lab up" first`);
  }
  return parseInventory(text, file);
}

/** Parses inventory JSON. Pure. @throws Error naming the source and the offending field. */
export function parseInventory(text: string, source: string): Inventory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`lab inventory ${source} is not JSON: ${(error as Error).message}`);
  }
  const fail = (field: string, expected: string, value: unknown): never => {
    throw new Error(`lab inventory ${source}: ${field} is ${JSON.stringify(value)}, expected ${expected}`);
  };
  const record = isObject(data) ? data : fail("the document", "an object", data);
  const sshUser = typeof record.sshUser === "string" && record.sshUser !== "" ? record.sshUser : fail("sshUser", "a user name", record.sshUser);
  const privateKeyPath =
    typeof record.privateKeyPath === "string" && record.privateKeyPath.startsWith("/")
      ? record.privateKeyPath
      : fail("privateKeyPath", "an absolute path", record.privateKeyPath);
  const hostList = Array.isArray(record.hosts) ? (record.hosts as unknown[]) : fail("hosts", "an array", record.hosts);
  const hosts = hostList.map((entry, index): InventoryHost => {
    const host = isObject(entry) ? entry : fail(`hosts[${index}]`, "an object", entry);
    const field = `hosts[${index}]`;
    return {
      name: typeof host.name === "string" && /^[a-z][a-z0-9-]*$/.test(host.name) ? host.name : fail(`${field}.name`, "a hostname", host.name),
      role: host.role === "controller" || host.role === "compute" ? host.role : fail(`${field}.role`, '"controller" or "compute"', host.role),
      address:
        typeof host.address === "string" && /^\d{1,3}(\.\d{1,3}){3}$/.test(host.address)
          ? host.address
          : fail(`${field}.address`, "an IPv4 address", host.address),
      hostPublicKey:
        typeof host.hostPublicKey === "string" && /^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+/.test(host.hostPublicKey)
          ? host.hostPublicKey
          : fail(`${field}.hostPublicKey`, "an OpenSSH public key line", host.hostPublicKey),
    };
  });
  const acceleratorRecord = isObject(record.accelerator)
    ? record.accelerator
    : fail("accelerator", "an object (written by lab up)", record.accelerator);
  const accelerator: LabAccelerator = {
    accelerator:
      acceleratorRecord.accelerator === "kvm" || acceleratorRecord.accelerator === "tcg"
        ? acceleratorRecord.accelerator
        : fail("accelerator.accelerator", '"kvm" or "tcg"', acceleratorRecord.accelerator),
    reason:
      typeof acceleratorRecord.reason === "string" ? acceleratorRecord.reason : fail("accelerator.reason", "a string", acceleratorRecord.reason),
  };
  return { sshUser, privateKeyPath, hosts, accelerator };
}

/** How to reach a host of the inventory over SSH, its pinned key included. @throws Error listing the known names. */
export function inventoryEndpoint(inventory: Inventory, name: string): SshEndpoint {
  const host = inventory.hosts.find((candidate) => candidate.name === name);
  if (host === undefined) {
    throw new Error(`lab host "${name}" is not in the inventory; hosts: ${inventory.hosts.map((h) => h.name).join(", ")}`);
  }
  return {
    hostName: host.name,
    address: host.address,
    user: inventory.sshUser,
    privateKeyPath: inventory.privateKeyPath,
    hostPublicKey: host.hostPublicKey,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
