/**
 * Reads the raw values of the stack's keys into typed values, collecting every problem (each
 * naming the key, the value received and what was expected) instead of stopping at the first.
 */
import { isAbsolute } from "path";
import { isIPv4 } from "net";
import { GuestImage, inspectGuestImage } from "../guest/manifest";
import { publicKeyBlob } from "../lib/sshKeys";
import { CloudPasswords, isPasswordName, PasswordName, passwordNames, passwordProblem } from "./passwords";
import { configNamespace, FlavorConfig, HostConfig, HostRole, RawStackConfig } from "./types";

export const hostNamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** The comment may hold anything printable: ssh2 compares the key blob, nothing reads the comment. */
const publicKeyPattern = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+=*( [^\x00-\x1f\x7f]*)?$/;
/** useradd's default rule (NAME_REGEX), without the trailing "$" of Samba machine accounts. */
export const userNamePattern = /^[a-z_][a-z0-9_-]{0,31}$/;
export const flavorNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const hostFields = ["name", "role", "address", "port", "hostPublicKey"];
const flavorFields = ["name", "vcpus", "ramMb", "diskGb"];
export function key(name: string): string {
  return `${configNamespace}:${name}`;
}

/**
 * The path of a member, as `pulumi config --path` writes it: `parent.name`, or `parent["name"]`
 * when the name is not a plain word (so a hostile name cannot break the problem list's lines).
 */
