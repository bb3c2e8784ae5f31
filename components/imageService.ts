/**
 * ImageService: Glance with a file store, and a small test image so that an instance can boot.
 * A prerequisite: installed only when the stack asks the installer to run the prerequisites.
 */
import * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../lib/shell";
import { CloudSettings, renderConfigFile } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import { adminPasswordVariable } from "../steps/keystone";
import { adminEnvironment, retried } from "../steps/openstackClient";
import { schemaMigrations } from "../steps/schema";
import { apiWorkersSetup, HostTarget, startServices, writeConfigFile, writeDatabaseCredentials } from "./remoteSteps";

export interface ImageServiceArgs {
  readonly host: HostTarget;
  /** A secret. */
  readonly cloud: pulumi.Output<CloudSettings>;
  readonly authUrl: string;
  readonly region: string;
  /** Name of the test image to upload (a tiny raw disk). Default "tiny". */
  readonly testImage?: string;
  /** What the services need before they start (the Keystone registration); the files and the schema need only the databases. */
  readonly servicesAfter?: readonly pulumi.Resource[];
}

export class ImageService extends pulumi.ComponentResource {
  constructor(name: string, args: ImageServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:ImageService", name, {}, opts);
    const { host, cloud } = args;
    const spec = host.profile.files.imageApi;
    const config = writeConfigFile(
      `${name}-glance-api-conf`,
      host,
      spec,
      cloud.apply((values) => renderConfigFile(spec, values, { myIp: host.connection.address })),
      { parent: this },
    );
    const credentials = writeDatabaseCredentials(`${name}-database-credentials`, host, "glance", host.profile.units.imageApi, cloud.passwords, {
      parent: this,
    });
    const schema = new RemoteScript(
      `${name}-schema`,
      { connection: host.connection, description: "sync the glance database", create: schemaMigrations.glance },
      { parent: this, dependsOn: [config, credentials] },
    );
    const services = startServices(
      `${name}-services`,
      host,
      host.profile.units.imageApi,
      { setup: apiWorkersSetup(host, "imageApi"), listening: [{ host: host.connection.address, port: 9292 }] },
      { parent: this, dependsOn: [schema, ...(args.servicesAfter ?? [])] },
    );
    const image = shellQuote(args.testImage ?? "tiny");
    new RemoteScript(
      `${name}-test-image`,
      {
        connection: host.connection,
        description: `upload test image ${image}`,
        create: [
          adminEnvironment(args.authUrl, args.region),
          retried("openstack image list >/dev/null"),
          `if ! openstack image show ${image} >/dev/null 2>&1; then`,
          "  disk=$(mktemp /tmp/test-image.XXXXXX)",
          `  trap 'rm -f "$disk"' EXIT`,
          '  truncate -s 1M "$disk"',
          `  openstack image create --disk-format raw --container-format bare --public --file "$disk" ${image} >/dev/null`,
          "fi",
          `openstack image show -f value -c status ${image}`,
        ].join("\n"),
        secrets: { [adminPasswordVariable]: cloud.passwords.admin },
      },
      { parent: this, dependsOn: [services] },
    );
    this.registerOutputs({});
  }
}
