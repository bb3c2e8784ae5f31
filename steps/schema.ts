/** Database schema migrations, each run as the service's own user (as the guide does). */
import { shellQuote } from "../lib/shell";

/**
 * A command line run as a system user (whose login shell is nologin). `words` are shell words,
 * already quoted where needed, so a caller can pass "$variable" through.
 */
export function asServiceUser(user: string, words: readonly string[]): string {
  return `runuser -u ${shellQuote(user)} -- ${words.join(" ")}`;
}

/** The migrations of each service. Every one is idempotent: it applies only what is missing. */
export const schemaMigrations = {
  glance: asServiceUser("glance", ["glance-manage", "db_sync"]),
  neutron: asServiceUser("neutron", [
    "neutron-db-manage",
    "--config-file",
    "/etc/neutron/neutron.conf",
    "--config-file",
    "/etc/neutron/plugins/ml2/ml2_conf.ini",
    "upgrade",
    "head",
  ]),
  placement: asServiceUser("placement", ["placement-manage", "db", "sync"]),
} as const;
