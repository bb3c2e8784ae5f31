/**
 * AdminCredentials: the admin's openrc on the controller (root only), what `verify` and an
 * operator's shell source before running the openstack client.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlannedFile } from "../plan/hostPlan";
import { RemoteScript } from "../remote/remoteScript";
import { fileContentVariable, writeFileScript } from "../steps/files";
import { fileCheckOf, OnHostWithPasswords } from "./remoteSteps";

export interface AdminCredentialsArgs extends OnHostWithPasswords {
  /** The openrc file as the controller's plan has it. */
  readonly file: PlannedFile;
}

export class AdminCredentials extends pulumi.ComponentResource {
  constructor(name: string, args: AdminCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:AdminCredentials", name, {}, opts);
    const { file } = args;
    new RemoteScript(
      file.step,
      {
        connection: args.host.connection,
        description: `write ${file.path}`,
        create: writeFileScript(file),
        secrets: { [fileContentVariable]: args.passwords.apply((values) => file.render(values)) },
        check: fileCheckOf(file),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
