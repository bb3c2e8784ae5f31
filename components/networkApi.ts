/**
 * NetworkApi: a Neutron server with ML2 and no agents. Nova calls the Networking API even for
 * instances without networks (security groups, port listing), so a cloud that boots instances
 * needs one. A prerequisite: installed only when the stack asks for the prerequisites.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloudSettings, renderConfigFile } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import { adminPasswordVariable } from "../steps/keystone";
import { adminEnvironment, retried } from "../steps/openstackClient";
import { schemaMigrations } from "../steps/schema";
import { apiWorkersSetup, HostTarget, startServices, writeConfigFile, writeDatabaseCredentials } from "./remoteSteps";

export interface NetworkApiArgs {
  readonly host: HostTarget;
  /** A secret. */
  readonly cloud: pulumi.Output<CloudSettings>;
  readonly authUrl: string;
  readonly region: string;
  /** What the services need before they start (the Keystone registration); the files and the schema need only the databases. */
  readonly servicesAfter?: readonly pulumi.Resource[];
}

export class NetworkApi extends pulumi.ComponentResource {
  /** The last step: the API answers (warmed up where the profile needs it). */
  public readonly ready: RemoteScript;

  constructor(name: string, args: NetworkApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:NetworkApi", name, {}, opts);
    const { host, cloud } = args;
    const profile = host.profile;
    const settings = { myIp: host.connection.address };
    const neutronConf = cloud.apply((values) => renderConfigFile(profile.files.networkApi, values, settings));
    const ml2Conf = cloud.apply((values) => renderConfigFile(profile.files.networkPlugin, values, settings));
    const files = [
      writeConfigFile(`${name}-neutron-conf`, host, profile.files.networkApi, neutronConf, { parent: this }),
      writeConfigFile(`${name}-ml2-conf`, host, profile.files.networkPlugin, ml2Conf, { parent: this }),
      writeDatabaseCredentials(`${name}-database-credentials`, host, "neutron", profile.units.networkApi, cloud.passwords, { parent: this }),
    ];
    const schema = new RemoteScript(
      `${name}-schema`,
      {
        connection: host.connection,
        description: "upgrade the neutron database",
        create: [...profile.networkApiSetup, schemaMigrations.neutron].join("\n"),
        timeoutSeconds: 1800,
      },
      { parent: this, dependsOn: files },
    );
    const services = startServices(
      `${name}-services`,
      host,
      profile.units.networkApi,
      { setup: [...apiWorkersSetup(host, "networkApi"), ...profile.networkApiStartSetup], listening: [{ host: host.connection.address, port: 9696 }] },
      { parent: this, dependsOn: [schema, ...(args.servicesAfter ?? [])] },
    );
    // The API answers; where the profile says so, port listings too (Nova's first request).
    this.ready = new RemoteScript(
      `${name}-warm-up`,
      {
        connection: host.connection,
        description: "check the Networking API answers",
        create: [
          adminEnvironment(args.authUrl, args.region),
          retried("openstack network list >/dev/null"),
          ...(profile.networkApiWarmUp ? [retried("openstack port list >/dev/null")] : []),
        ].join("\n"),
        // The files ride along (unused by the script) so that the warm-up runs again after
        // every restart a changed file causes; as secrets they stay encrypted in state.
        secrets: { [adminPasswordVariable]: cloud.passwords.admin, NEUTRON_CONF: neutronConf, ML2_CONF: ml2Conf },
      },
      { parent: this, dependsOn: [services] },
    );
    this.registerOutputs({});
  }
}
