/**
 * ComputeNode: one hypervisor host: its packages, nova.conf for the compute role, and its
 * services. Packages and configuration do not wait for the controller or for other computes;
 * only starting nova-compute waits for the control plane.
 *
 * Leaving the stack decommissions the node: its units are stopped, then (the membership step on
 * the controller) its nova-compute service is deleted from the cloud, resource provider included.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ComputeDriver } from "../config/stackConfig";
import type { IniFragment } from "../lib/osloIni";
import { shellQuote } from "../lib/shell";
import { CloudSettings, renderConfigFile } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import { virtTypeFor, removeComputeScript } from "../steps/compute";
import { adminPasswordVariable } from "../steps/keystone";
import type { Facts } from "./hostFacts";
import { HostTarget, installPackages, startServices, writeConfigFile } from "./remoteSteps";

export interface ComputeNodeArgs {
  readonly host: HostTarget;
  /** The controller, where the node's membership in the cloud is managed. */
  readonly controller: HostTarget;
  /** A secret. */
  readonly cloud: pulumi.Output<CloudSettings>;
  /** The host's facts (CPU virtualization flags decide virt_type). */
  readonly facts: pulumi.Output<Facts>;
  readonly computeDriver: ComputeDriver;
  /** Default: from the CPU flags (kvm with vmx/svm, qemu without). */
  readonly virtType?: "kvm" | "qemu";
  readonly authUrl: string;
  readonly region: string;
  /** The operator's additions to the compute nova.conf. Default none. */
  readonly overrides?: IniFragment;
  /** What must run before nova-compute starts: the control plane. */
  readonly controlPlane: pulumi.Resource[];
}

export class ComputeNode extends pulumi.ComponentResource {
  /** The step after which nova-compute runs on the node. */
  public readonly running: RemoteScript;
  public readonly virtType: pulumi.Output<string>;

  constructor(name: string, args: ComputeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:compute:ComputeNode", name, {}, opts);
    const { host, cloud, controller } = args;
    const profile = host.profile;
    const hostName = host.connection.hostName;
    this.virtType = args.facts.apply((facts) => args.virtType ?? virtTypeFor(facts.virtualizationFlags));

    const packages = installPackages(`${name}-packages`, host, profile.packages.novaCompute, { parent: this });
    const settings = pulumi.all([cloud, this.virtType]).apply(([values, virtType]) => ({
      values,
      host: { myIp: host.connection.address, computeDriver: args.computeDriver, virtType },
    }));
    const files = [profile.files.novaCompute, ...(profile.files.novaComputeDriver ? [profile.files.novaComputeDriver] : [])].map((spec, index) =>
      writeConfigFile(
        `${name}-${index === 0 ? "nova-conf" : "nova-compute-conf"}`,
        host,
        spec,
        settings.apply(({ values, host: hostSettings }) => renderConfigFile(spec, values, hostSettings, index === 0 ? args.overrides : undefined)),
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
        secrets: { [adminPasswordVariable]: cloud.passwords.admin },
      },
      { parent: this, dependsOn: args.controlPlane },
    );

    const units = args.computeDriver === "libvirt.LibvirtDriver" ? [profile.units.hypervisor, ...profile.units.novaCompute] : profile.units.novaCompute;
    this.running = startServices(`${name}-services`, host, units, { stopOnDelete: true }, { parent: this, dependsOn: [...files, membership] });
    this.registerOutputs({ virtType: this.virtType });
  }
}
