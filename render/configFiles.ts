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

/** Each database user's credentials file (templates/mysql/client.cnf), same path on every OS. */
export const databaseCredentialFiles = {
  keystone: "/etc/keystone/keystone-database.cnf",
  glance: "/etc/glance/glance-database.cnf",
  neutron: "/etc/neutron/neutron-database.cnf",
  nova: "/etc/nova/nova-database.cnf",
  placement: "/etc/placement/placement-database.cnf",
} as const;

export type DatabaseUserName = keyof typeof databaseCredentialFiles;

/** Which password each database user logs in with. */
export const databasePasswordOf: { readonly [user in DatabaseUserName]: keyof CloudPasswords } = {
  keystone: "keystoneDatabase",
  glance: "glanceDatabase",
  neutron: "neutronDatabase",
  nova: "novaDatabase",
  placement: "placementDatabase",
};

/** The credentials file of a database user, readable by the service's group only. */
export function databaseCredentialsSpec(user: DatabaseUserName, readers: readonly string[]): ConfigFileSpec {
  return {
    path: databaseCredentialFiles[user],
    owner: "root",
    group: user,
    mode: "0640",
    format: "text",
    templates: ["mysql/client.cnf"],
    readers,
  };
}

export function renderDatabaseCredentials(user: DatabaseUserName, passwords: CloudPasswords): string {
  return fillTextTemplate("mysql/client.cnf", { databasePassword: passwords[databasePasswordOf[user]] });
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
    keystoneDatabaseUrl: databaseUrl("keystone", controller, "keystone", databaseCredentialFiles.keystone),
    glanceDatabaseUrl: databaseUrl("glance", controller, "glance", databaseCredentialFiles.glance),
    neutronDatabaseUrl: databaseUrl("neutron", controller, "neutron", databaseCredentialFiles.neutron),
    apiDatabaseUrl: databaseUrl("nova", controller, "nova_api", databaseCredentialFiles.nova),
    databaseUrl: databaseUrl("nova", controller, "nova", databaseCredentialFiles.nova),
    placementDatabaseUrl: databaseUrl("placement", controller, "placement", databaseCredentialFiles.placement),
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
