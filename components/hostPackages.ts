/**
 * HostPackages: every package a host needs for its parts, in one package-manager run (dpkg
 * and rpm run one at a time anyway; one run resolves dependencies once). It comes first on
 * each host, and hosts install in parallel.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceRole } from "../catalog/services";
import { rolePackages } from "../profiles/profiles";
import { HostTarget, installPackages } from "./remoteSteps";

export interface HostPackagesArgs {
  readonly host: HostTarget;
  readonly role: ServiceRole;
  /** Whether the stack installs the prerequisites (their packages come first on the controller). */
  readonly prerequisites: boolean;
}

export class HostPackages extends pulumi.ComponentResource {
  /** The package names installed, for dependants and tests. */
  public readonly packages: readonly string[];

  constructor(name: string, args: HostPackagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:host:HostPackages", name, {}, opts);
    this.packages = rolePackages(args.host.profile, args.role, args.prerequisites);
    installPackages(`${name}-install`, args.host, this.packages, { parent: this });
    this.registerOutputs({});
  }
}
