/**
 * HostPackages: every package a host needs for its parts, in one package-manager run (dpkg
 * and rpm run one at a time anyway; one run resolves dependencies once). It comes first on
 * each host, and hosts install in parallel.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PackageSets } from "../profiles/profiles";
import { HostTarget, installPackages } from "./remoteSteps";

export interface HostPackagesArgs {
  readonly host: HostTarget;
  /** Which of the profile's package sets to install, in order. */
  readonly parts: readonly (keyof PackageSets)[];
}

export class HostPackages extends pulumi.ComponentResource {
  /** The package names installed, for dependants and tests. */
  public readonly packages: readonly string[];

  constructor(name: string, args: HostPackagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:host:HostPackages", name, {}, opts);
    this.packages = [...new Set(args.parts.flatMap((part) => args.host.profile.packages[part]))];
    installPackages(`${name}-install`, args.host, this.packages, { parent: this });
    this.registerOutputs({});
  }
}
