/**
 * Compute membership, discovery and flavors: scripts run on the controller with the openstack
 * client as admin (steps/openstackClient.ts) and nova-manage.
 */
import { shellQuote } from "../lib/shell";
import { adminEnvironment } from "./openstackClient";
import { rootQuery, sqlStringContent } from "./mariadb";
import { asServiceUser } from "./schema";

/**
 * Which computes run: a compute node in the cell database (what discover_hosts maps) whose
 * nova-compute reported within the last minute (nova's service_down_time), as nova's own
 * servicegroup judges it.
 */
const computesUpQuery = [
  "SELECT s.host FROM nova.services s JOIN nova.compute_nodes c ON c.host = s.host AND c.deleted = 0",
  "WHERE s.binary = 'nova-compute' AND s.deleted = 0",
  "AND COALESCE(s.last_seen_up, s.updated_at, s.created_at) >= UTC_TIMESTAMP() - INTERVAL 60 SECOND",
].join(" ");

/**
 * Waits, bounded, until every named compute runs (computesUpQuery), then maps unmapped hosts
 * into cell1 and checks each has its host mapping. Reads the databases on the controller
 * directly: one query costs milliseconds where each openstack call costs seconds of start-up,
 * and discover_hosts reads the same rows. discover_hosts exits 2 when another discovery races
 * it (nova bug 1923899): retried a few times.
 */
export function discoverHostsScript(computes: readonly string[], waitSeconds = 300): string {
  const hosts = computes.map(shellQuote).join(" ");
  return [
    `deadline=$((SECONDS + ${waitSeconds}))`,
    "while :; do",
    `  up=$(${rootQuery(computesUpQuery)})`,
    '  waiting=""',
    `  for host in ${hosts}; do printf '%s\\n' "$up" | grep -qxF "$host" || waiting="$waiting $host"; done`,
    '  [ -n "$waiting" ] || break',
    `  [ "$SECONDS" -lt "$deadline" ] || { echo "nova-compute on$waiting did not report up within ${waitSeconds} s" >&2; exit 1; }`,
    "  sleep 1",
    "done",
    "for attempt in 1 2 3 4 5; do",
    `  set +e; output=$(${asServiceUser("nova", ["nova-manage", "cell_v2", "discover_hosts", "--verbose"])} 2>&1); status=$?; set -e`,
    '  printf "%s\\n" "$output"',
    '  [ "$status" = 0 ] && break',
    '  [ "$status" = 2 ] && [ "$attempt" -lt 5 ] || { echo "discover_hosts failed with exit code $status" >&2; exit 1; }',
    "  sleep 3",
    "done",
    // Verify: every compute has its host mapping.
    `mapped=$(${rootQuery("SELECT host FROM nova_api.host_mappings")})`,
    `for host in ${hosts}; do`,
    `  printf '%s\\n' "$mapped" | grep -qxF "$host" || { echo "$host is not mapped to a cell" >&2; exit 1; }`,
    "done",
  ].join("\n");
}

/**
 * On the controller: the UUID the compute node `compute` has in the cell database, or a new one
 * when the cloud has none for it yet (a compute joining for the first time, or one whose service
 * was deleted: its old UUID stays in the soft-deleted row, which a new node may not reuse).
 */
export function computeIdentityScript(compute: string): string {
  const query = `SELECT uuid FROM nova.compute_nodes WHERE host = '${sqlStringContent(compute)}' AND deleted = 0 ORDER BY id LIMIT 1`;
  return [`uuid=$(${rootQuery(query)})`, '[ -n "$uuid" ] || uuid=$(cat /proc/sys/kernel/random/uuid)', "printf '%s\\n' \"$uuid\""].join("\n");
}

/** The UUID `computeIdentityScript` printed. @throws Error with the output when it is not one. */
export function parseComputeIdentity(stdout: string): string {
  const uuid = stdout.trim().split("\n").pop() ?? "";
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) {
    throw new Error(`the compute node identity step printed no UUID: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return uuid;
}

/**
 * On the compute, before nova-compute starts: the identity file holds `uuid`. Written when
 * missing (a new host, or one rebuilt from scratch: nova-compute then takes over the cloud's
 * record of it instead of refusing to start); kept when it holds `uuid`; a host whose file holds
 * another UUID is refused, since Nova must never see its identity change.
 */
export function writeComputeIdentityScript(file: string, uuid: string): string {
  const path = shellQuote(file);
  return [
    `if [ -s ${path} ]; then`,
    `  current=$(tr -d '[:space:]' < ${path})`,
    `  [ "$current" = ${shellQuote(uuid)} ] || { echo "$(hostname): ${file} holds compute node $current, but the cloud knows this host as ${uuid}. Nova refuses a changed identity: if this host was rebuilt, put ${uuid} in ${file}; if it is another machine under this name, give it another name" >&2; exit 1; }`,
    "else",
    `  printf '%s' ${shellQuote(uuid)} > ${path}.new`,
    `  chown nova:nova ${path}.new && chmod 0644 ${path}.new && mv ${path}.new ${path}`,
    "fi",
  ].join("\n");
}

/**
 * Removes a compute from the cloud when it leaves the stack: its nova-compute service, which
 * takes its resource provider and host mapping with it.
 */
export function removeComputeScript(authUrl: string, region: string, compute: string): string {
  return [
    adminEnvironment(authUrl, region),
    `for id in $(openstack compute service list --service nova-compute --host ${shellQuote(compute)} -f value -c ID); do`,
    '  openstack compute service delete "$id"',
    "done",
  ].join("\n");
}

export interface Flavor {
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
}

/** Creates each flavor that does not exist yet; existing ones are kept as they are. */
export function flavorsScript(authUrl: string, region: string, flavors: readonly Flavor[]): string {
  return [
    adminEnvironment(authUrl, region),
    ...flavors.map((flavor) => {
      const name = shellQuote(flavor.name);
      return `openstack flavor show ${name} >/dev/null 2>&1 || openstack flavor create --vcpus ${flavor.vcpus} --ram ${flavor.ramMb} --disk ${flavor.diskGb} ${name} >/dev/null`;
    }),
    "openstack flavor list -f value -c Name",
  ].join("\n");
}
