/**
 * Nova's cell_v2 mapping, in the guide's order: api_db sync -> map_cell0 -> create_cell cell1
 * -> db sync -> list_cells verified. `db sync` before cell0 is mapped is the classic
 * "cell0 mapping not found" failure.
 *
 * Re-runs are safe: map_cell0 reports "already setup"; cell1 is looked up in list_cells and
 * updated instead of created (create_cell fails when it exists). No password is stored in a
 * mapping or passed on a command line: database URLs carry none (the password is in the
 * credentials file they name), and where the release allows it the transport URL is a template
 * each service fills from its own nova.conf.
 */
import { shellQuote } from "../lib/shell";
import { asServiceUser } from "./schema";

const transportTemplate = "{scheme}://{username}:{password}@{hostname}:{port}/{path}";
const cell0Uuid = "00000000-0000-0000-0000-000000000000";

function novaManage(...words: string[]): string {
  return asServiceUser("nova", ["nova-manage", ...words]);
}

export interface CellMappingSettings {
  /** cell0's database URL; it holds no password (render/urls.ts), so it may be an argument. */
  readonly cell0DatabaseUrl: string;
  /** cell1's database URL, likewise without a password. */
  readonly cell1DatabaseUrl: string;
  /**
   * Whether the release takes a templated transport URL (Rocky and later). Without, cell1's
   * transport URL (with the RabbitMQ password) comes from nova.conf when the cell is created
   * and is left as it is afterwards.
   */
  readonly templatedTransportUrl: boolean;
}

/**
 * The mapping converges: an existing cell0 or cell1 (made by hand from the guide, with the
 * password in its URLs, say) is updated to the installer's URLs.
 */
export function cellMappingScript(settings: CellMappingSettings): string {
  const transport = settings.templatedTransportUrl ? ["--transport-url", shellQuote(transportTemplate)] : [];
  const cell1Database = ["--database_connection", shellQuote(settings.cell1DatabaseUrl)];
  const cell0Database = ["--database_connection", shellQuote(settings.cell0DatabaseUrl)];
  return [
    novaManage("api_db", "sync"),
    novaManage("cell_v2", "map_cell0", ...cell0Database),
    // cell0 has no message queue; without an explicit one update_cell would take nova.conf's.
    novaManage("cell_v2", "update_cell", "--cell_uuid", cell0Uuid, "--transport-url", "none:///", ...cell0Database),
    `cell1=$(${novaManage("cell_v2", "list_cells")} | awk -F'|' '{gsub(/ /, "", $2); gsub(/ /, "", $3)} $2 == "cell1" {print $3}')`,
    'if [ -z "$cell1" ]; then',
    `  ${novaManage("cell_v2", "create_cell", "--name=cell1", "--verbose", ...transport, ...cell1Database)}`,
    "else",
    `  ${novaManage("cell_v2", "update_cell", "--cell_uuid", '"$cell1"', ...transport, ...cell1Database)}`,
    "fi",
    novaManage("db", "sync"),
    `cells=$(${novaManage("cell_v2", "list_cells")})`,
    'printf "%s\\n" "$cells"',
    `for cell in cell0 cell1; do printf '%s\\n' "$cells" | grep -q "| *$cell *|" || { echo "cell $cell is not mapped" >&2; exit 1; }; done`,
  ].join("\n");
}
