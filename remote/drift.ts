/**
 * Drift: what a step owns on its host, read back and compared with what the step wants.
 *
 * A step may carry a check (RemoteScriptInputs.check). It runs on refresh (the provider's `read`),
 * read-only, and yields one DriftItem per difference; none means the host matches. What a refresh
 * finds is kept in the step's state (`drift`), so the next preview shows the step as an update and
 * the next `up` repairs it (the step's repair script). Items never hold a secret: a secret
 * setting is reported as "[secret] changed", file contents and hashes never leave the provider.
 *
 * Two kinds of check:
 * - a file: its presence, owner, group, mode and content, compared here with the content the step
 *   writes (its secret), setting by setting for ini files (lib/settingsDiff.ts);
 * - a script: prints one line per difference, `object<TAB>expected<TAB>found` (units, Keystone
 *   objects, flavors, grants, cell and host mappings; see steps/checks.ts).
 */
import { createHash } from "crypto";
import { shellQuote } from "../lib/shell";
import { secretSettingTest, settingChanges, settingName } from "../lib/settingsDiff";

/** One thing on a host that is not as the step wants it. */
export interface DriftItem {
  /** What differs: "/etc/nova/nova.conf [DEFAULT] my_ip", "unit nova-scheduler active". */
  readonly object: string;
  readonly expected: string;
  readonly found: string;
}

/** A managed file, as the step writes it. */
export interface FileCheck {
  readonly kind: "file";
  readonly path: string;
  readonly owner: string;
  readonly group: string;
  readonly mode: string;
  /** Settings the operator marked secret ("key" or "[section] key"), besides the installer's own. */
  readonly secretSettings?: readonly string[];
}

/** A read-only script printing `object<TAB>expected<TAB>found` per difference (nothing when in sync). */
export interface ScriptCheck {
  readonly kind: "script";
  readonly script: string;
}

export type StepCheck = FileCheck | ScriptCheck;

/** The read-back part of a file check, run on the host: presence, `owner group mode`, then the content in base64. */
export function fileProbeScript(check: FileCheck): string {
  const path = shellQuote(check.path);
  return [`if [ -f ${path} ]; then`, `  stat -c '%U %G %a' ${path}`, `  base64 -w0 ${path}`, "  echo", "else", "  echo missing", "fi"].join("\n");
}

function octal(mode: string): string {
  return mode.replace(/^0*/, "").padStart(3, "0");
}

/**
 * Compares a file probe's output (fileProbeScript) with the content the step writes.
 * @param expected the content the step writes (a secret: never returned)
 */
export function fileDrift(check: FileCheck, expected: string, probeOutput: string): DriftItem[] {
  const [attributes = "", encoded = ""] = probeOutput.split("\n");
  if (attributes.trim() === "missing") {
    return [{ object: check.path, expected: "present", found: "missing" }];
  }
  const [owner, group, mode] = attributes.trim().split(" ");
  const items: DriftItem[] = [];
  if (`${owner}:${group}` !== `${check.owner}:${check.group}`) {
    items.push({ object: `${check.path} owner`, expected: `${check.owner}:${check.group}`, found: `${owner}:${group}` });
  }
  if (octal(mode ?? "") !== octal(check.mode)) {
    items.push({ object: `${check.path} mode`, expected: `0${octal(check.mode)}`, found: `0${octal(mode ?? "")}` });
  }
  const found = Buffer.from(encoded.trim(), "base64").toString("utf8");
  if (found !== expected) {
    const changes = settingChanges(expected, found, secretSettingTest(check.secretSettings));
    for (const change of changes) {
      items.push({
        object: `${check.path} ${settingName(change)}`,
        expected: change.secret === true && change.change !== "added" ? "[secret]" : (change.before ?? "(absent)"),
        found: change.secret === true && change.change !== "removed" ? `[secret] ${change.change}` : (change.after ?? "(absent)"),
      });
    }
    if (changes.length === 0) {
      items.push({ object: `${check.path} content`, expected: "as written", found: "edited outside its settings (comments, layout)" });
    }
  }
  return items;
}

/** Parses a script check's output: `object<TAB>expected<TAB>found` lines; other lines are ignored. */
export function scriptDrift(output: string): DriftItem[] {
  return output
    .split("\n")
    .map((line) => line.split("\t"))
    .filter((fields) => fields.length === 3 && fields[0] !== "")
    .map(([object, expected, found]) => ({ object, expected, found }));
}

/** A line a check script prints for one difference (the fields are shell words or "$var" expansions). */
export function driftLine(object: string, expected: string, found: string): string {
  return `printf '%s\\t%s\\t%s\\n' ${object} ${expected} ${found}`;
}

/** What one check of a batch gave. */
export interface CheckRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One script running several checks of a host at once, in parallel, each in its own subshell
 * with its own variables (its secrets), its output framed by markers that carry a nonce: one SSH
 * round trip reads everything a host's steps own.
 */
export function batchScript(
  bodies: readonly string[],
  nonce = createHash("sha256").update(`${Date.now()} ${Math.random()}`).digest("hex").slice(0, 16),
): { script: string; nonce: string } {
  const lines = ["set -u", "export LC_ALL=C", "batch=$(mktemp -d /tmp/nova-installer-check.XXXXXX)", `trap 'rm -rf "$batch"' EXIT`];
  bodies.forEach((body, index) => {
    const files = `"$batch/${index}"`;
    lines.push("{ ( set -euo pipefail", body.trimEnd(), `) </dev/null >${files}.out 2>${files}.err; echo $? >${files}.rc; } &`);
  });
  lines.push("wait");
  bodies.forEach((_, index) => {
    const files = `"$batch/${index}"`;
    lines.push(`printf '\\n@@%s %d %s out\\n' ${shellQuote(nonce)} ${index} "$(cat ${files}.rc)"`, `cat ${files}.out`);
    lines.push(`printf '\\n@@%s %d %s err\\n' ${shellQuote(nonce)} ${index} "$(cat ${files}.rc)"`, `cat ${files}.err`);
  });
  return { script: lines.join("\n") + "\n", nonce };
}

/** Splits a batch's output into each check's run, by index; a check whose part is missing counts as failed. */
export function splitBatch(output: string, nonce: string, count: number): CheckRun[] {
  const runs = Array.from({ length: count }, () => ({ exitCode: -1, stdout: "", stderr: "" }));
  const marker = new RegExp(`\\n@@${nonce} (\\d+) (-?\\d+) (out|err)\\n`, "g");
  const matches = [...output.matchAll(marker)];
  matches.forEach((match, position) => {
    const start = match.index + match[0].length;
    const end = position + 1 < matches.length ? matches[position + 1].index : output.length;
    const run = runs[Number(match[1])];
    if (run === undefined) return;
    run.exitCode = Number(match[2]);
    if (match[3] === "out") run.stdout = output.slice(start, end);
    else run.stderr = output.slice(start, end);
  });
  return runs;
}
