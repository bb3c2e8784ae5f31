/**
 * The whole deployment, phase by phase, readable top to bottom. Phases are explicit
 * `dependsOn` between components; within a phase, work on different hosts runs in parallel.
 *
 *   controller: facts -> packages -> infrastructure* -> databases -> identity* -> registration
 *               -> image*, network API*, placement -> nova control plane -> flavors
 *   computes:   facts -> packages -> nova.conf     (in parallel with the controller)
 *                 -> (control plane) -> nova-compute -> host discovery on the controller
 *   (* prerequisites)
 */
import * as pulumi from "@pulumi/pulumi";
import {
  AdminCredentials,
  ComputeNode,
  Flavors,
  HostDiscovery,
  ControllerInfrastructure,
  Databases,
  DestroyGuard,
  HostFacts,
  HostPackages,
  Identity,
  ImageService,
  NetworkApi,
  NovaController,
  novaDatabaseUsers,
  Placement,
  prerequisiteDatabaseUsers,
  ServiceRegistration,
} from "./components";
import type { HostTarget } from "./components/remoteSteps";
import type { HostConfig, StackConfig } from "./config/stackConfig";
import { controllerPackageParts } from "./profiles/profiles";
import type { CloudPasswords, CloudSettings } from "./render/configFiles";
import type { SshEndpoint } from "./remote/ssh";
import { novaServiceRegistrations, prerequisiteServiceRegistrations } from "./steps/keystone";

export interface DeploymentOutputs {
  readonly hostFacts: Record<string, pulumi.Output<unknown>>;
  readonly cells: pulumi.Output<string>;
  readonly registration: pulumi.Output<string>;
  readonly discovery: pulumi.Output<string> | undefined;
  readonly virtTypes: Record<string, pulumi.Output<string>>;
}

export function endpointOf(config: StackConfig, host: HostConfig): SshEndpoint {
  return {
    hostName: host.name,
    address: host.address,
    port: host.port,
    user: config.sshUser,
    privateKeyPath: config.sshPrivateKeyPath,
    hostPublicKey: host.hostPublicKey,
  };
}

/**
 * Builds every resource of the stack.
 * @param passwords the stack's passwords, as a secret (never the plain `config.passwords`).
 */
