/**
 * The three kinds of remote step every component is made of: install packages, write a
 * configuration file, start services. Each returns one RemoteScript, a child of the component.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudPasswords } from "../config/passwords";
import type { PlannedFile } from "../plan/hostPlan";
import type { OsProfile } from "../profiles/profiles";
import type { FileCheck } from "../remote/drift";
import { RemoteScript } from "../remote/remoteScript";
import type { SshEndpoint } from "../remote/ssh";
import { fileContentVariable, restartReadersScript, writeFileScript } from "../steps/files";
import { installPackagesScript } from "../steps/packages";
import { startServicesScript, StartServicesOptions, stopServicesScript } from "../steps/services";
import { packagesCheckScript, unitsCheckScript } from "../steps/checks";

/** A component's host, and the cloud's passwords its steps use. */
export interface OnHostWithPasswords {
  readonly host: HostTarget;
  /** A secret. */
  readonly passwords: pulumi.Output<CloudPasswords>;
}

/** Where a component that runs the openstack client as the cloud's admin authenticates. */
export interface AdminAccess {
  /** http://controller:5000/v3 */
  readonly authUrl: string;
  readonly region: string;
}

/** Where a component runs and what kind of host it is. */
export interface HostTarget {
  readonly connection: SshEndpoint;
  readonly profile: OsProfile;
  /** Refresh the package index before installing (off for hosts with a pre-seeded cache). */
  readonly refreshPackageIndex: boolean;
}

export function installPackages(name: string, host: HostTarget, packages: readonly string[], opts: pulumi.CustomResourceOptions): RemoteScript {
  return new RemoteScript(
    name,
    {
      connection: host.connection,
      description: `install packages ${packages.join(" ")}`,
      create: installPackagesScript(host.profile.packageManager, packages, { refreshIndex: host.refreshPackageIndex }),
      check: { kind: "script", script: packagesCheckScript(host.profile.packageManager, packages) },
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
  spec: Pick<PlannedFile, "path" | "owner" | "group" | "mode" | "readers"> & { readonly secretSettings?: readonly string[] },
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
      // Read back on refresh: present, owner, group, mode, content; a repair rewrites it and
      // restarts the units that read it.
      check: fileCheckOf(spec),
    },
    opts,
  );
}

/** How a refresh reads back a file the installer writes: present, owner, group, mode, content. */
export function fileCheckOf(
  spec: Pick<PlannedFile, "path" | "owner" | "group" | "mode"> & { readonly secretSettings?: readonly string[] },
): FileCheck {
  return { kind: "file", path: spec.path, owner: spec.owner, group: spec.group, mode: spec.mode, secretSettings: spec.secretSettings ?? [] };
}

/** Writes a file of the host's plan under its step's name (and its former name as an alias). */
export function writePlannedFile(
  host: HostTarget,
  file: PlannedFile,
  content: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): RemoteScript {
  return writeConfigFile(file.step, host, file, content, { ...opts, aliases: file.formerStep ? [{ name: file.formerStep }] : opts.aliases });
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
      // Read back on refresh: every unit enabled and active; a repair enables and starts what is
      // not, without restarting what runs.
      check: { kind: "script", script: unitsCheckScript(units) },
      repair: startServicesScript(units, { ...options, restart: false }),
    },
    opts,
  );
}
