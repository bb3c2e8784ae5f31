/**
 * Identity: Keystone as the install guide sets it up: keystone.conf, schema, fernet and
 * credential keys, bootstrap of the admin user with the region and identity endpoints, and the
 * service that serves it.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloudSettings, renderConfigFile } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import { adminPasswordVariable, identityBootstrapScript } from "../steps/keystone";
import { apiWorkersSetup, HostTarget, startServices, writeConfigFile, writeDatabaseCredentials } from "./remoteSteps";

export interface IdentityArgs {
  readonly host: HostTarget;
  /** A secret. */
  readonly cloud: pulumi.Output<CloudSettings>;
  /** The controller's name as every host reaches it. */
  readonly controllerHost: string;
  readonly region: string;
}

export class Identity extends pulumi.ComponentResource {
  /** The step after which Keystone answers: what registration and clients wait for. */
  public readonly ready: RemoteScript;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:Identity", name, {}, opts);
    const { host, cloud } = args;
    const profile = host.profile;
    const settings = { myIp: host.connection.address };
    const credentials = writeDatabaseCredentials(`${name}-database-credentials`, host, "keystone", profile.units.identity, cloud.passwords, {
      parent: this,
    });
    const files = [profile.files.identity, ...profile.files.identityWebServer].map((spec, index) =>
      writeConfigFile(
        `${name}-${index === 0 ? "keystone-conf" : `web-server-${index}`}`,
        host,
        spec,
        cloud.apply((values) => renderConfigFile(spec, values, settings)),
        { parent: this },
      ),
    );
    const bootstrap = new RemoteScript(
      `${name}-bootstrap`,
      {
        connection: host.connection,
        description: "bootstrap Keystone",
        create: [
          ...profile.identitySetup,
          identityBootstrapScript({ identityUrl: `http://${args.controllerHost}:5000/v3/`, region: args.region, python: profile.python }),
        ].join("\n"),
        secrets: { [adminPasswordVariable]: cloud.passwords.admin },
      },
      { parent: this, dependsOn: [credentials, ...files] },
    );
    this.ready = startServices(
      `${name}-services`,
      host,
      profile.units.identity,
      { setup: apiWorkersSetup(host, "identity"), listening: [{ host: host.connection.address, port: 5000 }] },
      { parent: this, dependsOn: [bootstrap] },
    );
    this.registerOutputs({});
  }
}
