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
import type { ServiceId } from "./catalog/services";
import {
  AdminCredentials,
  ApiService,
  ComputeNode,
  ControllerInfrastructure,
  databaseUsers,
  Databases,
  DestroyGuard,
  Flavors,
  HostDiscovery,
  HostFacts,
  HostPackages,
  keystoneRegistrations,
  ServiceRegistration,
} from "./components";
import type { HostTarget } from "./components/remoteSteps";
import type { CloudPasswords } from "./config/passwords";
import type { HostConfig, StackSettings } from "./config/types";
import { adminCredentialsFile, authUrlOf, hostPlan, plannedService, stepContext } from "./plan/hostPlan";
import { endpointOf } from "./remote/endpoint";
import { virtualizationRequirements } from "./steps/virtualization";

export interface DeploymentOutputs {
  readonly hostFacts: Record<string, pulumi.Output<unknown>>;
  readonly cells: pulumi.Output<string>;
  readonly registration: pulumi.Output<string>;
  readonly discovery: pulumi.Output<string> | undefined;
  readonly virtTypes: Record<string, pulumi.Output<string>>;
}

/**
 * Builds every resource of the stack.
 * @param passwords the stack's passwords, as a secret (never the plain `config.passwords`).
 */
export function deployNova(settings: StackSettings, passwords: pulumi.Output<CloudPasswords>): DeploymentOutputs {
  const target = (host: HostConfig): HostTarget => ({
    connection: endpointOf(settings, host),
    profile: settings.profile,
    refreshPackageIndex: settings.refreshPackageIndex,
  });
  const controllerName = settings.controller.name;
  const controller = target(settings.controller);
  const region = settings.region;
  const authUrl = authUrlOf(settings);
  const context = stepContext(settings);
  const plan = hostPlan(settings, controllerName);
  const planned = (id: ServiceId) => plannedService(plan, id);
  const has = (id: ServiceId) => plan.services.some((service) => service.id === id);
  const apiService = (id: ServiceId, dependsOn: pulumi.Resource, servicesAfter: readonly pulumi.Resource[] = []) =>
    new ApiService(planned(id).component, { host: controller, service: planned(id), context, passwords, servicesAfter }, { dependsOn: [dependsOn] });

  // Facts first: a host whose own name does not resolve, or a compute that cannot run what the
  // driver and virt_type settings need, fails here, before anything is installed.
  const computeRequirements = virtualizationRequirements(settings.computeDriver, settings.virtType);
  const facts = Object.fromEntries(
    settings.hosts.map((host) => [
      host.name,
      new HostFacts(`${host.name}-facts`, {
        connection: target(host).connection,
        profile: settings.profile,
        ...(host.role === "compute" ? { requirements: computeRequirements } : {}),
      }),
    ]),
  );

  const controllerPackages = new HostPackages(
    `${controllerName}-packages`,
    { host: controller, role: "controller", prerequisites: settings.prerequisites },
    { dependsOn: [facts[controllerName]] },
  );

  const infrastructureServices = plan.services.filter((service) => service.record.part === "infrastructure");
  const infrastructure =
    infrastructureServices.length > 0
      ? new ControllerInfrastructure(
          `${controllerName}-infrastructure`,
          { host: controller, services: infrastructureServices, passwords },
          { dependsOn: [controllerPackages] },
        )
      : undefined;

  const databases = new Databases(
    `${controllerName}-databases`,
    { host: controller, users: databaseUsers(plan.services), passwords, allowDataDestruction: settings.allowDataDestruction },
    { dependsOn: [infrastructure ?? controllerPackages] },
  );

  const identity = has("keystone") ? apiService("keystone", databases) : undefined;
  const identityReady = identity ?? controllerPackages;

  const registration = new ServiceRegistration(
    `${controllerName}-registration`,
    {
      host: controller,
      services: keystoneRegistrations(plan.services, controllerName),
      passwords,
      authUrl,
      region,
      allowDataDestruction: settings.allowDataDestruction,
    },
    { dependsOn: [identityReady] },
  );
  const adminCredentials = new AdminCredentials(
    `${controllerName}-admin-credentials`,
    { host: controller, file: adminCredentialsFile(settings), passwords },
    { dependsOn: [identityReady] },
  );

  // The other APIs: configured alongside Keystone, started once registered; Nova's after the rest.
  const peers = plan.services
    .filter((service) => service.record.part !== "infrastructure" && service.id !== "keystone" && service.id !== "nova")
    .map((service) => apiService(service.id, databases, [registration]));
  const nova = apiService("nova", databases, [registration, ...peers]);

  const flavors =
    settings.flavors.length > 0
      ? new Flavors(
          `${controllerName}-flavors`,
          { controller, flavors: settings.flavors, adminPassword: passwords.admin, authUrl, region },
          { dependsOn: [nova] },
        )
      : undefined;

  const computes = settings.computes.map(
    (host) =>
      new ComputeNode(
        `${host.name}-compute`,
        {
          host: target(host),
          controller,
          service: plannedService(hostPlan(settings, host.name), "novaCompute"),
          passwords,
          facts: facts[host.name].facts,
          computeDriver: settings.computeDriver,
          virtType: settings.virtType,
          authUrl,
          region,
          controlPlane: [nova],
        },
        { dependsOn: [facts[host.name]] },
      ),
  );
  const discovery =
    computes.length > 0
      ? new HostDiscovery(
          `${controllerName}-discovery`,
          { controller, computes: settings.computes.map((host) => host.name) },
          { dependsOn: computes.map((compute) => compute.running) },
        )
      : undefined;

  // Last: a destroy must get past the guard before it may touch any of the above.
  new DestroyGuard("destroy-guard", {
    guarded: [
      ...Object.values(facts),
      controllerPackages,
      ...(infrastructure ? [infrastructure] : []),
      databases,
      ...(identity ? [identity] : []),
      registration,
      adminCredentials,
      ...peers,
      nova,
      ...(flavors ? [flavors] : []),
      ...computes,
      ...(discovery ? [discovery] : []),
    ],
    allowDataDestruction: settings.allowDataDestruction,
  });

  return {
    hostFacts: Object.fromEntries(Object.entries(facts).map(([name, component]) => [name, component.facts])),
    cells: nova.schemaOutput,
    registration: registration.report,
    discovery: discovery?.report,
    virtTypes: Object.fromEntries(computes.map((compute, index) => [settings.computes[index].name, compute.virtType])),
  };
}
