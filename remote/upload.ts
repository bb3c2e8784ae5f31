/**
 * Files a step needs on its host (a guest image's kernel, say), streamed over the host's pooled
 * SSH connection before the step's script runs.
 *
 * The command line stays `/bin/bash -s` (remote/script.ts): the receiving script comes first on
 * stdin and the file's bytes right after it. bash reads a script from a pipe one byte at a time
 * (POSIX requires a shell reading commands from standard input to leave the rest of it to the
 * commands it runs), so the `head -c` the script runs reads exactly the file, and the script
 * exits before bash would read on. No path or checksum reaches a remote command line, and
 * whatever runs `/bin/bash -s` (root's login, a sudo) receives files the same way.
 *
 * The file lands in a temporary file beside its target, is checked (size and sha256) on the host
 * and only then renamed into place: a target path never holds a partial or altered file.
 */
import { createHash } from "crypto";
import { createReadStream, promises as fs } from "fs";
import { Readable } from "stream";
import { shellQuote } from "../lib/shell";
import { remoteShell } from "./script";
import { runCommand, SshEndpoint } from "./ssh";

/** One file a step uploads before it runs. */
export interface FileUpload {
  /** The file on the machine running pulumi. Not part of what the step is: a copy elsewhere with the same content re-runs nothing. */
  readonly source: string;
  /** Absolute path on the host. */
  readonly path: string;
  /** sha256 of the content, lower-case hex: what the host must receive. */
  readonly sha256: string;
  /** Permission bits of the file on the host. Default 0o600. */
  readonly mode?: number;
}

export const defaultUploadMode = 0o600;

/** What identifies an upload's result on the host: where, what content, which mode (never where it came from). */
export function uploadIdentity(upload: FileUpload): { path: string; sha256: string; mode: number } {
  return { path: upload.path, sha256: upload.sha256, mode: upload.mode ?? defaultUploadMode };
}

/** Why an upload's inputs cannot be used, or undefined. Pure. */
export function uploadProblem(upload: FileUpload): string | undefined {
  if (typeof upload.source !== "string" || upload.source === "") return "has no source file";
  if (typeof upload.path !== "string" || !upload.path.startsWith("/") || upload.path.endsWith("/") || upload.path.includes("\0")) {
    return `target ${JSON.stringify(upload.path)} is not an absolute file path`;
  }
  if (typeof upload.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(upload.sha256)) {
    return `sha256 ${JSON.stringify(upload.sha256)} is not 64 lower-case hex digits`;
  }
  const mode = upload.mode ?? defaultUploadMode;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) return `mode ${JSON.stringify(upload.mode)} is not permission bits (0 to 0o7777)`;
  return undefined;
}

/**
 * The script that receives `bytes` bytes from stdin into `path` on the host. Pure. The function
 * call and `exit` share one line: bash has read that whole line before the function reads the
 * file, and exits before reading past it.
 */
export function receiveScript(upload: Pick<FileUpload, "path" | "sha256" | "mode">, bytes: number): string {
  const target = shellQuote(upload.path);
  const mode = (upload.mode ?? defaultUploadMode).toString(8).padStart(4, "0");
  return [
    "set -euo pipefail",
    "export LC_ALL=C",
    "umask 077",
    "__nova_receive() {",
    `  target=${target}`,
    '  mkdir -p -- "$(dirname -- "$target")"',
    '  tmp=$(mktemp "$target.upload.XXXXXX")',
    `  trap 'rm -f -- "$tmp"' EXIT`,
    `  head -c ${bytes} >"$tmp"`,
    '  size=$(stat -c %s -- "$tmp")',
    `  [ "$size" = ${bytes} ] || { echo "$target: received $size bytes, expected ${bytes} (the connection ended early?)" >&2; exit 1; }`,
    `  sum=$(sha256sum -- "$tmp" | cut -d ' ' -f 1)`,
    `  [ "$sum" = ${upload.sha256} ] || { echo "$target: received content with sha256 $sum, expected ${upload.sha256}" >&2; exit 1; }`,
    `  chmod ${mode} -- "$tmp"`,
    '  mv -f -- "$tmp" "$target"',
    "  trap - EXIT",
    "}",
    "__nova_receive; exit 0",
    "",
  ].join("\n");
}

/** sha256 of a file, read as a stream (a root disk may be gigabytes). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Checks the local file against the upload's sha256, then streams it to the host, which checks
 * it again and renames it into place.
 * @throws Error naming the file when its inputs are invalid, it is missing or unreadable, its
 *   content differs from `sha256` (it changed since the preview), or the host refused it.
 */
export async function uploadFile(endpoint: SshEndpoint, upload: FileUpload, timeoutMs: number): Promise<void> {
  const target = `${endpoint.hostName}:${upload.path}`;
  const problem = uploadProblem(upload);
  if (problem !== undefined) throw new Error(`cannot upload ${upload.source} to ${target}: the upload ${problem}`);
  let bytes: number;
  let sha256: string;
  try {
    const stat = await fs.stat(upload.source);
    if (!stat.isFile()) throw new Error("not a regular file");
    bytes = stat.size;
    sha256 = await sha256OfFile(upload.source);
  } catch (error) {
    throw new Error(`cannot upload ${upload.source} to ${target}: ${(error as Error).message}`);
  }
  if (sha256 !== upload.sha256) {
    throw new Error(
      `cannot upload ${upload.source} to ${target}: its sha256 is ${sha256}, expected ${upload.sha256}; ` +
        "the file changed since the deployment was planned: run the deployment again (or rebuild the file)",
    );
  }
  const result = await runCommand(endpoint, remoteShell, { stdin: scriptThenFile(receiveScript(upload, bytes), upload.source, bytes), timeoutMs });
  if (result.exitCode !== 0) {
    const output = [result.stderr.trim(), result.stdout.trim()].filter(Boolean).join("\n");
    throw new Error(`upload of ${upload.source} to ${target} failed with exit code ${result.exitCode}${output ? `:\n${output}` : ""}`);
  }
}

/** The receiving script, then exactly `bytes` bytes of the file. */
function scriptThenFile(script: string, file: string, bytes: number): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.from(script, "utf8");
    if (bytes > 0) {
      for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) yield chunk as Buffer;
    }
  }
  return Readable.from(parts(), { objectMode: false });
}
