/** Flavors: the flavors a stack asks for (the lab's m1.tiny), created when missing, kept otherwise. */
import * as pulumi from "@pulumi/pulumi";
import { RemoteScript } from "../remote/remoteScript";
import { Flavor, flavorsScript } from "../steps/compute";
import { adminPasswordVariable } from "../steps/keystone";
import { flavorsCheckScript } from "../steps/checks";
import type { AdminAccess, HostTarget } from "./remoteSteps";

export interface FlavorsArgs extends AdminAccess {
  readonly controller: HostTarget;
  readonly flavors: readonly Flavor[];
  /** A secret. */
  readonly adminPassword: pulumi.Output<string>;
}

export class Flavors extends pulumi.ComponentResource {
  constructor(name: string, args: FlavorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:Flavors", name, {}, opts);
    new RemoteScript(
      `${name}-create`,
      {
        connection: args.controller.connection,
        description: `flavors ${args.flavors.map((flavor) => flavor.name).join(" ")}`,
        create: flavorsScript(args.authUrl, args.region, args.flavors),
        secrets: { [adminPasswordVariable]: args.adminPassword },
        check: { kind: "script", script: flavorsCheckScript(args.flavors.map((flavor) => flavor.name)) },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
