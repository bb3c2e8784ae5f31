/**
 * Keystone: database schema, fernet and credential keys, bootstrap of the admin user, region
 * and identity endpoints, and the shared registration of the other services.
 */
import { readFileSync } from "fs";
import { join } from "path";
import type { CloudPasswords, PasswordName } from "../config/passwords";
import { shellQuote } from "../lib/shell";
import { asServiceUser } from "./schema";

export const adminPasswordVariable = "ADMIN_PASSWORD";
export const registrationVariable = "REGISTRATION";

export interface IdentityBootstrap {
  /** http://controller:5000/v3/ */
  readonly identityUrl: string;
  readonly region: string;
  /** The command that runs Python (python3; python on CentOS 7). */
  readonly python: string;
}

/**
 * Idempotent: db_sync migrates only what is missing, fernet_setup and credential_setup keep
 * existing keys, bootstrap creates what is missing and sets the admin password (passed in the
 * environment keystone-manage reads it from, never as an argument).
 */
export function identityBootstrapScript(settings: IdentityBootstrap): string {
  const url = shellQuote(settings.identityUrl);
  return [
    asServiceUser("keystone", ["keystone-manage", "db_sync"]),
    "keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone",
    "keystone-manage credential_setup --keystone-user keystone --keystone-group keystone",
    `OS_BOOTSTRAP_PASSWORD="$${adminPasswordVariable}" keystone-manage bootstrap \\`,
    `  --bootstrap-admin-url ${url} --bootstrap-internal-url ${url} --bootstrap-public-url ${url} \\`,
    `  --bootstrap-region-id ${shellQuote(settings.region)}`,
  ].join("\n");
}

/** One service as Keystone should know it. */
export interface ServiceRegistration {
  /** Keystone user of the service (also its name in messages). */
  readonly user: string;
  /** Which password of the stack the user has. */
  readonly password: PasswordName;
  readonly service: { readonly name: string; readonly type: string; readonly description: string };
  readonly endpoints: { readonly public: string; readonly internal: string; readonly admin: string };
}

/** The registration document the Python step reads (passwords included: it travels as a secret). */
export function registrationDocument(authUrl: string, region: string, passwords: CloudPasswords, services: readonly ServiceRegistration[]): string {
  return JSON.stringify({
    authUrl,
    region,
    adminPassword: passwords.admin,
    services: services.map((entry) => ({
      user: entry.user,
      service: entry.service,
      endpoints: entry.endpoints,
      password: passwords[entry.password],
    })),
  });
}

const registrationProgram = readFileSync(join(__dirname, "..", "remote", "python", "keystone_register.py"), "utf8");

/**
 * @param action "register" makes Keystone match the document; "unregister" removes its users,
 *   services and endpoints; "check" changes nothing and prints what a registration would change,
 *   one `object<TAB>expected<TAB>found` line each (remote/drift.ts).
 */
export function registrationScript(python: string, action: "register" | "unregister" | "check" = "register"): string {
  return [
    "program=$(mktemp /tmp/keystone-register.XXXXXX)",
    `trap 'rm -f "$program"' EXIT`,
    `cat >"$program" <<'PYTHON'`,
    registrationProgram.trimEnd(),
    "PYTHON",
    `printf '%s' "$${registrationVariable}" | ${python} "$program"${action === "register" ? "" : ` ${action}`}`,
  ].join("\n");
}
