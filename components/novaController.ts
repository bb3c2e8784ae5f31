/**
 * NovaController: nova.conf for the control plane, the cell_v2 mapping (steps/cells.ts) and
 * the API, scheduler, conductor and console proxy services.
 */
import * as pulumi from "@pulumi/pulumi";
import type { IniFragment } from "../lib/osloIni";
import { CloudSettings, databaseCredentialFiles, renderConfigFile } from "../render/configFiles";
import { databaseUrl } from "../render/urls";
import { RemoteScript } from "../remote/remoteScript";
import { cellMappingScript } from "../steps/cells";
import { apiWorkersSetup, HostTarget, startServices, writeConfigFile, writeDatabaseCredentials } from "./remoteSteps";

export interface NovaControllerArgs {
  readonly host: HostTarget;
  /** A secret. */
  readonly cloud: pulumi.Output<CloudSettings>;
  /** The controller's name as every host reaches it. */
  readonly controllerHost: string;
  /** The operator's additions to nova.conf. Default none. */
  readonly overrides?: IniFragment;
  /** Seconds between periodic host discoveries by the scheduler. Default: off (discovery is explicit). */
  readonly discoverHostsInterval?: number;
  /**
   * What the services need running before they start (Keystone registration, Placement, the
   * image and network APIs). The configuration and the cell mapping need only the databases
   * (the component's own dependencies), so they run alongside those.
   */
  readonly servicesAfter?: readonly pulumi.Resource[];
}

export class NovaController extends pulumi.ComponentResource {
  /** The step after which the control plane services run. */
  public readonly ready: RemoteScript;
  /** list_cells as printed after the mapping. */
  public readonly cells: pulumi.Output<string>;

  constructor(name: string, args: NovaControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:NovaController", name, {}, opts);
    const { host, cloud } = args;
    const spec = host.profile.files.novaController;
    const config = writeConfigFile(
      `${name}-nova-conf`,
      host,
      spec,
      cloud.apply((values) =>
        renderConfigFile(spec, values, { myIp: host.connection.address, discoverHostsInterval: args.discoverHostsInterval }, args.overrides),
      ),
      { parent: this },
    );
    const credentials = writeDatabaseCredentials(`${name}-database-credentials`, host, "nova", spec.readers, cloud.passwords, {
      parent: this,
    });
    const cells = new RemoteScript(
      `${name}-cells`,
      {
        connection: host.connection,
        description: "map cells and sync the nova databases",
        create: cellMappingScript({
          cell0DatabaseUrl: databaseUrl("nova", args.controllerHost, "nova_cell0", databaseCredentialFiles.nova),
          cell1DatabaseUrl: databaseUrl("nova", args.controllerHost, "nova", databaseCredentialFiles.nova),
          templatedTransportUrl: host.profile.templatedCellUrls,
        }),
        timeoutSeconds: 1800,
      },
      { parent: this, dependsOn: [config, credentials] },
    );
    this.cells = cells.stdout;
    this.ready = startServices(
      `${name}-services`,
      host,
      host.profile.units.novaController,
      {
        setup: [...host.profile.novaControllerSetup, ...apiWorkersSetup(host, "novaApi")],
        listening: [{ host: host.connection.address, port: 8774 }, { host: host.connection.address, port: 6080 }],
      },
      { parent: this, dependsOn: [cells, ...(args.servicesAfter ?? [])] },
    );
    this.registerOutputs({ cells: this.cells });
  }
}
