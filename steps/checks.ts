/**
 * Read-back scripts of the steps (remote/drift.ts): read-only, each prints one line per thing
 * that is not as its step wants it, `object<TAB>expected<TAB>found`, and nothing when the host
 * matches. Databases are read directly on the controller (milliseconds, where each openstack or
 * nova-manage call costs seconds of start-up); Keystone through its API (keystone_register.py
 * in check mode).
 */
import { shellQuote } from "../lib/shell";
import type { PackageManager } from "../profiles/profiles";
import { driftLine } from "../remote/drift";
import { DatabaseGrant, rootQuery } from "./mariadb";

/** Each package installed (dpkg's status "install ok installed", or known to rpm). */
export function packagesCheckScript(manager: PackageManager, packages: readonly string[]): string {
  const query =
    manager === "apt-get" ? `[ "$(dpkg-query -W -f='\${Status}' "$package" 2>/dev/null)" = "install ok installed" ]` : 'rpm -q --quiet "$package"';
  return [
    `for package in ${packages.map(shellQuote).join(" ")}; do`,
    `  ${query} || ${driftLine('"package $package"', "installed", "missing")}`,
    "done",
  ].join("\n");
}

/** Each unit enabled and active. */
export function unitsCheckScript(units: readonly string[]): string {
  return [
    `for unit in ${units.map(shellQuote).join(" ")}; do`,
    '  active=$(systemctl is-active "$unit" 2>/dev/null || true)',
    `  [ "$active" = active ] || ${driftLine('"unit $unit"', "active", '"${active:-unknown}"')}`,
    '  enabled=$(systemctl is-enabled "$unit" 2>/dev/null || true)',
    `  [ "$enabled" = enabled ] || ${driftLine('"unit $unit boot"', "enabled", '"${enabled:-unknown}"')}`,
    "done",
  ].join("\n");
}

/** Each database exists and each grant is there, from localhost and from anywhere. */
export function grantsCheckScript(grants: readonly DatabaseGrant[]): string {
  const lines = [`databases=$(${rootQuery("SHOW DATABASES")})`, `grants=$(${rootQuery("SELECT CONCAT(User, '@', Host, ' ', Db) FROM mysql.db")})`];
  for (const { database, user } of grants) {
    lines.push(
      `printf '%s\\n' "$databases" | grep -qxF ${shellQuote(database)} || ${driftLine(shellQuote(`database ${database}`), "present", "missing")}`,
    );
    for (const host of ["localhost", "%"]) {
      const grant = `${user}@${host} ${database}`;
      lines.push(
        `printf '%s\\n' "$grants" | grep -qxF ${shellQuote(grant)} || ${driftLine(shellQuote(`grant on ${database}.* to '${user}'@'${host}'`), "present", "missing")}`,
      );
    }
  }
  return lines.join("\n");
}

/** Each flavor exists (the step creates missing ones and keeps existing ones as they are). */
export function flavorsCheckScript(names: readonly string[]): string {
  return [
    `flavors=$(${rootQuery("SELECT name FROM nova_api.flavors")})`,
    ...names.map(
      (name) => `printf '%s\\n' "$flavors" | grep -qxF ${shellQuote(name)} || ${driftLine(shellQuote(`flavor ${name}`), "present", "missing")}`,
    ),
  ].join("\n");
}

/** cell0 and cell1 are mapped. */
export function cellMappingsCheckScript(): string {
  return [
    `cells=$(${rootQuery("SELECT name FROM nova_api.cell_mappings")})`,
    ...["cell0", "cell1"].map(
      (cell) => `printf '%s\\n' "$cells" | grep -qxF ${cell} || ${driftLine(`"cell mapping ${cell}"`, "present", "missing")}`,
    ),
  ].join("\n");
}

/** Each compute of the stack has its host mapping. */
export function hostMappingsCheckScript(computes: readonly string[]): string {
  return [
    `mapped=$(${rootQuery("SELECT host FROM nova_api.host_mappings")})`,
    ...computes.map(
      (host) => `printf '%s\\n' "$mapped" | grep -qxF ${shellQuote(host)} || ${driftLine(shellQuote(`host mapping ${host}`), "present", "missing")}`,
    ),
  ].join("\n");
}
