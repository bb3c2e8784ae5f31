/**
 * ComputeNode: one hypervisor host: its packages, nova.conf for the compute role, and its
 * services. Packages and configuration do not wait for the controller or for other computes;
 * only starting nova-compute waits for the control plane.
 *
 * Leaving the stack decommissions the node: its units are stopped, then (the membership step on
 * the controller) its nova-compute service is deleted from the cloud, resource provider included.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ComputeDriver, VirtType } from "../config/types";
import { shellQuote } from "../lib/shell";
import type { PlannedService } from "../plan/hostPlan";
import { RemoteScript } from "../remote/remoteScript";
import { computeIdentityScript, parseComputeIdentity, removeComputeScript, writeComputeIdentityScript } from "../steps/compute";
import { virtTypeFor } from "../steps/virtualization";
import { adminPasswordVariable } from "../steps/keystone";
import type { Facts } from "./hostFacts";
import { AdminAccess, HostTarget, installPackages, startServices, writePlannedFile, OnHostWithPasswords } from "./remoteSteps";

export interface ComputeNodeArgs extends OnHostWithPasswords, AdminAccess {
  /** The controller, where the node's membership in the cloud is managed. */
  readonly controller: HostTarget;
  /** nova-compute as planned on the node. */
  readonly service: PlannedService;
  /** The host's facts (what it can run decides virt_type, steps/virtualization.ts). */
  readonly facts: pulumi.Output<Facts>;
  readonly computeDriver: ComputeDriver;
  /** Default: kvm where the host can run KVM guests, qemu elsewhere. */
  readonly virtType?: VirtType;
  /** What must run before nova-compute starts: the control plane. */
  readonly controlPlane: pulumi.Resource[];
}

export class ComputeNode extends pulumi.ComponentResource {
  /** The step after which nova-compute runs on the node. */
  public readonly running: RemoteScript;
  public readonly virtType: pulumi.Output<VirtType>;

  constructor(name: string, args: ComputeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:compute:ComputeNode", name, {}, opts);
    const { host, service, passwords, controller } = args;
    const hostName = host.connection.hostName;
    this.virtType = args.facts.apply((facts) => virtTypeFor(facts, args.virtType));

    const packages = installPackages(`${name}-packages`, host, service.platform.packages, { parent: this });
    const files = service.files.map((file) =>
      writePlannedFile(
        host,
        file,
        pulumi.all([passwords, this.virtType]).apply(([values, virtType]) => file.render(values, virtType)),
        { parent: this, dependsOn: [packages] },
      ),
    );

    // On the controller: nothing to do while the node is in the stack; its removal deletes the
    // node's compute service. Created before the node's services start, so that on removal the
    // services are stopped first (dependants are deleted first) and cannot re-register.
    const membership = new RemoteScript(
      `${name}-membership`,
      {
        connection: controller.connection,
        description: `membership of ${hostName} in the cloud`,
        create: `echo ${shellQuote(`${hostName} joins the cloud`)}`,
        delete: removeComputeScript(args.authUrl, args.region, hostName),
        secrets: { [adminPasswordVariable]: passwords.admin },
      },
      { parent: this, dependsOn: args.controlPlane },
    );

    const identity = service.platform.identityFile !== undefined ? this.identity(name, args, service.platform.identityFile, packages) : [];
    const units = args.computeDriver === "libvirt.LibvirtDriver" ? [host.profile.hypervisorUnit, ...service.units] : service.units;
    this.running = startServices(
      `${name}-services`,
      host,
      units,
      { stopOnDelete: true },
      { parent: this, dependsOn: [...files, membership, ...identity] },
    );
    this.registerOutputs({ virtType: this.virtType });
  }

  /**
   * The node's identity (Nova 2023.1+): its UUID in the cloud, looked up on the controller (a new
   * one for a new node), written into the identity file before nova-compute first starts. The
   * lookup runs again when the host's key changes (a rebuilt host, trusted anew), so a host
   * rebuilt from scratch takes over its record instead of making a second one.
   */
  private identity(name: string, args: ComputeNodeArgs, file: string, packages: RemoteScript): RemoteScript[] {
    const hostName = args.host.connection.hostName;
    const lookup = new RemoteScript(
      `${name}-identity`,
      {
        connection: args.controller.connection,
        description: `compute node identity of ${hostName}`,
        create: computeIdentityScript(hostName),
        triggers: [args.host.connection.hostPublicKey],
      },
      { parent: this, dependsOn: args.controlPlane },
    );
    const write = new RemoteScript(
      `${name}-identity-file`,
      {
        connection: args.host.connection,
        description: `compute node identity in ${file}`,
        create: lookup.stdout.apply((stdout) => writeComputeIdentityScript(file, parseComputeIdentity(stdout))),
      },
      { parent: this, dependsOn: [packages] },
    );
    return [write];
  }
}
