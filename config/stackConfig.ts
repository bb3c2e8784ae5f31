/**
 * Stack configuration: defaults and validation, resolved once, before any resource exists.
 *
 * `resolveStackConfig` is pure: it takes the raw values of the `nova-installer:*` keys and
 * returns the typed configuration, or throws one error listing every problem, each naming the
 * key, the value received and what was expected.
 */
import { isIPv4 } from "net";
import type { IniFragment } from "../lib/osloIni";
import { publicKeyBlob } from "../lib/sshKeys";
import { ConfigFiles, OsProfile, profileFor, supportedProfiles } from "../profiles/profiles";
import { CloudPasswords, passwordNames, renderConfigFile } from "../render/configFiles";
import { stackConfigKeys } from "./rawConfig";

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

/** Files an operator may add settings to (ini files only), by the profile's file names. */
export type OverridableFile = Extract<keyof ConfigFiles, "placement" | "novaController" | "novaCompute">;
const overridableFiles: readonly OverridableFile[] = ["placement", "novaController", "novaCompute"];

/** Passwords every stack needs, and those only needed when the installer runs the prerequisites. */
const requiredPasswords: readonly (keyof CloudPasswords)[] = ["admin", "rabbit", "novaDatabase", "nova", "placementDatabase", "placement", "neutron"];

export interface StackConfig {
  readonly operatingSystem: string;
  readonly openstackRelease: string;
  readonly profile: OsProfile;
  readonly sshUser: string;
  readonly sshPrivateKeyPath: string;
  readonly hosts: readonly HostConfig[];
  readonly controller: HostConfig;
  readonly computes: readonly HostConfig[];
  readonly region: string;
  /** Install and configure MariaDB, RabbitMQ, memcached, Keystone, Glance and the Networking API too. */
  readonly prerequisites: boolean;
  readonly refreshPackageIndex: boolean;
  /**
   * Plain-text passwords. The entry point wraps them in a secret at once; nothing else reads
   * them from here. Passwords a stack does not need (the prerequisites' when those are off)
   * are empty strings.
   */
  readonly passwords: CloudPasswords;
  readonly configOverrides: Readonly<Partial<Record<OverridableFile, IniFragment>>>;
  /** nova-compute's virt driver on every compute. */
  readonly computeDriver: ComputeDriver;
  /** [libvirt] virt_type; undefined: from each compute's CPU flags (vmx/svm: kvm, none: qemu). */
  readonly virtType: "kvm" | "qemu" | undefined;
  /** Flavors the installer creates (none unless asked). */
  readonly flavors: readonly FlavorConfig[];
  /** uwsgi worker processes per API (Debian); undefined keeps the packages' numbers. */
  readonly apiWorkers: number | undefined;
  /**
   * Let `pulumi destroy` drop the databases and remove the Keystone registration. Off: both are
   * protected and a destroy that would delete them fails before touching anything.
   */
  readonly allowDataDestruction: boolean;
}

export const computeDrivers = ["libvirt.LibvirtDriver", "fake.FakeDriver"] as const;
export type ComputeDriver = (typeof computeDrivers)[number];

