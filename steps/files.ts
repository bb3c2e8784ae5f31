/**
 * Writing a file on a host: atomically (a temporary file in the same directory, renamed into
 * place), never readable by others in between, owned and moded as asked. The content arrives
 * as a secret variable on stdin, so neither it nor a hash of it is in state in plain text.
 */
import { shellQuote } from "../lib/shell";

/** Name of the shell variable the file content arrives in. */
export const fileContentVariable = "FILE_CONTENT";

export interface RemoteFile {
  readonly path: string;
  readonly owner: string;
  readonly group: string;
  /** Octal, as for chmod: "0640". */
  readonly mode: string;
}

export function writeFileScript(file: RemoteFile): string {
  if (!/^0[0-7]{3}$/.test(file.mode)) {
    throw new Error(`file mode ${JSON.stringify(file.mode)} of ${file.path}: expected four octal digits like "0640"`);
  }
  if (!file.path.startsWith("/")) {
    throw new Error(`file path ${JSON.stringify(file.path)}: expected an absolute path`);
  }
  const path = shellQuote(file.path);
  return [
    `mkdir -p "$(dirname ${path})"`,
    `tmp=$(mktemp ${shellQuote(file.path + ".nova-installer.XXXXXX")})`,
    `printf '%s' "$${fileContentVariable}" >"$tmp"`,
    `chown ${shellQuote(`${file.owner}:${file.group}`)} "$tmp"`,
    `chmod ${file.mode} "$tmp"`,
    `mv -f "$tmp" ${path}`,
  ].join("\n");
}

/** Restarts the units that read a changed file, where they are running (a stopped unit stays stopped). */
export function restartReadersScript(units: readonly string[]): string {
  return units.length === 0 ? ":" : `systemctl try-restart ${units.map(shellQuote).join(" ")}`;
}
