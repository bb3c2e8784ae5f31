/**
 * ControllerInfrastructure: MariaDB, RabbitMQ and memcached as the install guide's "Environment"
 * chapter sets them up, listening on the controller's management address: their files from the
 * plan, their units started together, then the RabbitMQ user of the OpenStack services.
 */
import * as pulumi from "@pulumi/pulumi";
import { filesOf, PlannedService } from "../plan/hostPlan";
import { RemoteScript } from "../remote/remoteScript";
import { rabbitPasswordVariable, rabbitUserScript } from "../steps/rabbitmq";
import { startServices, writePlannedFile, OnHostWithPasswords } from "./remoteSteps";

export interface ControllerInfrastructureArgs extends OnHostWithPasswords {
  /** The infrastructure services as planned on the controller (the catalog's part "infrastructure"). */
  readonly services: readonly PlannedService[];
}

export class ControllerInfrastructure extends pulumi.ComponentResource {
  constructor(name: string, args: ControllerInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:ControllerInfrastructure", name, {}, opts);
    const { host, services, passwords } = args;
    const files = services.flatMap(filesOf).map((file) =>
      writePlannedFile(
        host,
        file,
        passwords.apply((values) => file.render(values)),
        { parent: this },
      ),
    );
    const started = startServices(
      `${name}-services`,
      host,
      services.flatMap((service) => service.units),
      { listening: services.flatMap((service) => service.listening) },
      { parent: this, dependsOn: files },
    );
    new RemoteScript(
      `${name}-rabbitmq-user`,
      {
        connection: host.connection,
        description: "RabbitMQ user openstack",
        create: rabbitUserScript("openstack", host.profile.rabbitPasswordMethod),
        secrets: { [rabbitPasswordVariable]: passwords.rabbit },
      },
      { parent: this, dependsOn: [started] },
    );
    this.registerOutputs({});
  }
}
