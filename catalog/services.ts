/**
 * The service catalog: one record per service the installer knows, holding every fact about it
 * that does not depend on the platform (kolla-ansible's `nova_services` map is the model):
 * where it runs, the ports it listens on, its databases and the password each user logs in
 * with, its credentials file, its Keystone user and endpoints, the settings file an operator
 * may add to. What a platform calls its packages, units and files is the profile's
 * (profiles/profiles.ts, `OsProfile.services`), keyed by the same service ids.
 *
 * Commands, components, renderers and checks read these records; none restates a port, a
 * database or a password name. The record order is the order of installation and of the
 * password list.
 */

import type { GuestImageRegistration } from "../guest/glance";
import type { OsProfile } from "../profiles/profiles";
import type { FileUpload } from "../remote/upload";
import { databaseUrl } from "../render/urls";
import { cellMappingScript } from "../steps/cells";
import { cellMappingsCheckScript } from "../steps/checks";
import { guestImageScript, testImageScript } from "../steps/image";
import { identityBootstrapScript } from "../steps/keystone";
import { answeringClientScript } from "../steps/openstackClient";
import { asServiceUser } from "../steps/schema";

/** What a service's steps are built from. */
export interface StepContext {
  readonly profile: OsProfile;
  /** The name every host reaches the controller's services at. */
  readonly controllerHost: string;
  readonly region: string;
  /** http://CONTROLLER:5000/v3 */
  readonly authUrl: string;
  /** The test guest's files and images, where the stack names a guest image (`guestImage`). */
  readonly guestImage?: GuestImageRegistration;
}

/**
 * The step that brings a service's database schema (or, for Keystone, its whole bootstrap) to
 * the release's, after its files and before its units start, after the platform's
 * `schemaSetup` commands. Idempotent.
 */
export interface SchemaStep {
  /** Names the step: `<component>-<id>`. */
  readonly id: string;
  readonly description: string;
  readonly script: (context: StepContext) => string;
  readonly timeoutSeconds?: number;
  /** The script reads the admin password (Keystone's bootstrap sets it). */
  readonly usesAdminPassword?: boolean;
  /** Reads back what the step made (steps/checks.ts); a refresh reports what differs. Default: nothing read back. */
  readonly check?: () => string;
}

/** A step after the service started, run with the admin's credentials on the controller. */
export interface ClientStep {
  readonly id: string;
  readonly description: string;
  readonly script: (context: StepContext) => string;
  /** Run again after every restart a changed file of the service causes (a warm-up). */
  readonly afterEachRestart?: boolean;
  /** Files uploaded to the host before the script runs (remote/upload.ts). Default: none. */
  readonly uploads?: (context: StepContext) => readonly FileUpload[] | undefined;
}

/** One database of a service, and the template variable its connection URL fills. */
export interface ServiceDatabase {
  readonly name: string;
  /** `{{variable}}` in templates; absent where no file names the database (nova_cell0: the cell mapping does). */
  readonly urlVariable?: string;
}

/** A service's database user: it logs in with a password of the stack, read from its credentials file. */
export interface DatabaseAccess {
  readonly user: string;
  readonly password: string;
  readonly databases: readonly ServiceDatabase[];
  /** The file (templates/mysql/client.cnf) the database URLs name with `read_default_file`, same path on every OS. */
  readonly credentialsFile: string;
}

/** How Keystone knows a service: its user (in project service, role admin), entity and endpoints. */
export interface KeystoneEntry {
  readonly user: string;
  readonly password: string;
  readonly type: string;
  readonly name: string;
  readonly description: string;
  /** Endpoint URL after `http://CONTROLLER:PORT` (the endpoint's port is the service's first). */
  readonly path: string;
}

export interface ServicePort {
  readonly port: number;
  /** What listens there, for messages ("nova-api", "noVNC proxy"). */
  readonly listener: string;
}

export type ServiceRole = "controller" | "compute";

/**
 * "infrastructure" and "prerequisite": installed only when the stack runs the prerequisites;
 * otherwise the operator's own. "nova": always the installer's.
 */
export type ServicePart = "infrastructure" | "prerequisite" | "nova";

