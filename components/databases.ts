/**
 * Databases: each service's database and its grants to the service user from localhost and
 * from anywhere ('%'). Described as data; created when absent. Unless the stack allows
 * destroying data the step is protected (`pulumi destroy` refuses) and has no delete action;
 * when it does, deleting the step drops the databases and their users.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PasswordName } from "../config/passwords";
import type { PlannedService } from "../plan/hostPlan";
import { RemoteScript } from "../remote/remoteScript";
import { databaseGrantsScript, DatabaseGrant, dropDatabasesScript, passwordVariable, sqlStringContent } from "../steps/mariadb";
import { grantsCheckScript } from "../steps/checks";
import type { OnHostWithPasswords } from "./remoteSteps";

/** A database user of the cloud and the databases granted to it (a catalog record's `database`). */
export interface DatabaseUser {
  readonly user: string;
  /** Which password of the cloud the user logs in with. */
  readonly password: PasswordName;
  readonly databases: readonly string[];
}

/** The database users of the services planned on a host, in the catalog's order. */
export function databaseUsers(services: readonly PlannedService[]): DatabaseUser[] {
  return services.flatMap(({ record, credentials }) =>
    record.database && credentials
      ? [
          {
            user: record.database.user,
            password: record.database.password as PasswordName,
            databases: record.database.databases.map((entry) => entry.name),
          },
        ]
      : [],
  );
}

export interface DatabasesArgs extends OnHostWithPasswords {
  readonly users: readonly DatabaseUser[];
  /** Drop the databases when the step is deleted (pulumi destroy); otherwise protect it. Default: false. */
  readonly allowDataDestruction?: boolean;
}

export class Databases extends pulumi.ComponentResource {
  constructor(name: string, args: DatabasesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:controller:Databases", name, {}, opts);
    const grants: DatabaseGrant[] = args.users.flatMap((entry) => entry.databases.map((database) => ({ database, user: entry.user })));
    const secrets = Object.fromEntries(
      args.users.map((entry) => [passwordVariable(entry.user), args.passwords.apply((passwords) => sqlStringContent(passwords[entry.password]))]),
    );
    new RemoteScript(
      `${name}-grants`,
      {
        connection: args.host.connection,
        description: `databases ${grants.map((grant) => grant.database).join(" ")}`,
        create: databaseGrantsScript(grants),
        delete: args.allowDataDestruction ? dropDatabasesScript(grants) : undefined,
        secrets,
        check: { kind: "script", script: grantsCheckScript(grants) },
      },
      { parent: this, protect: !args.allowDataDestruction },
    );
    this.registerOutputs({});
  }
}