export function deployNova(config: StackConfig, passwords: pulumi.Output<CloudPasswords>): DeploymentOutputs {
  const profile = config.profile;
  const target = (host: HostConfig): HostTarget => ({
    connection: endpointOf(config, host),
    profile,
    refreshPackageIndex: config.refreshPackageIndex,
    apiWorkers: config.apiWorkers,
  });
  const controllerName = config.controller.name;
  const controller = target(config.controller);
  const region = config.region;
  const authUrl = `http://${controllerName}:5000/v3`;
  const cloud: pulumi.Output<CloudSettings> = passwords.apply((values) => ({
    controllerHost: controllerName,
    controllerAddress: config.controller.address,
    region,
    passwords: values,
  }));
  const prerequisites = config.prerequisites;

  // Facts first: a host whose own name does not resolve fails here, before anything is installed.
  const facts = Object.fromEntries(config.hosts.map((host) => [host.name, new HostFacts(`${host.name}-facts`, { connection: target(host).connection })]));

  const controllerPackages = new HostPackages(
    `${controllerName}-packages`,
    { host: controller, parts: controllerPackageParts(prerequisites) },
    { dependsOn: [facts[controllerName]] },
  );

  const infrastructure = prerequisites
    ? new ControllerInfrastructure(`${controllerName}-infrastructure`, { host: controller, cloud }, { dependsOn: [controllerPackages] })
    : undefined;

  const databases = new Databases(
    `${controllerName}-databases`,
    {
      host: controller,
      users: [...(prerequisites ? prerequisiteDatabaseUsers : []), ...novaDatabaseUsers(profile.placementHosting === "standalone-placement")],
      passwords,
      allowDataDestruction: config.allowDataDestruction,
    },
    { dependsOn: [infrastructure ?? controllerPackages] },
  );

  const identity = prerequisites
    ? new Identity(`${controllerName}-identity`, { host: controller, cloud, controllerHost: controllerName, region }, { dependsOn: [databases] })
    : undefined;
  const identityReady = identity ?? controllerPackages;

  const registration = new ServiceRegistration(
    `${controllerName}-registration`,
    {
      host: controller,
      services: [...(prerequisites ? prerequisiteServiceRegistrations(controllerName) : []), ...novaServiceRegistrations(controllerName)],
      passwords,
      authUrl,
      region,
      allowDataDestruction: config.allowDataDestruction,
    },
    { dependsOn: [identityReady] },
  );
  const adminCredentials = new AdminCredentials(
    `${controllerName}-admin-credentials`,
    { host: controller, adminPassword: passwords.admin, authUrl, region },
    { dependsOn: [identityReady] },
  );

  const image = prerequisites
    ? new ImageService(`${controllerName}-image`, { host: controller, cloud, authUrl, region, servicesAfter: [registration] }, { dependsOn: [databases] })
    : undefined;
  const networkApi = prerequisites
    ? new NetworkApi(`${controllerName}-network-api`, { host: controller, cloud, authUrl, region, servicesAfter: [registration] }, { dependsOn: [databases] })
    : undefined;
  const placement = new Placement(
    `${controllerName}-placement`,
    { host: controller, cloud, overrides: config.configOverrides.placement, servicesAfter: [registration] },
    { dependsOn: [databases] },
  );

  const nova = new NovaController(
    `${controllerName}-nova`,
    {
      host: controller,
      cloud,
      controllerHost: controllerName,
      overrides: config.configOverrides.novaController,
      servicesAfter: [registration, placement, ...(image ? [image] : []), ...(networkApi ? [networkApi] : [])],
    },
    { dependsOn: [databases] },
  );

  const flavors =
    config.flavors.length > 0
      ? new Flavors(`${controllerName}-flavors`, { controller, flavors: config.flavors, adminPassword: passwords.admin, authUrl, region }, { dependsOn: [nova] })
      : undefined;

  const computes = config.computes.map(
    (host) =>
      new ComputeNode(
        `${host.name}-compute`,
        {
          host: target(host),
          controller,
          cloud,
          facts: facts[host.name].facts,
          computeDriver: config.computeDriver,
          virtType: config.virtType,
          authUrl,
          region,
          overrides: config.configOverrides.novaCompute,
          controlPlane: [nova],
        },
        { dependsOn: [facts[host.name]] },
      ),
  );
  const discovery =
    computes.length > 0
      ? new HostDiscovery(
          `${controllerName}-discovery`,
          { controller, computes: config.computes.map((host) => host.name) },
          { dependsOn: computes.map((compute) => compute.running) },
        )
      : undefined;

  // Last: a destroy must get past the guard before it may touch any of the above.
  new DestroyGuard(
    "destroy-guard",
    {
      guarded: [
        ...Object.values(facts),
        controllerPackages,
        ...(infrastructure ? [infrastructure] : []),
        databases,
        ...(identity ? [identity] : []),
        registration,
        adminCredentials,
        ...(image ? [image] : []),
        ...(networkApi ? [networkApi] : []),
        placement,
        nova,
        ...(flavors ? [flavors] : []),
        ...computes,
        ...(discovery ? [discovery] : []),
      ],
      allowDataDestruction: config.allowDataDestruction,
    },
  );

  return {
    hostFacts: Object.fromEntries(Object.entries(facts).map(([name, component]) => [name, component.facts])),
    cells: nova.cells,
    registration: registration.report,
    discovery: discovery?.report,
    virtTypes: Object.fromEntries(computes.map((compute, index) => [config.computes[index].name, compute.virtType])),
  };
}
