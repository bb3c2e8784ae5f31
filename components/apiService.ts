/**
 * ApiService: one OpenStack API service on the controller, built from its plan
 * (plan/hostPlan.ts, itself from the service's catalog record and the profile): its
 * configuration files and database credentials, its schema step (Keystone: its bootstrap; Nova:
 * the cell mapping), its units started once what it needs runs and listening on its ports, and
 * a client step after the start where the catalog has one (Glance's test image, the Networking
 * API's warm-up).
 *
 * The files and the schema need only the databases (the component's own dependencies); the
 * start waits for `servicesAfter` too (the Keystone registration, the services it calls).
 */
import * as pulumi from "@pulumi/pulumi";
import type { StepContext } from "../catalog/services";
import { filesOf, PlannedService } from "../plan/hostPlan";
import { RemoteScript } from "../remote/remoteScript";
import { adminPasswordVariable } from "../steps/keystone";
import { startServices, writePlannedFile, OnHostWithPasswords } from "./remoteSteps";

export interface ApiServiceArgs extends OnHostWithPasswords {
  /** The service as planned on the controller. */
  readonly service: PlannedService;
  /** What the catalog's step builders need (profile, controller name, region, auth URL). */
  readonly context: StepContext;
  /** What the units need running before they start. Default: nothing beyond the component's dependencies. */
  readonly servicesAfter?: readonly pulumi.Resource[];
}

export class ApiService extends pulumi.ComponentResource {
  /** What the schema step printed (Nova: list_cells after the mapping); empty where there is none. */
  public readonly schemaOutput: pulumi.Output<string>;

  constructor(name: string, args: ApiServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    // Typed by the service (nova-installer:controller:Placement, ...): a preview names what changes.
    super(`nova-installer:controller:${args.service.record.componentType ?? "ApiService"}`, name, {}, opts);
    const { host, service, passwords } = args;
    const files = filesOf(service).map((file) =>
      writePlannedFile(
        host,
        file,
        passwords.apply((values) => file.render(values)),
        { parent: this },
      ),
    );
    const schema =
      service.schema &&
      new RemoteScript(
        service.schema.step,
        {
          connection: host.connection,
          description: service.schema.spec.description,
          create: [...(service.platform.schemaSetup ?? []), service.schema.spec.script(args.context)].join("\n"),
          timeoutSeconds: service.schema.spec.timeoutSeconds,
          secrets: service.schema.spec.usesAdminPassword ? { [adminPasswordVariable]: passwords.admin } : undefined,
          check: service.schema.spec.check && { kind: "script", script: service.schema.spec.check() },
        },
        { parent: this, dependsOn: files },
      );
    const services = startServices(
      `${name}-services`,
      host,
      service.units,
      { setup: service.startSetup, listening: service.listening },
      { parent: this, dependsOn: [...(schema ? [schema] : files), ...(args.servicesAfter ?? [])] },
    );
    const afterStart = service.afterStart;
    if (afterStart) {
      new RemoteScript(
        afterStart.step,
        {
          connection: host.connection,
          description: afterStart.spec.description,
          create: afterStart.spec.script(args.context),
          uploads: afterStart.spec.uploads?.(args.context),
          // A warm-up carries the files (unused by its script) so that it runs again after every
          // restart a changed file causes; as secrets they stay encrypted in state.
          secrets: {
            [adminPasswordVariable]: passwords.admin,
            ...(afterStart.spec.afterEachRestart
              ? Object.fromEntries(service.files.map((file) => [file.variable, passwords.apply((values) => file.render(values))]))
              : {}),
          },
        },
        { parent: this, dependsOn: [services] },
      );
    }
    this.schemaOutput = schema?.stdout ?? pulumi.output("");
    this.registerOutputs({});
  }
}
