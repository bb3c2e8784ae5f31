/**
 * What a failed unit on a lab host has to say for itself. A boot that fails one time in ten
 * cannot be reproduced on demand, so a check that finds failed units reports each one's status
 * and journal along with its name: the occurrence explains itself.
 */
import { shellQuote } from "../lib/shell";

/** Journal lines reported per failed unit: enough for a unit's whole (short) boot story. */
export const failedUnitJournalLines = 40;

/**
 * The unit names in the output of `systemctl list-units --failed --plain --no-legend`: the first
 * word of each non-empty line ("systemd-sysctl.service loaded failed failed Apply Kernel
 * Variables"). A leading "●" (printed without --plain) is skipped.
 */
export function failedUnitNames(listing: string): string[] {
  return listing
    .split("\n")
    .map((line) => line.replace(/^\s*●?\s*/, "").split(/\s+/)[0] ?? "")
    .filter((unit) => unit !== "");
}

/**
 * A shell command printing a unit's status and the last journal lines of this boot. It prints
 * whatever it can and never fails the caller: `systemctl status` exits 3 for a failed unit.
 */
export function unitReportCommand(unit: string, journalLines: number = failedUnitJournalLines): string {
  if (!Number.isInteger(journalLines) || journalLines < 1) {
    throw new Error(`journal lines for ${unit} is ${journalLines}: expected a positive integer`);
  }
  const quoted = shellQuote(unit);
  return [
    `echo "--- systemctl status" ${quoted}`,
    `systemctl status --no-pager --full --lines=0 -- ${quoted} 2>&1`,
    `echo "--- journal of this boot, last ${journalLines} lines:" ${quoted}`,
    `journalctl --no-pager --boot --output=short-precise --lines=${journalLines} --unit=${quoted} 2>&1`,
    "true",
  ].join("; ");
}