export interface ServiceRecord {
  /** The service's name for people ("Glance"). */
  readonly title: string;
  readonly role: ServiceRole;
  readonly part: ServicePart;
  /** Ports on the host's management address, the first one its API's. */
  readonly ports: readonly ServicePort[];
  /**
   * Nova finds it through Keystone's catalog, not at the controller's address: where the
   * operator runs it (prerequisites off), it may run on another host.
   */
  readonly foundThroughCatalog?: boolean;
  /** Passwords of the stack this service owns besides its database's and Keystone user's (RabbitMQ's). */
  readonly passwords?: readonly string[];
  /** Other services' passwords its files hold (the broker's in transport_url, a peer's Keystone user). */
  readonly needs?: readonly string[];
  readonly database?: DatabaseAccess;
  readonly keystone?: KeystoneEntry;
  /** The `configOverrides` key an operator adds settings under, and the file (profile file id) it applies to. */
  readonly overrides?: { readonly configKey: string; readonly file: string };
  /** The name of its component, in every step's name (`<host>-<component>-<step>`). */
  readonly component: string;
  /** Its component's type, `nova-installer:<role>:<componentType>` (what a preview lists it as). */
  readonly componentType?: string;
  readonly schema?: SchemaStep;
  readonly afterStart?: ClientStep;
}

/**
 * The image Glance is given when the stack names no guest image: 1 MiB of zeros, which boots
 * nothing (Nova's fake driver "runs" it); `verify --boot` needs the guest image instead.
 */
export const placeholderImageName = "tiny";

/** The database's URL (no password: it names the credentials file). */
export function databaseUrlOf(access: DatabaseAccess, controllerHost: string, database: string): string {
  return databaseUrl(access.user, controllerHost, database, access.credentialsFile);
}

/** A database user named after its service, with its password `<user>Database`; one database of the same name unless told otherwise. */
function access<User extends string>(user: User, databases: readonly ServiceDatabase[] = [{ name: user, urlVariable: `${user}DatabaseUrl` }]) {
  return { user, password: `${user}Database` as const, databases, credentialsFile: `/etc/${user}/${user}-database.cnf` } satisfies DatabaseAccess;
}

/** A Keystone user named after its service, with the password of the same name; the entity too unless told otherwise. */
function keystoneUser<User extends string>(
  user: User,
  entry: { readonly type: string; readonly description: string; readonly name?: string; readonly path?: string },
) {
  return {
    user,
    password: user,
    name: entry.name ?? user,
    type: entry.type,
    description: entry.description,
    path: entry.path ?? "",
  } satisfies KeystoneEntry;
}

const novaDatabase = access("nova", [
  { name: "nova_api", urlVariable: "apiDatabaseUrl" },
  { name: "nova", urlVariable: "databaseUrl" },
  { name: "nova_cell0" },
]);

/** An OpenStack API's accounts: its database user and its Keystone user, both named after it. */
function accounts<User extends string>(user: User, keystone: Parameters<typeof keystoneUser>[1]) {
  return { database: access(user), keystone: keystoneUser(user, keystone) };
}

