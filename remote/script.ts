/**
 * How a step's script travels to a host: as the stdin of a fixed `bash -s` command line.
 *
 * Nothing step-specific, and above all no secret, ever appears on a remote command line (which
 * `ps` shows to every user). Secrets arrive as plain (not exported) shell variables at the top
 * of the stream, and the step body runs inside a function whose stdin is /dev/null, so a command
 * in the body that reads stdin cannot swallow the rest of the script.
 */
import { createHash } from "crypto";
import { shellAssignments } from "../lib/shell";

/** The only command line the installer ever runs over SSH. */
export const remoteShell = "/bin/bash -s";

/** How long a step waits for an earlier run of itself to finish before it fails. */
const stepLockWaitSeconds = 1800;

/**
 * The lock file of one step on its host. A deploy killed mid-step leaves the step's script
 * running on the host (it only loses its SSH channel); the next deploy's run of the same step
 * waits for it instead of racing it (two db syncs at once, two package installs).
 */
export function stepLockPath(stepId: string): string {
  return `/run/lock/nova-installer-${createHash("sha256").update(stepId).digest("hex").slice(0, 16)}.lock`;
}

/**
 * @param stepId names the step on its host; runs of the same step are serialized by a lock
 *   (stepLockPath). Default: no lock.
 */
export function frameScript(body: string, secrets: Readonly<Record<string, string>> = {}, stepId?: string): string {
  const lock =
    stepId === undefined
      ? ""
      : [
          `exec 9>${stepLockPath(stepId)}`,
          `flock -w ${stepLockWaitSeconds} 9 || { echo "an earlier run of this step still holds ${stepLockPath(stepId)} after ${stepLockWaitSeconds} s" >&2; exit 1; }`,
        ].join("\n");
  return [
    "set -euo pipefail",
    "export LC_ALL=C",
    lock,
    shellAssignments(secrets).trimEnd(),
    "__nova_step() {",
    body.trimEnd(),
    "}",
    // 9>&-: commands the step starts do not inherit (and outlive it holding) the lock.
    "__nova_step </dev/null 9>&-",
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
