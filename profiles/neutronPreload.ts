/**
 * Debian's Neutron API (neutron-api under uwsgi, lazy-apps) serves port requests from workers
 * whose SQLAlchemy mappers are configured only by their first database query, and
 * `get_ports` reads `Port.port_forwardings`, a back-reference that exists only once the
 * port-forwarding model is imported and the mappers are configured. A worker whose first
 * request is a port listing (what Nova sends for every instance) answers HTTP 500
 * ("type object 'Port' has no attribute 'port_forwardings'"), and goes on doing so while no
 * other query configures it.
 *
 * The fix: a module each uwsgi worker imports before it loads the application, which imports
 * every Neutron model (the set the schema migrations use) and configures the mappers. It
 * first imports `neutron.cmd.eventlet`, which monkey-patches as the application itself does.
 */
import { shellQuote } from "../lib/shell";

export const neutronPreloadDirectory = "/usr/local/lib/nova-installer/python";
export const neutronPreloadModule = "nova_installer_neutron_preload";

const preloadSource = [
  '"""Written by nova-installer: configures every Neutron model before a uwsgi worker serves."""',
  "import neutron.cmd.eventlet  # noqa: F401  (monkey-patches first, as neutron-api does)",
  "from neutron.db.migration.models import head  # noqa: F401  (every model)",
  "from sqlalchemy import orm",
  "",
  "orm.configure_mappers()",
  "",
].join("\n");

/** Commands that install the module and make each worker of the uwsgi config `ini` import it. */
export function neutronPreloadSetup(ini: string): string[] {
  const file = `${neutronPreloadDirectory}/${neutronPreloadModule}.py`;
  const lines = [`pythonpath = ${neutronPreloadDirectory}`, `import = ${neutronPreloadModule}`];
  return [
    `install -d -m 0755 ${shellQuote(neutronPreloadDirectory)}`,
    `printf '%s' ${shellQuote(preloadSource)} > ${shellQuote(file)}`,
    `chmod 0644 ${shellQuote(file)}`,
    // Appended to the end of the [uwsgi] section (the file's only one), once.
    `grep -qxF ${shellQuote(lines[1])} ${shellQuote(ini)} || printf '\\n# nova-installer: configure the database models in every worker first\\n%s\\n%s\\n' ${lines.map(shellQuote).join(" ")} >> ${shellQuote(ini)}`,
  ];
}
