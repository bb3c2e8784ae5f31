/**
 * What the installer does on one host, as pure data: which services it configures there, every
 * file with the step that writes it and how its content is rendered, every schema, start and
 * client step with its name. The components build their steps from it (components/), and the
 * read-only commands read it (`nova-installer render`, `preview-diff`, `doctor`), so what
 * they show is what `pulumi up` does.
 *
 * Step names: `<host>-<component>-<what>`, the component from the service's catalog record,
 * the rest from what the step writes or runs (a file's id, "services", "schema"); never an index.
 */
import { serviceCatalog, ServiceId, ServiceRecord, serviceRecord, installedServices, ClientStep, SchemaStep, StepContext } from "../catalog/services";
import type { CloudPasswords } from "../config/passwords";
import type { HostConfig, StackSettings } from "../config/types";
import { guestImageRegistration } from "../guest/glance";
import type { IniFragment } from "../lib/osloIni";
import { shellQuote } from "../lib/shell";
import { computeDriverClass, type ConfigFileSpec, type ServicePlatform } from "../profiles/profiles";
import { CloudSettings, databaseCredentialsSpec, HostSettings, renderConfigFile, renderDatabaseCredentials } from "../render/configFiles";
import { adminOpenrc } from "../steps/openstackClient";
import type { TcpCheck } from "../steps/services";

import type { VirtType } from "../config/types";
export type { VirtType };

export interface PlannedFile {
  /** The step (resource name) that writes the file: `<host>-<component>-<file id>`. */
  readonly step: string;
  /** The step's name before files were named by id, where it differs (an alias: existing stacks keep the step). */
  readonly formerStep?: string;
  /** The environment variable a step that must follow the file's changes receives it in (NEUTRON_CONF). */
  readonly variable: string;
  readonly path: string;
  readonly owner: string;
  readonly group: string;
  readonly mode: string;
  /** "ini" files hold `[section] key = value` settings; "text" files anything else. */
  readonly format: "ini" | "text";
  /** Units restarted when the file changes. */
  readonly readers: readonly string[];
  /** Settings the operator marked secret (nova-installer:secretSettings), besides the installer's own. */
  readonly secretSettings: readonly string[];
  /** Whether the content depends on the compute's virt_type (decided from its CPU at deploy time). */
  readonly needsVirtType: boolean;
  /** The file's text for these passwords (and virt_type, where `needsVirtType`). */
  render(passwords: CloudPasswords, virtType?: VirtType): string;
}

export interface PlannedStep<T> {
  /** The step's resource name. */
  readonly step: string;
  readonly spec: T;
}

/** One service on one host. */
export interface PlannedService {
  readonly id: ServiceId;
  readonly record: ServiceRecord;
  readonly platform: ServicePlatform;
  /** The component's resource name: `<host>-<catalog component>`. */
  readonly component: string;
  /** Its configuration files. */
  readonly files: readonly PlannedFile[];
  /** Its database user's credentials file, where it has a database of its own. */
  readonly credentials?: PlannedFile;
  readonly units: readonly string[];
  /** What must listen once its units run: the catalog's ports on the host's address. */
  readonly listening: readonly TcpCheck[];
  /** Commands run before each start: the worker count (`apiWorkers`), then the platform's own. */
  readonly startSetup: readonly string[];
  readonly schema?: PlannedStep<SchemaStep>;
  readonly afterStart?: PlannedStep<ClientStep>;
}

export interface HostPlan {
  readonly host: HostConfig;
  readonly services: readonly PlannedService[];
  /** Every file written on the host, in the order the deployment's phases write them. */
  readonly files: readonly PlannedFile[];
}

/** The admin credentials file written on the controller. */
export const adminOpenrcFile = { path: "/root/admin-openrc", owner: "root", group: "root", mode: "0600" } as const;

/** http://CONTROLLER:5000/v3, what clients and registration authenticate at. */
export function authUrlOf(settings: StackSettings): string {
  return `http://${settings.controller.name}:${serviceCatalog.keystone.ports[0].port}/v3`;
}

/** What the catalog's step builders are given. */
export function stepContext(settings: StackSettings): StepContext {
  return {
    profile: settings.profile,
    controllerHost: settings.controller.name,
    region: settings.region,
    authUrl: authUrlOf(settings),
    ...(settings.guestImage ? { guestImage: guestImageRegistration(settings.guestImage) } : {}),
  };
}

function hostNamed(settings: StackSettings, hostName: string): HostConfig {
  const host = settings.hosts.find((entry) => entry.name === hostName);
  if (host === undefined) {
    throw new Error(`no host "${hostName}" in the stack; its hosts are ${settings.hosts.map((entry) => entry.name).join(", ")}`);
  }
  return host;
}

