/**
 * Databases: each service's database and its grants to the service user from localhost and
 * from anywhere ('%'). Described as data; created when absent. Unless the stack allows
 * destroying data the step is protected (`pulumi destroy` refuses) and has no delete action;
 * when it does, deleting the step drops the databases and their users.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudPasswords } from "../render/configFiles";
import { RemoteScript } from "../remote/remoteScript";
import { databaseGrantsScript, DatabaseGrant, dropDatabasesScript, passwordVariable, sqlStringContent } from "../steps/mariadb";
import type { HostTarget } from "./remoteSteps";

export interface DatabaseUser {
  readonly user: string;
  /** Which password of the cloud the user logs in with. */
  readonly password: keyof CloudPasswords;
  readonly databases: readonly string[];
}

/** Nova's databases (placement's own where it is a separate service). */
export function novaDatabaseUsers(standalonePlacement: boolean): DatabaseUser[] {
  return [
    { user: "nova", password: "novaDatabase", databases: ["nova_api", "nova", "nova_cell0"] },
    ...(standalonePlacement ? [{ user: "placement", password: "placementDatabase" as const, databases: ["placement"] }] : []),
  ];
}

/** The prerequisites' databases, when the installer runs them. */
export const prerequisiteDatabaseUsers: readonly DatabaseUser[] = [
  { user: "keystone", password: "keystoneDatabase", databases: ["keystone"] },
  { user: "glance", password: "glanceDatabase", databases: ["glance"] },
  { user: "neutron", password: "neutronDatabase", databases: ["neutron"] },
];

export interface DatabasesArgs {
  readonly host: HostTarget;
  readonly users: readonly DatabaseUser[];
  /** A secret. */
  readonly passwords: pulumi.Output<CloudPasswords>;
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
      },
      { parent: this, protect: !args.allowDataDestruction },
    );
    this.registerOutputs({});
  }
}
