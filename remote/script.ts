/**
 * How a step's script travels to a host: as the stdin of a fixed `bash -s` command line.
 *
 * Nothing step-specific, and above all no secret, ever appears on a remote command line (which
 * `ps` shows to every user). Secrets arrive as plain (not exported) shell variables at the top
 * of the stream, and the step body runs inside a function whose stdin is /dev/null, so a command
 * in the body that reads stdin cannot swallow the rest of the script.
 */
import { shellAssignments } from "../lib/shell";

/** The only command line the installer ever runs over SSH. */
export const remoteShell = "/bin/bash -s";

export function frameScript(body: string, secrets: Readonly<Record<string, string>> = {}): string {
  return [
    "set -euo pipefail",
    "export LC_ALL=C",
    shellAssignments(secrets).trimEnd(),
    "__nova_step() {",
    body.trimEnd(),
    "}",
    "__nova_step </dev/null",
    "",
  ]
    .filter((line, index, lines) => line !== "" || index === lines.length - 1)
    .join("\n");
}

/** Replaces every secret value in a text (error output, say) with "[secret]". */
export function redact(text: string, secrets: Readonly<Record<string, string>> = {}): string {
  return Object.values(secrets)
    .filter((value) => value.length > 0)
    .sort((a, b) => b.length - a.length)
    .reduce((redacted, value) => redacted.split(value).join("[secret]"), text);
}

/** The last lines of a command's output, enough to see why it failed. */
export function tail(text: string, lines = 25): string {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? ["...", ...all.slice(-lines)] : all).join("\n");
}
