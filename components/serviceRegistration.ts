/**
 * ServiceRegistration: Keystone users, roles, service entities and endpoints of the services,
 * described as data and applied by one shared, idempotent step (remote/python/keystone_register.py):
 * what exists is kept, a changed endpoint URL is updated rather than duplicated. Unless the
 * stack allows destroying data the step is protected (`pulumi destroy` refuses); when it does,
 * deleting the step removes the users, services and endpoints it registered.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PasswordName } from "../config/passwords";
import type { PlannedService } from "../plan/hostPlan";
import { RemoteScript } from "../remote/remoteScript";
import { registrationDocument, registrationScript, registrationVariable, ServiceRegistration as Registration } from "../steps/keystone";
import type { AdminAccess, OnHostWithPasswords } from "./remoteSteps";

/** How Keystone should know the services planned on the controller: each one with a Keystone entry in its catalog record. */
export function keystoneRegistrations(services: readonly PlannedService[], controllerHost: string): Registration[] {
  return services.flatMap(({ record }) => {
    const entry = record.keystone;
    if (entry === undefined) {
      return [];
    }
    const url = `http://${controllerHost}:${record.ports[0].port}${entry.path}`;
    return [
      {
        user: entry.user,
        password: entry.password as PasswordName,
        service: { name: entry.name, type: entry.type, description: entry.description },
        endpoints: { public: url, internal: url, admin: url },
      },
    ];
  });
}

export interface ServiceRegistrationArgs extends OnHostWithPasswords, AdminAccess {
  readonly services: readonly Registration[];
  /** Remove the registration when the step is deleted (pulumi destroy); otherwise protect it. Default: false. */
  readonly allowDataDestruction?: boolean;
}

export class ServiceRegistration extends pulumi.ComponentResource {
  /** What the registration step printed: one JSON line per object checked or changed. */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: ServiceRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:ServiceRegistration", name, {}, opts);
    const document = args.passwords.apply((passwords) => registrationDocument(args.authUrl, args.region, passwords, args.services));
    const step = new RemoteScript(
      `${name}-keystone`,
      {
        connection: args.host.connection,
        description: `register ${args.services.map((entry) => entry.service.name).join(" ")} in Keystone`,
        create: registrationScript(args.host.profile.python),
        delete: args.allowDataDestruction ? registrationScript(args.host.profile.python, "unregister") : undefined,
        secrets: { [registrationVariable]: document },
        // Read back on refresh: what a registration would create or change (users, their
        // passwords and roles, services, endpoints and their URLs); a repair registers again.
        check: { kind: "script", script: registrationScript(args.host.profile.python, "check") },
      },
      { parent: this, protect: !args.allowDataDestruction },
    );
    this.report = step.stdout;
    this.registerOutputs({ report: this.report });
  }
}
