/**
 * The stack configuration's types: what `resolveStackConfig` (config/stackConfig.ts) returns
 * once every key is validated.
 */
import type { serviceCatalog } from "../catalog/services";
import type { GuestImage } from "../guest/manifest";
import type { IniFragment } from "../lib/osloIni";
import type { OsProfile } from "../profiles/profiles";
import type { CloudPasswords } from "./passwords";

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

type Catalog = typeof serviceCatalog;

/** The `configOverrides` keys: the files an operator may add settings to, as the catalog names them. */
export type OverridableFile = {
  [id in keyof Catalog]: Catalog[id] extends { overrides: { configKey: infer K } } ? K : never;
}[keyof Catalog];

export const computeDrivers = ["libvirt.LibvirtDriver", "fake.FakeDriver"] as const;
export type ComputeDriver = (typeof computeDrivers)[number];

/** [libvirt] virt_type: hardware-accelerated KVM or QEMU's software emulation. */
export const virtTypes = ["kvm", "qemu"] as const;
export type VirtType = (typeof virtTypes)[number];

export interface FlavorConfig {
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
}

/** Everything about a stack but its passwords: what the deployment is built from. */
export interface StackSettings {
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
  readonly configOverrides: Readonly<Partial<Record<OverridableFile, IniFragment>>>;
  /**
   * Settings the operator marks secret, "key" (any section) or "[section] key": like the
   * installer's own (passwords, transport_url, connection), their values are never shown by
   * preview-diff or drift.
   */
  readonly secretSettings: readonly string[];
  /** nova-compute's virt driver on every compute. */
  readonly computeDriver: ComputeDriver;
  /** [libvirt] virt_type; undefined: from each compute's CPU flags (vmx/svm: kvm, none: qemu). */
  readonly virtType: VirtType | undefined;
  /** Flavors the installer creates (none unless asked). */
  readonly flavors: readonly FlavorConfig[];
  /** uwsgi worker processes per API (Debian); undefined keeps the packages' numbers. */
  readonly apiWorkers: number | undefined;
  /**
   * Let `pulumi destroy` drop the databases and remove the Keystone registration. Off: both are
   * protected and a destroy that would delete them fails before touching anything.
   */
  readonly allowDataDestruction: boolean;
  /**
   * The test guest (kernel, ramdisk, root disk) Glance is given with the prerequisites, its
   * files checked against its manifest; undefined: Glance gets a placeholder image instead.
   */
  readonly guestImage: GuestImage | undefined;
}

export interface StackConfig extends StackSettings {
  /**
   * Plain-text passwords. The entry point wraps them in a secret at once and hands the
   * deployment the settings without them. Passwords a stack does not need (the
   * prerequisites' when those are off) are empty strings.
   */
  readonly passwords: CloudPasswords;
}

/** Raw values of the `nova-installer:*` keys, as read from Pulumi config (undefined when unset). */
export type RawStackConfig = Readonly<Record<string, unknown>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}
