/**
 * The three kinds of remote step every component is made of: install packages, write a
 * configuration file, start services. Each returns one RemoteScript, a child of the component.
 */
import * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../lib/shell";
import type { ConfigFileSpec, OsProfile } from "../profiles/profiles";
import { CloudPasswords, databaseCredentialsSpec, DatabaseUserName, renderDatabaseCredentials } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import type { SshEndpoint } from "../remote/ssh";
import { fileContentVariable, restartReadersScript, writeFileScript } from "../steps/files";
import { installPackagesScript } from "../steps/packages";
import { startServicesScript, StartServicesOptions, stopServicesScript } from "../steps/services";

/** Where a component runs and what kind of host it is. */
export interface HostTarget {
  readonly connection: SshEndpoint;
  readonly profile: OsProfile;
  /** Refresh the package index before installing (off for hosts with a pre-seeded cache). */
  readonly refreshPackageIndex: boolean;
  /** uwsgi worker processes per API; undefined keeps the package's number. */
  readonly apiWorkers?: number;
}

/**
 * Commands that set the worker processes of an API served by its own uwsgi (Debian ships 8 to
 * 16, each loading the whole application on its first request: minutes of CPU on a small
 * controller). Nothing where the stack keeps the default or httpd serves the API.
 */
export function apiWorkersSetup(host: HostTarget, api: keyof OsProfile["uwsgiConfigs"]): string[] {
  const file = host.profile.uwsgiConfigs[api];
  if (host.apiWorkers === undefined || file === undefined) {
    return [];
  }
  return [`sed -i -E 's/^processes = [0-9]+/processes = ${host.apiWorkers}/' ${shellQuote(file)}`];
}

export function installPackages(
  name: string,
  host: HostTarget,
  packages: readonly string[],
  opts: pulumi.CustomResourceOptions,
): RemoteScript {
  return new RemoteScript(
    name,
    {
      connection: host.connection,
      description: `install packages ${packages.join(" ")}`,
      create: installPackagesScript(host.profile.packageManager, packages, { refreshIndex: host.refreshPackageIndex }),
      timeoutSeconds: 3600,
    },
    opts,
  );
}

/**
 * Writes a file. When its content changes later, the units that read it are restarted (where
 * running); the first write restarts nothing, the component's service step starts them after.
 */
export function writeConfigFile(
  name: string,
  host: HostTarget,
  spec: ConfigFileSpec,
  content: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): RemoteScript {
  const write = writeFileScript(spec);
  return new RemoteScript(
    name,
    {
      connection: host.connection,
      description: `write ${spec.path}`,
      create: write,
      update: `${write}\n${restartReadersScript(spec.readers)}`,
      secrets: { [fileContentVariable]: content },
    },
    opts,
  );
}

/** The database password file of a service (see templates/mysql/client.cnf), restarting its readers on change. */
export function writeDatabaseCredentials(
  name: string,
  host: HostTarget,
  user: DatabaseUserName,
  readers: readonly string[],
  passwords: pulumi.Output<CloudPasswords>,
  opts: pulumi.CustomResourceOptions,
): RemoteScript {
  const spec = databaseCredentialsSpec(user, readers);
  return writeConfigFile(name, host, spec, passwords.apply((values) => renderDatabaseCredentials(user, values)), opts);
}

export function startServices(
  name: string,
  host: HostTarget,
  units: readonly string[],
  options: StartServicesOptions,
  opts: pulumi.CustomResourceOptions,
): RemoteScript {
  return new RemoteScript(
    name,
    {
      connection: host.connection,
      description: `start ${units.join(" ")}`,
      create: startServicesScript(units, options),
      delete: options.stopOnDelete ? stopServicesScript(units) : undefined,
    },
    opts,
  );
}
