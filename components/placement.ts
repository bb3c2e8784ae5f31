/**
 * Placement: the standalone Placement API (its own database and placement.conf) where the
 * release has it; on Queens/Rocky RDO Placement is part of Nova and served by httpd, configured
 * by nova.conf's [placement] section and the web server files of Identity.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloudSettings, renderConfigFile } from "../render/configFiles";
import type { IniFragment } from "../lib/osloIni";
import { RemoteScript } from "../remote/remoteScript";
import { schemaMigrations } from "../steps/schema";
import { apiWorkersSetup, HostTarget, startServices, writeConfigFile, writeDatabaseCredentials } from "./remoteSteps";

export interface PlacementArgs {
  readonly host: HostTarget;
  /** A secret. */
  readonly cloud: pulumi.Output<CloudSettings>;
  /** The operator's additions to placement.conf. Default none. */
  readonly overrides?: IniFragment;
  /** What the services need before they start (the Keystone registration); the files and the schema need only the databases. */
  readonly servicesAfter?: readonly pulumi.Resource[];
}

export class Placement extends pulumi.ComponentResource {
  /** The step after which Placement answers. */
  public readonly ready: RemoteScript;

  constructor(name: string, args: PlacementArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:Placement", name, {}, opts);
    const { host, cloud } = args;
    const spec = host.profile.files.placement;
    const dependsOn: RemoteScript[] = [];
    if (spec !== undefined) {
      const config = writeConfigFile(
        `${name}-placement-conf`,
        host,
        spec,
        cloud.apply((values) => renderConfigFile(spec, values, { myIp: host.connection.address }, args.overrides)),
        { parent: this },
      );
      const credentials = writeDatabaseCredentials(
        `${name}-database-credentials`,
        host,
        "placement",
        host.profile.units.placementApi,
        cloud.passwords,
        { parent: this },
      );
      dependsOn.push(
        new RemoteScript(
          `${name}-schema`,
          { connection: host.connection, description: "sync the placement database", create: schemaMigrations.placement },
          { parent: this, dependsOn: [config, credentials] },
        ),
      );
    }
    this.ready = startServices(
      `${name}-services`,
      host,
      host.profile.units.placementApi,
      { setup: apiWorkersSetup(host, "placementApi"), listening: [{ host: host.connection.address, port: 8778 }] },
      { parent: this, dependsOn: [...dependsOn, ...(args.servicesAfter ?? [])] },
    );
    this.registerOutputs({});
  }
}
