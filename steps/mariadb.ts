/**
 * MariaDB databases and their grants (the server settings are templates/mariadb/openstack.ini).
 *
 * Databases are created when absent and never dropped. Grants use the guide's
 * `GRANT ... IDENTIFIED BY`, which creates the account or sets its password: re-running it
 * after a password change rotates the password. Passwords arrive as secret variables already
 * escaped for a SQL string literal and are expanded by the heredoc, never on a command line.
 */
import { shellQuote } from "../lib/shell";

export interface DatabaseGrant {
  readonly database: string;
  readonly user: string;
}

const identifier = /^[a-z][a-z0-9_]{0,63}$/;

/** Name of the secret variable holding a database user's SQL-escaped password. */
export function passwordVariable(user: string): string {
  return `DB_PASSWORD_${user.toUpperCase()}`;
}

/** Escapes a value for a single-quoted MariaDB string literal. */
export function sqlStringContent(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\0/g, "\\0");
}

export function databaseGrantsScript(grants: readonly DatabaseGrant[]): string {
  const statements: string[] = [];
  for (const { database, user } of grants) {
    if (!identifier.test(database) || !identifier.test(user)) {
      throw new Error(`database ${JSON.stringify(database)} / user ${JSON.stringify(user)}: expected lower-case identifiers`);
    }
    statements.push(`CREATE DATABASE IF NOT EXISTS ${database};`);
    for (const host of ["localhost", "%"]) {
      statements.push(`GRANT ALL PRIVILEGES ON ${database}.* TO '${user}'@'${host}' IDENTIFIED BY '$${passwordVariable(user)}';`);
    }
  }
  return ["mysql --protocol=socket --user=root <<SQL", ...statements, "SQL"].join("\n");
}

/**
 * Drops the databases and their users: the delete action of a stack that allows destroying
 * data (see allowDataDestruction), never run otherwise.
 */
export function dropDatabasesScript(grants: readonly DatabaseGrant[]): string {
  const statements: string[] = [];
  for (const { database, user } of grants) {
    if (!identifier.test(database) || !identifier.test(user)) {
      throw new Error(`database ${JSON.stringify(database)} / user ${JSON.stringify(user)}: expected lower-case identifiers`);
    }
    statements.push(`DROP DATABASE IF EXISTS ${database};`);
  }
  for (const user of [...new Set(grants.map((grant) => grant.user))]) {
    statements.push(`DROP USER IF EXISTS '${user}'@'localhost', '${user}'@'%';`);
  }
  return ["mysql --protocol=socket --user=root <<'SQL'", ...statements, "SQL"].join("\n");
}

/** One query as the database server's root over its socket, rows as tab-separated lines without a header. */
export function rootQuery(sql: string): string {
  return `mysql --protocol=socket --user=root -N -e ${shellQuote(sql)}`;
}

/** Lists the databases that exist, one per line (for verification). */
export function listDatabasesScript(databases: readonly string[]): string {
  return `${rootQuery("SHOW DATABASES")} | grep -xE ${shellQuote(databases.join("|"))}`;
}
