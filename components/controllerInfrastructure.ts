/**
 * ControllerInfrastructure: MariaDB, RabbitMQ and memcached as the install guide's "Environment"
 * chapter sets them up, listening on the controller's management address.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloudSettings, renderConfigFile } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import { rabbitPasswordVariable, rabbitUserScript } from "../steps/rabbitmq";
import { HostTarget, startServices, writeConfigFile } from "./remoteSteps";

export interface ControllerInfrastructureArgs {
  readonly host: HostTarget;
  /** The cloud's settings, passwords included (a secret). */
  readonly cloud: pulumi.Output<CloudSettings>;
}

export class ControllerInfrastructure extends pulumi.ComponentResource {
  constructor(name: string, args: ControllerInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:ControllerInfrastructure", name, {}, opts);
    const { host, cloud } = args;
    const files = host.profile.files;
    const units = host.profile.units;
    const settings = { myIp: host.connection.address };

    const databaseSettings = writeConfigFile(
      `${name}-database-settings`,
      host,
      files.databaseServer,
      cloud.apply((values) => renderConfigFile(files.databaseServer, values, settings)),
      { parent: this },
    );
    const cacheSettings = writeConfigFile(
      `${name}-cache-settings`,
      host,
      files.cache,
      cloud.apply((values) => renderConfigFile(files.cache, values, settings)),
      { parent: this },
    );
    const address = host.connection.address;
    const services = startServices(
      `${name}-services`,
      host,
      [units.database, units.messageQueue, units.cache],
      { listening: [{ host: address, port: 3306 }, { host: address, port: 5672 }, { host: address, port: 11211 }] },
      { parent: this, dependsOn: [databaseSettings, cacheSettings] },
    );
    new RemoteScript(
      `${name}-rabbitmq-user`,
      {
        connection: host.connection,
        description: "RabbitMQ user openstack",
        create: rabbitUserScript("openstack", host.profile.rabbitPasswordMethod),
        secrets: { [rabbitPasswordVariable]: cloud.passwords.rabbit },
      },
      { parent: this, dependsOn: [services] },
    );
    this.registerOutputs({});
  }
}
