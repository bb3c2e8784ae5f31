/**
 * Nova's cell_v2 mapping, in the guide's order: api_db sync -> map_cell0 -> create_cell cell1
 * -> db sync -> list_cells verified. `db sync` before cell0 is mapped is the classic
 * "cell0 mapping not found" failure.
 *
 * Re-runs are safe: map_cell0 reports "already setup"; cell1 is looked up in list_cells and
 * updated instead of created (create_cell fails when it exists). Where the release allows it,
 * the mappings hold templated URLs: no password is stored in them or passed on a command line,
 * each service fills the template from its own nova.conf.
 */
import { shellQuote } from "../lib/shell";
import { asServiceUser } from "./schema";

const transportTemplate = "{scheme}://{username}:{password}@{hostname}:{port}/{path}";
const cellDatabaseTemplate = "{scheme}://{username}:{password}@{hostname}/{path}";
const cell0DatabaseTemplate = "{scheme}://{username}:{password}@{hostname}/nova_cell0";

function novaManage(...words: string[]): string {
  return asServiceUser("nova", ["nova-manage", ...words]);
}

export function cellMappingScript(templatedUrls: boolean): string {
  const cell1Urls = templatedUrls
    ? ["--transport-url", shellQuote(transportTemplate), "--database_connection", shellQuote(cellDatabaseTemplate)]
    : [];
  const cell0Url = templatedUrls ? ["--database_connection", shellQuote(cell0DatabaseTemplate)] : [];
  return [
    novaManage("api_db", "sync"),
    novaManage("cell_v2", "map_cell0", ...cell0Url),
    `cell1=$(${novaManage("cell_v2", "list_cells")} | awk -F'|' '{gsub(/ /, "", $2); gsub(/ /, "", $3)} $2 == "cell1" {print $3}')`,
    'if [ -z "$cell1" ]; then',
    `  ${novaManage("cell_v2", "create_cell", "--name=cell1", "--verbose", ...cell1Urls)}`,
    // Queens cannot hold templates and update_cell would need the URLs (with the password) as
    // arguments: an existing cell1 is left as it is there.
    ...(templatedUrls ? ["else", `  ${novaManage("cell_v2", "update_cell", "--cell_uuid", '"$cell1"', ...cell1Urls)}`] : []),
    "fi",
    novaManage("db", "sync"),
    `cells=$(${novaManage("cell_v2", "list_cells")})`,
    'printf "%s\\n" "$cells"',
    `for cell in cell0 cell1; do printf '%s\\n' "$cells" | grep -q "| *$cell *|" || { echo "cell $cell is not mapped" >&2; exit 1; }; done`,
  ].join("\n");
}