/** `nova-conf` -> `NOVA_CONF` */
function variableOf(fileId: string): string {
  return fileId.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/**
 * Commands that set the worker processes of an API served by its own uwsgi (Debian ships 8 to
 * 16, each loading the whole application on its first request: minutes of CPU on a small
 * controller). Nothing where the stack keeps the default or httpd serves the API.
 */
function apiWorkersSetup(platform: ServicePlatform, apiWorkers: number | undefined): string[] {
  if (apiWorkers === undefined || platform.uwsgiConfig === undefined) {
    return [];
  }
  return [`sed -i -E 's/^processes = [0-9]+/processes = ${apiWorkers}/' ${shellQuote(platform.uwsgiConfig)}`];
}

function servicePlan(settings: StackSettings, host: HostConfig, id: ServiceId): PlannedService {
  const record = serviceRecord(id);
  const platform = settings.profile.services[id];
  const component = `${host.name}-${record.component}`;
  const compute = record.role === "compute";
  const cloud = (passwords: CloudPasswords): CloudSettings => ({
    controllerHost: settings.controller.name,
    controllerAddress: settings.controller.address,
    region: settings.region,
    passwords,
  });
  const hostSettings = (virtType?: VirtType): HostSettings =>
    compute ? { myIp: host.address, computeDriver: computeDriverClass(settings.profile, settings.computeDriver), virtType } : { myIp: host.address };
  const overrides: IniFragment | undefined = record.overrides
    ? settings.configOverrides[record.overrides.configKey as keyof StackSettings["configOverrides"]]
    : undefined;
  const configFile = (fileId: string, spec: ConfigFileSpec): PlannedFile => ({
    step: `${component}-${fileId}`,
    formerStep: spec.formerId === undefined ? undefined : `${component}-${spec.formerId}`,
    variable: variableOf(fileId),
    path: spec.path,
    owner: spec.owner,
    group: spec.group,
    mode: spec.mode,
    format: spec.format,
    readers: spec.readers,
    secretSettings: settings.secretSettings,
    needsVirtType: compute,
    render: (passwords, virtType) => {
      if (compute && virtType === undefined) {
        throw new Error(`${spec.path} on ${host.name} needs its virt_type (kvm or qemu), decided from the CPU at deploy time`);
      }
      return renderConfigFile(spec, cloud(passwords), hostSettings(virtType), record.overrides?.file === fileId ? overrides : undefined);
    },
  });
  const files = Object.entries(platform.files).map(([fileId, spec]) => configFile(fileId, spec));
  const database = platform.sharesDatabase ? undefined : record.database;
  const credentialsSpec = database && databaseCredentialsSpec(database, platform.units);
  const credentials: PlannedFile | undefined = database &&
    credentialsSpec && {
      step: `${component}-database-credentials`,
      variable: "DATABASE_CREDENTIALS",
      path: credentialsSpec.path,
      owner: credentialsSpec.owner,
      group: credentialsSpec.group,
      mode: credentialsSpec.mode,
      format: credentialsSpec.format,
      readers: credentialsSpec.readers,
      secretSettings: settings.secretSettings,
      needsVirtType: false,
      render: (passwords) => renderDatabaseCredentials(database, passwords),
    };
  // Tables in another service's database are that service's schema step's.
  const schema = platform.sharesDatabase ? undefined : record.schema;
  return {
    id,
    record,
    platform,
    component,
    files,
    credentials,
    units: platform.units,
    listening: record.ports.map((port) => ({ host: host.address, port: port.port })),
    startSetup: [...apiWorkersSetup(platform, settings.apiWorkers), ...(platform.startSetup ?? [])],
    schema: schema && { step: `${component}-${schema.id}`, spec: schema },
    afterStart: record.afterStart && { step: `${component}-${record.afterStart.id}`, spec: record.afterStart },
  };
}

/**
 * Everything the installer configures on the host, in the order the deployment's phases do it.
 * @throws Error naming the stack's hosts when there is no host of that name.
 */
export function hostPlan(settings: StackSettings, hostName: string): HostPlan {
  const host = hostNamed(settings, hostName);
  const services = installedServices(host.role, settings.prerequisites).map((id) => servicePlan(settings, host, id));
  const admin = host.role === "controller" ? [adminCredentialsFile(settings)] : [];
  return { host, services, files: [...services.flatMap(filesOf), ...admin] };
}

/**
 * The units the installer starts on a host and keeps enabled and active: its services' units,
 * and on a compute with the libvirt driver the hypervisor's (started with nova-compute).
 */
export function managedUnits(settings: StackSettings, plan: HostPlan): string[] {
  const hypervisor = plan.host.role === "compute" && settings.computeDriver === "libvirt.LibvirtDriver" ? [settings.profile.hypervisorUnit] : [];
  return [...hypervisor, ...plan.services.flatMap((service) => service.units)];
}

/** A planned service's files: its configuration, then its credentials. */
export function filesOf(service: PlannedService): PlannedFile[] {
  return [...service.files, ...(service.credentials ? [service.credentials] : [])];
}

/** The admin's openrc on the controller. */
export function adminCredentialsFile(settings: StackSettings): PlannedFile {
  return {
    step: `${settings.controller.name}-admin-credentials-openrc`,
    variable: "ADMIN_OPENRC",
    ...adminOpenrcFile,
    format: "text",
    readers: [],
    secretSettings: settings.secretSettings,
    needsVirtType: false,
    render: (passwords) => adminOpenrc(authUrlOf(settings), settings.region, passwords.admin),
  };
}

/** The planned service `id` on the host. */
export function plannedService(plan: HostPlan, id: ServiceId): PlannedService {
  const service = plan.services.find((entry) => entry.id === id);
  if (service === undefined) {
    throw new Error(`${plan.host.name} runs no ${serviceCatalog[id].title}`);
  }
  return service;
}
