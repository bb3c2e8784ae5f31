/**
 * Every configuration file the installer writes, rendered from templates/ for a profile.
 *
 * Merge order (later wins): the profile's templates for the file, in the profile's order, then
 * the operator's overrides. Overrides may add keys but not change one the installer sets:
 * those are derived from the rest of the configuration and must stay consistent with it.
 */
import { fillTemplate, fillTextTemplate, IniFragment, mergeFragments, renderOsloIni, TemplateVariables } from "../lib/osloIni";
import { DatabaseAccess, databaseUrlOf, serviceCatalog, ServiceId, serviceIds, serviceRecord } from "../catalog/services";
import type { CloudPasswords, PasswordName } from "../config/passwords";
import type { ConfigFileSpec } from "../profiles/profiles";
import { transportUrl } from "./urls";

export type { CloudPasswords };

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

/** The credentials file of a service's database user, readable by the service's group only. */
export function databaseCredentialsSpec(access: DatabaseAccess, readers: readonly string[]): ConfigFileSpec {
  return { path: access.credentialsFile, owner: "root", group: access.user, mode: "0640", format: "text", templates: ["mysql/client.cnf"], readers };
}

export function renderDatabaseCredentials(access: DatabaseAccess, passwords: CloudPasswords): string {
  return fillTextTemplate("mysql/client.cnf", { databasePassword: passwords[access.password as PasswordName] });
}

/**
 * Each service's variables, from its catalog record: `<user>User` and `<user>Password` of its
 * Keystone user, and its databases' URLs under the names the catalog gives them.
 */
function serviceVariables(controllerHost: string, passwords: CloudPasswords): TemplateVariables {
  const variables: Record<string, string> = {};
  for (const id of serviceIds) {
    const { keystone, database } = serviceRecord(id);
    if (keystone !== undefined) {
      variables[`${keystone.user}User`] = keystone.user;
      variables[`${keystone.user}Password`] = passwords[keystone.password as PasswordName];
    }
    for (const entry of database?.databases ?? []) {
      if (entry.urlVariable !== undefined) {
        variables[entry.urlVariable] = databaseUrlOf(database!, controllerHost, entry.name);
      }
    }
  }
  return variables;
}

export function templateVariables(cloud: CloudSettings, host: HostSettings): TemplateVariables {
  const controller = cloud.controllerHost;
  const port = (id: ServiceId): number => serviceRecord(id).ports[0].port;
  return {
    controllerHost: controller,
    controllerAddress: cloud.controllerAddress,
    listenAddress: cloud.controllerAddress,
    transportUrl: transportUrl("openstack", cloud.passwords.rabbit, controller, port("rabbitmq")),
    myIp: host.myIp,
    region: cloud.region,
    identityPublicUrl: `http://${controller}:${port("keystone")}/`,
    identityInternalUrl: `http://${controller}:${port("keystone")}/v3`,
    memcachedServers: `${controller}:${port("memcached")}`,
    imageUrl: `http://${controller}:${port("glance")}`,
    novncproxyBaseUrl: `http://${controller}:${serviceCatalog.nova.ports[1].port}/vnc_auto.html`,
    ...serviceVariables(controller, cloud.passwords),
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
