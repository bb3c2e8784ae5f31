/**
 * The result table `doctor` and `verify` print: one line per check and host, and the exit code
 * that goes with it.
 */
import type { CommandModule } from "yargs";
import type { StackConfig } from "../config/types";
import { closeAllConnections } from "../remote/ssh";
import { readStackConfig, stackOption } from "./stackConfigReader";

export type CheckResult = "OK" | "WARN" | "FAIL";

export interface CheckRow {
  readonly host: string;
  readonly check: string;
  readonly result: CheckResult;
  readonly detail: string;
}

/** Exit code of a command whose checks ran: 0 when none failed, this when one did. */
export const checksFailedExitCode = 3;

const severity: { readonly [result in CheckResult]: number } = { OK: 0, WARN: 1, FAIL: 2 };

/** The worse of the results (FAIL over WARN over OK); OK for none. */
export function worst(...results: readonly CheckResult[]): CheckResult {
  return results.reduce<CheckResult>((worse, result) => (severity[result] > severity[worse] ? result : worse), "OK");
}

/** A fixed-width table with a header, columns host, check, result, detail; a last summary line. */
export function formatCheckTable(rows: readonly CheckRow[]): string {
  const header: CheckRow = { host: "HOST", check: "CHECK", result: "OK", detail: "DETAIL" };
  const hostWidth = Math.max(...[header, ...rows].map((row) => row.host.length));
  const checkWidth = Math.max(...[header, ...rows].map((row) => row.check.length));
  const line = (host: string, check: string, result: string, detail: string): string =>
    `${host.padEnd(hostWidth)}  ${check.padEnd(checkWidth)}  ${result.padEnd(6)}  ${detail}`.trimEnd();
  const counts = (["OK", "WARN", "FAIL"] as const).map((result) => `${rows.filter((row) => row.result === result).length} ${result}`);
  return (
    [line("HOST", "CHECK", "RESULT", "DETAIL"), ...rows.map((row) => line(row.host, row.check, row.result, row.detail)), counts.join(", ")].join(
      "\n",
    ) + "\n"
  );
}

/** 0 unless a check failed. */
export function exitCodeOf(rows: readonly CheckRow[]): number {
  return rows.some((row) => row.result === "FAIL") ? checksFailedExitCode : 0;
}

/** The message of a thrown value, first line only (tables stay one line per check). */
export function errorDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .split("\n")
      .find((line) => line.trim() !== "")
      ?.trim() ?? "unknown error"
  );
}

/** Reads a table `formatCheckTable` printed back into rows (for scripts and tests). */
export function parseCheckTable(text: string): CheckRow[] {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const header = lines[0] ?? "";
  const columns = ["CHECK", "RESULT", "DETAIL"].map((name) => header.indexOf(name));
  if (!header.startsWith("HOST") || columns.some((column) => column < 0)) {
    throw new Error(`not a check table: ${JSON.stringify(header)}`);
  }
  const [check, result, detail] = columns;
  return lines
    .slice(1)
    .filter((line) => !/^\d+ OK, \d+ WARN, \d+ FAIL$/.test(line))
    .map((line) => ({
      host: line.slice(0, check).trim(),
      check: line.slice(check, result).trim(),
      result: line.slice(result, detail).trim() as CheckResult,
      detail: line.slice(detail).trim(),
    }));
}

/** A command that runs checks over a stack's hosts and prints their table: `doctor`, `verify`. */
export interface CheckCommandSpec {
  readonly command: string;
  readonly describe: string;
  /** What the example invocation prints. */
  readonly example: string;
  readonly epilog: string;
  /** The checks' rows for the stack (read with stand-in passwords: these commands need none); its SSH connections are closed after. */
  readonly run: (config: StackConfig, flags: Readonly<Record<string, boolean>>) => Promise<CheckRow[]>;
  /** Boolean options of the command (default false), with what each adds. */
  readonly flags?: Readonly<Record<string, string>>;
}

export function checkCommand(spec: CheckCommandSpec): CommandModule<object, { stack: string } & Record<string, unknown>> {
  const flags = Object.entries(spec.flags ?? {});
  return {
    command: spec.command,
    describe: spec.describe,
    builder: (args) =>
      flags
        .reduce((built, [name, describe]) => built.option(name, { type: "boolean", default: false, describe }), args.option("stack", stackOption))
        .example(`$0 ${spec.command} --stack prod`, spec.example)
        .epilog(spec.epilog),
    handler: async (options) => {
      try {
        const chosen = Object.fromEntries(flags.map(([name]) => [name, options[name] === true]));
        const rows = await spec.run(await readStackConfig(options.stack, { passwords: "stand-in" }), chosen);
        process.stdout.write(formatCheckTable(rows));
        process.exitCode = exitCodeOf(rows);
      } finally {
        await closeAllConnections();
      }
    },
  };
}
