/**
 * HostDiscovery: maps the stack's computes into cell1, once, on the controller, after every
 * one of them has registered (nova-manage cell_v2 discover_hosts before that is the classic
 * "Host is not mapped to any cell"). A compute added to the stack re-runs it; discover_hosts
 * maps only unmapped hosts, so the others are not touched.
 */
import * as pulumi from "@pulumi/pulumi";
import { RemoteScript } from "../remote/remoteScript";
import { discoverHostsScript } from "../steps/compute";
import { hostMappingsCheckScript } from "../steps/checks";
import type { HostTarget } from "./remoteSteps";

export interface HostDiscoveryArgs {
  readonly controller: HostTarget;
  /** Names of every compute of the stack. */
  readonly computes: readonly string[];
}

export class HostDiscovery extends pulumi.ComponentResource {
  /** discover_hosts' report. */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: HostDiscoveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:HostDiscovery", name, {}, opts);
    const computes = [...args.computes].sort();
    const step = new RemoteScript(
      `${name}-discover`,
      {
        connection: args.controller.connection,
        description: `discover hosts ${computes.join(" ")}`,
        create: discoverHostsScript(computes),
        check: { kind: "script", script: hostMappingsCheckScript(computes) },
        timeoutSeconds: 900,
      },
      { parent: this },
    );
    this.report = step.stdout;
    this.registerOutputs({ report: this.report });
  }
}