export interface FlavorConfig {
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
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
/** The comment may hold anything printable: ssh2 compares the key blob, nothing reads the comment. */
const publicKeyPattern = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+=*( [^\x00-\x1f\x7f]*)?$/;
/** useradd's default rule (NAME_REGEX), without the trailing "$" of Samba machine accounts. */
const userNamePattern = /^[a-z_][a-z0-9_-]{0,31}$/;
const flavorNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const hostFields = ["name", "role", "address", "port", "hostPublicKey"];
const flavorFields = ["name", "vcpus", "ramMb", "diskGb"];
/**
 * oslo.config reads section names in lower case, all but DEFAULT: "[Database]" would set
 * [database] keys behind the installer's back, so overrides must spell sections as they are read.
 */
const sectionNamePattern = /^(DEFAULT|[a-z][a-z0-9_.-]{0,63})$/;
/** Option names as oslo.config registers them; nothing here can open a section or a comment. */
const optionNamePattern = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
/** What a line-based ini parser could read as the end of a value; tab is ordinary text. */
const controlCharacters = /[\x00-\x08\x0a-\x1f\x7f]/;

function key(name: string): string {
  return `${configNamespace}:${name}`;
}

/**
 * The path of a member, as `pulumi config --path` writes it: `parent.name`, or `parent["name"]`
 * when the name is not a plain word (so a hostile name cannot break the problem list's lines).
 */
function member(parent: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
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
  passwords(required: readonly (keyof CloudPasswords)[]): CloudPasswords {
    const value = this.raw["passwords"];
    const given = (typeof value === "object" && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
    if (value !== undefined && given !== value) {
      this.problems.push(`${key("passwords")}: expected an object of passwords (set each with pulumi config set --secret --path 'passwords.NAME')`);
    }
    for (const name of Object.keys(given)) {
      if (!(passwordNames as readonly string[]).includes(name)) {
        this.problems.push(`${member(key("passwords"), name)}: unknown password; expected one of ${passwordNames.join(", ")}`);
      }
    }
    const passwords: Record<string, string> = {};
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
    return passwords as unknown as CloudPasswords;
  }

  overrides(): Partial<Record<OverridableFile, IniFragment>> {
    const value = this.raw["configOverrides"];
    if (value === undefined) {
      return {};
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problems.push(`${key("configOverrides")}: expected an object keyed by file (${overridableFiles.join(", ")}), got ${show(value)}`);
      return {};
    }
    const overrides: Partial<Record<OverridableFile, IniFragment>> = {};
    for (const [file, sections] of Object.entries(value as Record<string, unknown>)) {
      const path = member(key("configOverrides"), file);
      if (!(overridableFiles as readonly string[]).includes(file)) {
        this.problems.push(`${path}: unknown file; expected one of ${overridableFiles.join(", ")}`);
        continue;
      }
      if (typeof sections !== "object" || sections === null || Array.isArray(sections)) {
        this.problems.push(`${path}: expected an object of sections, got ${show(sections)}`);
        continue;
      }
      const fragment: IniFragment = {};
      for (const [section, entries] of Object.entries(sections as Record<string, unknown>)) {
        const sectionPath = member(path, section);
        if (!sectionNamePattern.test(section) || section === "default") {
          this.problems.push(`${sectionPath}: ${show(section)} ${sectionNameProblem(section)}`);
          continue;
        }
        fragment[section] = {};
        if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
          this.problems.push(`${sectionPath}: expected an object of keys, got ${show(entries)}`);
          continue;
        }
        for (const [name, setting] of Object.entries(entries as Record<string, unknown>)) {
          const settingPath = member(sectionPath, name);
          if (!optionNamePattern.test(name)) {
            this.problems.push(`${settingPath}: ${show(name)} is not an option name (a letter, then letters, digits, "_", ".", "-")`);
            continue;
          }
          if (!["string", "number", "boolean"].includes(typeof setting)) {
            this.problems.push(`${settingPath}: expected a string, number or boolean, got ${show(setting)}`);
            continue;
          }
          // The value is not shown: an override may carry a credential.
          if (typeof setting === "string" && controlCharacters.test(setting)) {
            this.problems.push(`${settingPath}: a value cannot contain a line break, NUL or other control character (a line break would let it write keys and sections of its own)`);
            continue;
          }
          fragment[section][name] = setting as string | number | boolean;
        }
      }
      overrides[file as OverridableFile] = fragment;
    }
    return overrides;
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
      this.problems.push(`${path}.hostPublicKey: ${show(hostPublicKey)} is not an OpenSSH public key: its data does not start with its type (a truncated or mislabelled key)`);
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

/** Why an override's section name is refused (the caller has tested it). */
function sectionNameProblem(section: string): string {
  if (section.toUpperCase() === "DEFAULT") {
    return `is not how oslo.config names the default section; write "DEFAULT"`;
  }
  if (sectionNamePattern.test(section.toLowerCase())) {
    return `would be read as [${section.toLowerCase()}] (oslo.config lower-cases section names, all but DEFAULT); write ${show(section.toLowerCase())}`;
  }
  return `is not a section name (a lower-case letter, then lower-case letters, digits, "_", ".", "-"; or DEFAULT)`;
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

/**
 * Characters a password cannot hold, by password, beyond the general rules: oslo.messaging's
 * rabbit driver rebuilds the broker URL with urllib's quote(), which leaves "/" unencoded, so a
 * "/" in the RabbitMQ password breaks the URL (kombu: "Port could not be cast to integer").
 */
export const forbiddenPasswordCharacters: Readonly<Partial<Record<keyof CloudPasswords, string>>> = { rabbit: "/" };

/** Why oslo.config, a shell or a URL could not carry a password unchanged; undefined when it can. */
export function passwordProblem(password: string, name?: keyof CloudPasswords): string | undefined {
  const forbidden = [...(name ? forbiddenPasswordCharacters[name] ?? "" : "")].filter((character) => password.includes(character));
  if (forbidden.length > 0) {
    return `cannot contain ${forbidden.map((character) => JSON.stringify(character)).join(", ")} (oslo.messaging leaves it unencoded in the broker URL)`;
  }
  if (password.length < 8 || password.length > 128) {
    return `expected 8 to 128 characters, got ${password.length}`;
  }
  if (/[\0\r\n]/.test(password)) {
    return "a password cannot contain a line break or NUL";
  }
  if (password !== password.trim()) {
    return "a password cannot start or end with white space (oslo.config strips it)";
  }
  if (password.includes("\\$")) {
    // oslo.config turns "\$" into "$$" before its own unescaping: no escape yields a literal "\$".
    return 'a password cannot contain a backslash directly followed by "$" (oslo.config reads it as an escaped "$")';
  }
  if ((password[0] === '"' || password[0] === "'") && password[0] === password[password.length - 1]) {
    return "a password cannot start and end with the same quote character (oslo.config strips them)";
  }
  return undefined;
}

/** Each repeated valid value's index with the index where it first appears (invalid ones are reported already). */
function repeats(values: readonly string[], valid: (value: string) => boolean): [index: number, first: number][] {
  return values.flatMap((value, index) => (!valid(value) || values.indexOf(value) === index ? [] : [[index, values.indexOf(value)] as [number, number]]));
}

/** Overrides of keys the installer sets, found by rendering each file with stand-in values. */
function overrideProblems(profile: OsProfile, overrides: Partial<Record<OverridableFile, IniFragment>>): string[] {
  const standIn = "stand-in-password";
  const cloud = {
    controllerHost: "controller",
    controllerAddress: "192.0.2.10",
    region: "RegionOne",
    passwords: Object.fromEntries(passwordNames.map((name) => [name, standIn])) as unknown as CloudPasswords,
  };
  const problems: string[] = [];
  for (const [file, fragment] of Object.entries(overrides) as [OverridableFile, IniFragment][]) {
    const path = `${key("configOverrides")}.${file}`;
    const spec = profile.files[file];
    if (spec === undefined) {
      problems.push(`${path}: the ${profile.operatingSystem}/${profile.release} profile has no such file`);
      continue;
    }
    // One setting at a time, so that what the renderer refuses is reported under its own key.
    for (const [section, entries] of Object.entries(fragment)) {
      for (const [name, value] of Object.entries(entries)) {
        try {
          renderConfigFile(spec, cloud, { myIp: "192.0.2.10", virtType: "qemu" }, { [section]: { [name]: value } });
        } catch (error) {
          problems.push(`${member(member(path, section), name)}: ${(error as Error).message}`);
        }
      }
    }
  }
  return problems;
}

export function resolveStackConfig(raw: RawStackConfig): StackConfig {
  const reader = new Reader(raw);
  for (const name of Object.keys(raw).filter((name) => raw[name] !== undefined && !stackConfigKeys.includes(name))) {
    const shown = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? key(name) : `${configNamespace}:${show(name)}`;
    reader.problems.push(`${shown}: unknown key; expected one of ${stackConfigKeys.join(", ")}`);
  }
  const operatingSystem = reader.string("operatingSystem", "debian-12");
  const openstackRelease = reader.string("openstackRelease", "zed");
  const sshUser = reader.string("sshUser", "root");
  if (!userNamePattern.test(sshUser)) {
    reader.problems.push(`${key("sshUser")}: ${show(sshUser)} is not a user name (a lower-case letter or "_", then lower-case letters, digits, "_", "-"; at most 32)`);
  }
  const sshPrivateKeyPath = reader.string("sshPrivateKeyPath");
  const hosts = reader.hosts();
  const region = reader.string("region", "RegionOne");
  const prerequisites = reader.boolean("prerequisites", false);
  const refreshPackageIndex = reader.boolean("refreshPackageIndex", true);
  const allowDataDestruction = reader.boolean("allowDataDestruction", false);
  const passwords = reader.passwords(
    prerequisites ? passwordNames : requiredPasswords,
  );
  const configOverrides = reader.overrides();
  const computeDriver = reader.oneOf("computeDriver", computeDrivers, "libvirt.LibvirtDriver") as ComputeDriver;
  const virtType = reader.oneOf("virtType", ["kvm", "qemu"] as const, undefined);
  const flavors = reader.flavors();
  const apiWorkersValue = raw["apiWorkers"];
  const apiWorkers = apiWorkersValue === undefined || apiWorkersValue === 0 ? undefined : apiWorkersValue;
  if (apiWorkers !== undefined && (typeof apiWorkers !== "number" || !Number.isInteger(apiWorkers) || apiWorkers < 1 || apiWorkers > 64)) {
    reader.problems.push(`${key("apiWorkers")}: ${show(apiWorkers)} is not a number of worker processes (1-64)`);
  }
  const problems = reader.problems;
  for (const [index, first] of repeats(flavors.map((flavor) => flavor.name), (name) => flavorNamePattern.test(name))) {
    problems.push(`${key("flavors")}[${index}].name: ${show(flavors[index].name)} is already the name of flavors[${first}]; each flavor needs its own name`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(region)) {
    problems.push(`${key("region")}: ${show(region)} is not a region name (letters, digits, ".", "_", "-")`);
  }

  let profile: OsProfile | undefined;
  try {
    profile = profileFor(operatingSystem, openstackRelease);
  } catch {
    problems.push(
      `${key("operatingSystem")}/${key("openstackRelease")}: ${show(`${operatingSystem}/${openstackRelease}`)} is not supported; expected one of ${supportedProfiles.join(", ")}`,
    );
  }
  for (const [index, first] of repeats(hosts.map((host) => host.name), (name) => hostNamePattern.test(name))) {
    problems.push(`${key("hosts")}[${index}].name: ${show(hosts[index].name)} is already the name of hosts[${first}]; each host needs its own name`);
  }
  for (const [index, first] of repeats(hosts.map((host) => host.address), isIPv4)) {
    problems.push(`${key("hosts")}[${index}].address: ${show(hosts[index].address)} is already the address of hosts[${first}]; each host needs its own address`);
  }
  const controllers = hosts.filter((host) => host.role === "controller");
  if (hosts.length > 0 && controllers.length !== 1) {
    problems.push(`${key("hosts")}: expected exactly one host with role "controller", found ${controllers.length}`);
  }
  if (profile !== undefined) {
    problems.push(...overrideProblems(profile, configOverrides));
  }
  if (problems.length > 0 || profile === undefined) {
    throw new ConfigError(problems);
  }
  return {
    operatingSystem,
    openstackRelease,
    profile,
    sshUser,
    sshPrivateKeyPath,
    hosts,
    controller: controllers[0],
    computes: hosts.filter((host) => host.role === "compute"),
    region,
    prerequisites,
    refreshPackageIndex,
    passwords,
    configOverrides,
    computeDriver,
    virtType,
    flavors,
    apiWorkers: apiWorkers as number | undefined,
    allowDataDestruction,
  };
}