export function member(parent: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Collects problems while reading values, so every problem is reported in one run. */
export class Reader {
  readonly problems: string[] = [];

  constructor(readonly raw: RawStackConfig) {}

  string(name: string, fallback?: string): string {
    const value = this.raw[name];
    if (value === undefined || value === "") {
      if (fallback === undefined) {
        this.problems.push(`${key(name)} is required`);
      }
      return fallback ?? "";
    }
    if (typeof value !== "string") {
      this.problems.push(`${key(name)}: expected a string, got ${show(value)}`);
      return fallback ?? "";
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw[name];
    if (value === undefined) {
      return fallback;
    }
    if (typeof value !== "boolean") {
      this.problems.push(`${key(name)}: expected true or false, got ${show(value)}`);
      return fallback;
    }
    return value;
  }

  /** Passwords: a JSON object of strings; values are never shown in messages. */
  passwords(required: readonly PasswordName[]): CloudPasswords {
    const value = this.raw["passwords"];
    const given = (typeof value === "object" && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
    if (value !== undefined && given !== value) {
      this.problems.push(`${key("passwords")}: expected an object of passwords (set each with pulumi config set --secret --path 'passwords.NAME')`);
    }
    for (const name of Object.keys(given)) {
      if (!isPasswordName(name)) {
        this.problems.push(`${member(key("passwords"), name)}: unknown password; expected one of ${passwordNames.join(", ")}`);
      }
    }
    const passwords = {} as Record<PasswordName, string>;
    for (const name of passwordNames) {
      const password = given[name];
      const path = `${key("passwords")}.${name}`;
      if (password === undefined) {
        if (required.includes(name)) {
          this.problems.push(`${path} is required (pulumi config set --secret --path 'passwords.${name}' ..., or nova-installer secrets init)`);
        }
        passwords[name] = "";
      } else if (typeof password !== "string") {
        this.problems.push(`${path}: expected a string`);
        passwords[name] = "";
      } else {
        const problem = passwordProblem(password, name);
        if (problem) {
          this.problems.push(`${path}: ${problem}`);
        }
        passwords[name] = password;
      }
    }
    return passwords;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
    const value = this.raw[name];
    if (value === undefined || value === "") {
      return fallback;
    }
    if (!(allowed as readonly unknown[]).includes(value)) {
      this.problems.push(`${key(name)}: ${show(value)} is not one of ${allowed.map((entry) => JSON.stringify(entry)).join(", ")}`);
      return fallback;
    }
    return value as T;
  }

  /**
   * The guest image directory: an absolute path whose manifest.json lists files that are there,
   * unchanged (size and sha256). Reads and hashes them: the one key whose check reads files.
   */
  guestImage(): GuestImage | undefined {
    const dir = this.string("guestImage", "");
    if (dir === "") {
      return undefined;
    }
    const build = "build it with `nova-installer guest-image` and set this key to the directory it prints";
    if (!isAbsolute(dir)) {
      this.problems.push(`${key("guestImage")}: ${show(dir)} is not an absolute path; ${build}`);
      return undefined;
    }
    const inspected = inspectGuestImage(dir);
    if ("problem" in inspected) {
      this.problems.push(`${key("guestImage")}: ${show(dir)} ${inspected.problem}; ${build}`);
      return undefined;
    }
    return inspected.image;
  }

  /** Settings marked secret: a list of "key" or "[section] key". */
  secretSettings(): string[] {
    const value = this.raw["secretSettings"];
    if (value === undefined) {
      return [];
    }
    if (!Array.isArray(value)) {
      this.problems.push(`${key("secretSettings")}: expected a list of "key" or "[section] key", got ${show(value)}`);
      return [];
    }
    return value.flatMap((entry, index) => {
      if (typeof entry !== "string" || !/^(\[[^\]\s]+\] )?[^\s[\]=]+$/.test(entry)) {
        this.problems.push(
          `${key("secretSettings")}[${index}]: ${show(entry)} is not "key" or "[section] key" (for example "[libvirt] rbd_secret_uuid")`,
        );
        return [];
      }
      return [entry];
    });
  }

  flavors(): FlavorConfig[] {
    const value = this.raw["flavors"];
    if (value === undefined) {
      return [];
    }
    if (!Array.isArray(value)) {
      this.problems.push(`${key("flavors")}: expected a list of {name, vcpus, ramMb, diskGb}, got ${show(value)}`);
      return [];
    }
    return value.map((entry, index) => {
      const path = `${key("flavors")}[${index}]`;
      const flavor = (typeof entry === "object" && entry !== null && !Array.isArray(entry) ? entry : {}) as Record<string, unknown>;
      if (flavor !== entry) {
        this.problems.push(`${path}: expected an object with ${flavorFields.join(", ")}, got ${show(entry)}`);
      }
      this.unknownFields(flavor, flavorFields, path);
      if (typeof flavor.name !== "string" || !flavorNamePattern.test(flavor.name)) {
        this.problems.push(`${path}.name: ${show(flavor.name)} is not a flavor name (letters, digits, ".", "_", "-")`);
      }
      for (const field of ["vcpus", "ramMb", "diskGb"]) {
        const number = flavor[field];
        if (typeof number !== "number" || !Number.isInteger(number) || number < (field === "diskGb" ? 0 : 1)) {
          this.problems.push(`${path}.${field}: ${show(number)} is not a ${field === "diskGb" ? "non-negative" : "positive"} whole number`);
        }
      }
      return { name: String(flavor.name), vcpus: Number(flavor.vcpus), ramMb: Number(flavor.ramMb), diskGb: Number(flavor.diskGb) };
    });
  }

  hosts(): HostConfig[] {
    const value = this.raw["hosts"];
    if (!Array.isArray(value) || value.length === 0) {
      this.problems.push(`${key("hosts")}: expected a non-empty list of hosts, got ${show(value)}`);
      return [];
    }
    return value.map((entry, index) => this.host(entry, `${key("hosts")}[${index}]`));
  }

  private host(entry: unknown, path: string): HostConfig {
    const host = (typeof entry === "object" && entry !== null && !Array.isArray(entry) ? entry : {}) as Record<string, unknown>;
    if (host !== entry) {
      this.problems.push(`${path}: expected an object with name, role, address and hostPublicKey, got ${show(entry)}`);
    }
    this.unknownFields(host, hostFields, path);
    const name = host["name"];
    if (typeof name !== "string" || !hostNamePattern.test(name)) {
      this.problems.push(`${path}.name: ${show(name)} is not a valid hostname (lower-case letters, digits and inner hyphens, at most 63)`);
    }
    const role = host["role"];
    if (role !== "controller" && role !== "compute") {
      this.problems.push(`${path}.role: ${show(role)} is not a role; expected "controller" or "compute"`);
    }
    const address = host["address"];
    if (typeof address !== "string" || !isIPv4(address)) {
      this.problems.push(`${path}.address: ${show(address)} is not an IPv4 address`);
    } else if (addressProblem(address) !== undefined) {
      this.problems.push(`${path}.address: ${show(address)} ${addressProblem(address)}; expected the host's own IPv4 address`);
    }
    const port = host["port"] ?? 22;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      this.problems.push(`${path}.port: ${show(port)} is not a TCP port (1-65535)`);
    }
    const hostPublicKey = host["hostPublicKey"];
    if (typeof hostPublicKey !== "string" || !publicKeyPattern.test(hostPublicKey.trim())) {
      this.problems.push(`${path}.hostPublicKey: ${show(hostPublicKey)} is not an OpenSSH public key ("ssh-ed25519 AAAA...")`);
    } else if (!keyDataMatchesType(hostPublicKey)) {
      this.problems.push(
        `${path}.hostPublicKey: ${show(hostPublicKey)} is not an OpenSSH public key: its data does not start with its type (a truncated or mislabelled key)`,
      );
    }
    return {
      name: String(name),
      role: role as HostRole,
      address: String(address),
      port: Number(port),
      hostPublicKey: String(hostPublicKey).trim(),
    };
  }

  /** A misspelt field would otherwise be dropped in silence ("Port": 2222 connecting to 22). */
  private unknownFields(entry: Record<string, unknown>, fields: readonly string[], path: string): void {
    for (const field of Object.keys(entry).filter((name) => !fields.includes(name))) {
      this.problems.push(`${member(path, field)}: unknown field; expected ${fields.join(", ")}`);
    }
  }
}

/**
 * Why an IPv4 address cannot be a host's own (SSH target, my_ip, what the other hosts reach it
 * at); undefined when it can. Loopback stays allowed: a host reached through a forwarded port.
 */
export function addressProblem(address: string): string | undefined {
  const firstOctet = Number(address.split(".")[0]);
  if (firstOctet === 0) {
    return `is in 0.0.0.0/8 ("this network": what a service listens on for every address, not a host)`;
  }
  if (firstOctet >= 224 && firstOctet <= 239) {
    return "is a multicast address (224.0.0.0/4), not a host";
  }
  if (firstOctet >= 240) {
    return "is reserved (240.0.0.0/4, which holds the broadcast address 255.255.255.255), not a host";
  }
  return undefined;
}

/** The key blob names its own type; a mismatch is a truncated or mislabelled key that SSH would refuse. */
function keyDataMatchesType(publicKeyLine: string): boolean {
  try {
    publicKeyBlob(publicKeyLine);
    return true;
  } catch {
    return false;
  }
}

/** Each repeated valid value's index with the index where it first appears (invalid ones are reported already). */
export function repeats(values: readonly string[], valid: (value: string) => boolean): [index: number, first: number][] {
  return values.flatMap((value, index) =>
    !valid(value) || values.indexOf(value) === index ? [] : [[index, values.indexOf(value)] as [number, number]],
  );
}
