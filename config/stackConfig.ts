/**
 * Stack configuration: defaults and validation, resolved once, before any resource exists.
 *
 * `resolveStackConfig` is pure: it takes the raw values of the `nova-installer:*` keys and
 * returns the typed configuration, or throws one error listing every problem, each naming the
 * key, the value received and what was expected.
 */
import { isIPv4 } from "net";
import { OsProfile, profileFor, supportedProfiles } from "../profiles/profiles";

export const configNamespace = "nova-installer";

export type HostRole = "controller" | "compute";

export interface HostConfig {
  /** Inventory name, also the hostname the host must resolve to itself. */
  readonly name: string;
  readonly role: HostRole;
  readonly address: string;
  readonly port: number;
  /** Pinned SSH host key, "ssh-ed25519 AAAA...". */
  readonly hostPublicKey: string;
}

export interface StackConfig {
  readonly operatingSystem: string;
  readonly openstackRelease: string;
  readonly profile: OsProfile;
  readonly sshUser: string;
  readonly sshPrivateKeyPath: string;
  readonly hosts: readonly HostConfig[];
}

/** Raw values of the `nova-installer:*` keys, as read from Pulumi config (undefined when unset). */
export type RawStackConfig = Readonly<Record<string, unknown>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const hostNamePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const publicKeyPattern = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+=*( [^\n]*)?$/;

function key(name: string): string {
  return `${configNamespace}:${name}`;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Collects problems while reading values, so every problem is reported in one run. */
class Reader {
  readonly problems: string[] = [];

  constructor(private readonly raw: RawStackConfig) {}

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

  hosts(): HostConfig[] {
    const value = this.raw["hosts"];
    if (!Array.isArray(value) || value.length === 0) {
      this.problems.push(`${key("hosts")}: expected a non-empty list of hosts, got ${show(value)}`);
      return [];
    }
    return value.map((entry, index) => this.host(entry, `${key("hosts")}[${index}]`));
  }

  private host(entry: unknown, path: string): HostConfig {
    const host = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (host !== entry) {
      this.problems.push(`${path}: expected an object with name, role, address and hostPublicKey, got ${show(entry)}`);
    }
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
    }
    const port = host["port"] ?? 22;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      this.problems.push(`${path}.port: ${show(port)} is not a TCP port (1-65535)`);
    }
    const hostPublicKey = host["hostPublicKey"];
    if (typeof hostPublicKey !== "string" || !publicKeyPattern.test(hostPublicKey.trim())) {
      this.problems.push(`${path}.hostPublicKey: ${show(hostPublicKey)} is not an OpenSSH public key ("ssh-ed25519 AAAA...")`);
    }
    return {
      name: String(name),
      role: role as HostRole,
      address: String(address),
      port: Number(port),
      hostPublicKey: String(hostPublicKey).trim(),
    };
  }
}

function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}

export function resolveStackConfig(raw: RawStackConfig): StackConfig {
  const reader = new Reader(raw);
  const operatingSystem = reader.string("operatingSystem", "debian-12");
  const openstackRelease = reader.string("openstackRelease", "zed");
  const sshUser = reader.string("sshUser", "root");
  const sshPrivateKeyPath = reader.string("sshPrivateKeyPath");
  const hosts = reader.hosts();
  const problems = reader.problems;

  let profile: OsProfile | undefined;
  try {
    profile = profileFor(operatingSystem, openstackRelease);
  } catch {
    problems.push(
      `${key("operatingSystem")}/${key("openstackRelease")}: ${show(`${operatingSystem}/${openstackRelease}`)} is not supported; expected one of ${supportedProfiles.join(", ")}`,
    );
  }
  for (const name of duplicates(hosts.map((host) => host.name))) {
    problems.push(`${key("hosts")}: host name ${show(name)} is listed more than once`);
  }
  for (const address of duplicates(hosts.map((host) => host.address))) {
    problems.push(`${key("hosts")}: address ${show(address)} is used by more than one host`);
  }
  const controllers = hosts.filter((host) => host.role === "controller");
  if (hosts.length > 0 && controllers.length !== 1) {
    problems.push(`${key("hosts")}: expected exactly one host with role "controller", found ${controllers.length}`);
  }
  if (problems.length > 0 || profile === undefined) {
    throw new ConfigError(problems);
  }
  return { operatingSystem, openstackRelease, profile, sshUser, sshPrivateKeyPath, hosts };
}
