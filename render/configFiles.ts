/**
 * Every configuration file the installer writes, rendered from templates/ for a profile.
 *
 * Merge order (later wins): the profile's templates for the file, in the profile's order, then
 * the operator's overrides. Overrides may add keys but not change one the installer sets:
 * those are derived from the rest of the configuration and must stay consistent with it.
 */
import { fillTemplate, fillTextTemplate, IniFragment, mergeFragments, renderOsloIni, TemplateVariables } from "../lib/osloIni";
import type { ConfigFileSpec } from "../profiles/profiles";
import { databaseUrl, transportUrl } from "./urls";

/** Every password of the cloud. Service users and database users are separate accounts. */
export interface CloudPasswords {
  readonly admin: string;
  readonly rabbit: string;
  readonly keystoneDatabase: string;
  readonly glanceDatabase: string;
  readonly glance: string;
  readonly neutronDatabase: string;
  readonly neutron: string;
  readonly novaDatabase: string;
  readonly nova: string;
  readonly placementDatabase: string;
  readonly placement: string;
}

export const passwordNames: readonly (keyof CloudPasswords)[] = [
  "admin",
  "rabbit",
  "keystoneDatabase",
  "glanceDatabase",
  "glance",
  "neutronDatabase",
  "neutron",
  "novaDatabase",
  "nova",
  "placementDatabase",
  "placement",
];

/** Everything about the cloud the configuration files depend on. */
export interface CloudSettings {
  /** Name every host reaches the controller's services at. */
  readonly controllerHost: string;
  /** The controller's management address (what its services listen on). */
  readonly controllerAddress: string;
  readonly region: string;
  readonly passwords: CloudPasswords;
}

/** What differs per host. */
export interface HostSettings {
  /** The host's management address ([DEFAULT] my_ip). */
  readonly myIp: string;
  /** Compute only: nova's virt driver. Default "libvirt.LibvirtDriver". */
  readonly computeDriver?: string;
  /** Compute only: "kvm" or "qemu". */
  readonly virtType?: string;
  /** Controller only: seconds between periodic host discoveries; undefined leaves it off. */
  readonly discoverHostsInterval?: number;
}

export function templateVariables(cloud: CloudSettings, host: HostSettings): TemplateVariables {
  const controller = cloud.controllerHost;
  const passwords = cloud.passwords;
  return {
    controllerHost: controller,
    controllerAddress: cloud.controllerAddress,
    listenAddress: cloud.controllerAddress,
    transportUrl: transportUrl("openstack", passwords.rabbit, controller),
    myIp: host.myIp,
    region: cloud.region,
    identityPublicUrl: `http://${controller}:5000/`,
    identityInternalUrl: `http://${controller}:5000/v3`,
    memcachedServers: `${controller}:11211`,
    imageUrl: `http://${controller}:9292`,
    novncproxyBaseUrl: `http://${controller}:6080/vnc_auto.html`,
    novaUser: "nova",
    novaPassword: passwords.nova,
    placementUser: "placement",
    placementPassword: passwords.placement,
    neutronUser: "neutron",
    neutronPassword: passwords.neutron,
    glanceUser: "glance",
    glancePassword: passwords.glance,
    keystoneDatabaseUrl: databaseUrl("keystone", passwords.keystoneDatabase, controller, "keystone"),
    glanceDatabaseUrl: databaseUrl("glance", passwords.glanceDatabase, controller, "glance"),
    neutronDatabaseUrl: databaseUrl("neutron", passwords.neutronDatabase, controller, "neutron"),
    apiDatabaseUrl: databaseUrl("nova", passwords.novaDatabase, controller, "nova_api"),
    databaseUrl: databaseUrl("nova", passwords.novaDatabase, controller, "nova"),
    placementDatabaseUrl: databaseUrl("placement", passwords.placementDatabase, controller, "placement"),
    computeDriver: host.computeDriver ?? "libvirt.LibvirtDriver",
    virtType: host.virtType,
    discoverHostsInterval: host.discoverHostsInterval,
  };
}

/** Refuses overrides of keys the templates set, naming each. */
export function checkOverrides(file: string, base: IniFragment, overrides: IniFragment = {}): void {
  const owned = Object.entries(overrides).flatMap(([section, entries]) =>
    Object.keys(entries)
      .filter((key) => base[section]?.[key] !== undefined)
      .map((key) => `[${section}] ${key}`),
  );
  if (owned.length > 0) {
    throw new Error(`${file}: these keys are set by the installer and cannot be overridden: ${owned.join(", ")}`);
  }
}

/** The file's text. Overrides apply to ini files only. */
export function renderConfigFile(spec: ConfigFileSpec, cloud: CloudSettings, host: HostSettings, overrides?: IniFragment): string {
  const variables = templateVariables(cloud, host);
  if (spec.format === "text") {
    if (overrides !== undefined && Object.keys(overrides).length > 0) {
      throw new Error(`${spec.path}: overrides apply to ini files only`);
    }
    return fillTextTemplate(spec.templates[0], variables);
  }
  const base = mergeFragments(...spec.templates.map((template) => fillTemplate(template, variables)));
  checkOverrides(spec.path, base, overrides);
  return renderOsloIni(mergeFragments(base, overrides ?? {}));
}