/** Every service, in installation order. */
export const serviceCatalog = {
  mariadb: {
    title: "MariaDB",
    role: "controller",
    part: "infrastructure",
    component: "infrastructure",
    ports: [{ port: 3306, listener: "MariaDB" }],
  },
  rabbitmq: {
    title: "RabbitMQ",
    role: "controller",
    part: "infrastructure",
    component: "infrastructure",
    ports: [{ port: 5672, listener: "RabbitMQ" }],
    passwords: ["rabbit"],
  },
  memcached: {
    title: "memcached",
    role: "controller",
    part: "infrastructure",
    component: "infrastructure",
    ports: [{ port: 11211, listener: "memcached" }],
  },
  keystone: {
    title: "Keystone",
    role: "controller",
    part: "prerequisite",
    ports: [{ port: 5000, listener: "Keystone" }],
    database: access("keystone"),
    component: "identity",
    componentType: "Identity",
    schema: {
      id: "bootstrap",
      description: "bootstrap Keystone",
      script: (context: StepContext): string =>
        identityBootstrapScript({ identityUrl: `http://${context.controllerHost}:5000/v3/`, region: context.region, python: context.profile.python }),
      usesAdminPassword: true,
    },
  },
  glance: {
    title: "Glance",
    role: "controller",
    part: "prerequisite",
    ports: [{ port: 9292, listener: "Glance" }],
    ...accounts("glance", { type: "image", description: "OpenStack Image" }),
    component: "image",
    componentType: "ImageService",
    schema: { id: "schema", description: "sync the glance database", script: (): string => asServiceUser("glance", ["glance-manage", "db_sync"]) },
    // The test guest where the stack names one (what instances boot), a placeholder otherwise.
    afterStart: {
      id: "test-image",
      description: "upload the test image",
      script: (context: StepContext): string =>
        context.guestImage
          ? guestImageScript(context.authUrl, context.region, context.profile.python, context.guestImage)
          : testImageScript(context.authUrl, context.region, placeholderImageName),
      uploads: (context: StepContext) => context.guestImage?.uploads,
    },
  },
  neutron: {
    title: "Networking API",
    role: "controller",
    part: "prerequisite",
    ports: [{ port: 9696, listener: "Networking API" }],
    foundThroughCatalog: true,
    ...accounts("neutron", { type: "network", description: "OpenStack Networking" }),
    component: "network-api",
    componentType: "NetworkApi",
    schema: {
      id: "schema",
      description: "upgrade the neutron database",
      script: (): string =>
        asServiceUser("neutron", [
          "neutron-db-manage",
          "--config-file",
          "/etc/neutron/neutron.conf",
          "--config-file",
          "/etc/neutron/plugins/ml2/ml2_conf.ini",
          "upgrade",
          "head",
        ]),
      timeoutSeconds: 1800,
    },
    // The API answers; where the profile says so, port listings too (Nova's first request).
    afterStart: {
      id: "warm-up",
      description: "check the Networking API answers",
      script: (context: StepContext): string =>
        answeringClientScript(context.authUrl, context.region, ["openstack network list", ...(context.profile.services.neutron.warmUp ?? [])]),
      afterEachRestart: true,
    },
  },
  placement: {
    title: "Placement",
    role: "controller",
    part: "nova",
    ports: [{ port: 8778, listener: "Placement" }],
    ...accounts("placement", { type: "placement", description: "Placement API" }),
    overrides: { configKey: "placement", file: "placement-conf" },
    component: "placement",
    componentType: "Placement",
    schema: {
      id: "schema",
      description: "sync the placement database",
      script: (): string => asServiceUser("placement", ["placement-manage", "db", "sync"]),
    },
  },
  nova: {
    title: "Nova",
    role: "controller",
    part: "nova",
    ports: [
      { port: 8774, listener: "nova-api" },
      { port: 6080, listener: "noVNC proxy" },
    ],
    database: novaDatabase,
    keystone: keystoneUser("nova", { type: "compute", description: "OpenStack Compute", path: "/v2.1" }),
    needs: ["rabbit", "neutron"],
    overrides: { configKey: "novaController", file: "nova-conf" },
    component: "nova",
    componentType: "NovaController",
    schema: {
      id: "cells",
      description: "map cells and sync the nova databases",
      check: cellMappingsCheckScript,
      script: (context: StepContext): string =>
        cellMappingScript({
          cell0DatabaseUrl: databaseUrlOf(novaDatabase, context.controllerHost, "nova_cell0"),
          cell1DatabaseUrl: databaseUrlOf(novaDatabase, context.controllerHost, "nova"),
          templatedTransportUrl: context.profile.templatedCellUrls,
        }),
      timeoutSeconds: 1800,
    },
  },
  novaCompute: {
    title: "nova-compute",
    role: "compute",
    part: "nova",
    ports: [],
    needs: ["rabbit", "nova", "placement", "neutron"],
    overrides: { configKey: "novaCompute", file: "nova-conf" },
    component: "compute",
  },
} as const satisfies Record<string, ServiceRecord>;

export type ServiceId = keyof typeof serviceCatalog;

/** The catalog's ids, in installation order. */
export const serviceIds = Object.keys(serviceCatalog) as ServiceId[];

/** A service's record, typed as the general shape (optional facets possibly absent). */
export function serviceRecord(id: ServiceId): ServiceRecord {
  return serviceCatalog[id];
}

/** Whether a stack installs the service on its role's hosts. */
export function isInstalled(id: ServiceId, prerequisites: boolean): boolean {
  return serviceCatalog[id].part === "nova" || prerequisites;
}

/** The services the installer runs on hosts of a role, in installation order. */
export function installedServices(role: ServiceRole, prerequisites: boolean): ServiceId[] {
  return serviceIds.filter((id) => serviceCatalog[id].role === role && isInstalled(id, prerequisites));
}

type Records = typeof serviceCatalog;
type OwnPasswords<R> = R extends { passwords: readonly (infer P)[] } ? P : never;
type DatabasePassword<R> = R extends { database: { password: infer P } } ? P : never;
type KeystonePassword<R> = R extends { keystone: { password: infer P } } ? P : never;

/** The name of every password a service owns: its own, its database user's and its Keystone user's. */
export type ServicePasswordName = {
  [id in ServiceId]: OwnPasswords<Records[id]> | DatabasePassword<Records[id]> | KeystonePassword<Records[id]>;
}[ServiceId];

/** The passwords a service owns, in the order the stack lists them. */
export function ownPasswords(id: ServiceId): ServicePasswordName[] {
  const record = serviceRecord(id);
  return [...(record.passwords ?? []), record.database?.password, record.keystone?.password].filter(
    (name): name is ServicePasswordName => name !== undefined,
  );
}

/** The passwords a service's files and steps use: its own and those it needs. */
export function usedPasswords(id: ServiceId): ServicePasswordName[] {
  return [...ownPasswords(id), ...((serviceRecord(id).needs ?? []) as ServicePasswordName[])];
}
