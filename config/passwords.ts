/**
 * The stack's passwords: their names (from the service catalog), which a stack needs, and what
 * a password may hold. Service users and database users are separate accounts.
 */
import { installedServices, ownPasswords, ServicePasswordName, serviceIds, usedPasswords } from "../catalog/services";

/** The cloud's admin (Keystone's bootstrap user, what registration and clients log in as), then every service's. */
export type PasswordName = "admin" | ServicePasswordName;

/** Every password of the cloud, by name. */
export type CloudPasswords = Readonly<Record<PasswordName, string>>;

/** Every password name, in the order messages and `secrets init` list them. */
export const passwordNames: readonly PasswordName[] = ["admin", ...serviceIds.flatMap(ownPasswords)];

export function isPasswordName(name: string): name is PasswordName {
  return (passwordNames as readonly string[]).includes(name);
}

/** The passwords a stack needs: the admin's and those of the services it installs or whose files it writes. */
export function requiredPasswords(prerequisites: boolean): PasswordName[] {
  const used = new Set<PasswordName>([
    "admin",
    ...(["controller", "compute"] as const).flatMap((role) => installedServices(role, prerequisites).flatMap(usedPasswords)),
  ]);
  return passwordNames.filter((name) => used.has(name));
}

/** A value for every password name (tests, masking, stand-ins). */
export function passwordsFrom(value: (name: PasswordName) => string): CloudPasswords {
  return Object.fromEntries(passwordNames.map((name) => [name, value(name)])) as CloudPasswords;
}

/**
 * Characters a password cannot hold, by password, beyond the general rules: oslo.messaging's
 * rabbit driver rebuilds the broker URL with urllib's quote(), which leaves "/" unencoded, so a
 * "/" in the RabbitMQ password breaks the URL (kombu: "Port could not be cast to integer").
 */
export const forbiddenPasswordCharacters: Readonly<Partial<Record<PasswordName, string>>> = { rabbit: "/" };

/** Why oslo.config, a shell or a URL could not carry a password unchanged; undefined when it can. */
export function passwordProblem(password: string, name?: PasswordName): string | undefined {
  const forbidden = [...(name ? (forbiddenPasswordCharacters[name] ?? "") : "")].filter((character) => password.includes(character));
  if (forbidden.length > 0) {
    return `cannot contain ${forbidden.map((character) => JSON.stringify(character)).join(", ")} (oslo.messaging leaves it unencoded in the broker URL)`;
  }
  if (password.length < 8 || password.length > 128) {
    return `expected 8 to 128 characters, got ${password.length}`;
  }
  if (/[\0\r\n]/.test(password)) {
    return "a password cannot contain a line break or NUL";
  }
  if (password !== password.trim()) {
    return "a password cannot start or end with white space (oslo.config strips it)";
  }
  if (password.includes("\\$")) {
    // oslo.config turns "\$" into "$$" before its own unescaping: no escape yields a literal "\$".
    return 'a password cannot contain a backslash directly followed by "$" (oslo.config reads it as an escaped "$")';
  }
  if ((password[0] === '"' || password[0] === "'") && password[0] === password[password.length - 1]) {
    return "a password cannot start and end with the same quote character (oslo.config strips them)";
  }
  return undefined;
}
