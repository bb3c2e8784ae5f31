/** AdminCredentials: the guide's /root/admin-openrc on the controller, mode 0600. */
import * as pulumi from "@pulumi/pulumi";
import { RemoteScript } from "../remote/remoteScript";
import { fileContentVariable, writeFileScript } from "../steps/files";
import { adminOpenrc } from "../steps/openstackClient";
import type { HostTarget } from "./remoteSteps";

export interface AdminCredentialsArgs {
  readonly host: HostTarget;
  /** A secret. */
  readonly adminPassword: pulumi.Output<string>;
  readonly authUrl: string;
  readonly region: string;
  /** Default /root/admin-openrc. */
  readonly path?: string;
}

export class AdminCredentials extends pulumi.ComponentResource {
  constructor(name: string, args: AdminCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:AdminCredentials", name, {}, opts);
    const file = { path: args.path ?? "/root/admin-openrc", owner: "root", group: "root", mode: "0600" };
    new RemoteScript(
      `${name}-openrc`,
      {
        connection: args.host.connection,
        description: `write ${file.path}`,
        create: writeFileScript(file),
        secrets: { [fileContentVariable]: args.adminPassword.apply((password) => adminOpenrc(args.authUrl, args.region, password)) },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
