/**
 * `nova-installer drift`: what changed on the hosts since the last deploy, without changing
 * anything, the state included.
 *
 * Every step that owns something on a host reads it back with the read a `pulumi refresh` runs
 * (remote/scriptProvider.ts readDrift; one SSH round trip per host), from the steps as the state
 * records them (`pulumi stack export --show-secrets`, kept in this process), and nothing is
 * written: not the hosts, not the state. (`pulumi refresh --preview-only` counts the steps that
 * differ but does not print what it read.) The report lists, per host, each file, unit or object that differs: expected vs found,
 * secret settings as "[secret] changed". `pulumi up --refresh` puts it all back. Exit codes:
 * 0 no drift, 1 drift, 2 the check could not run. Format: docs/drift.md.
 */
import { writeFileSync } from "fs";
import type { CommandModule } from "yargs";
import type { DriftItem } from "../remote/drift";
import { readDrift, RemoteScriptOutputs } from "../remote/scriptProvider";
import { closeAllConnections } from "../remote/ssh";
import { cell, revealed, StackExport, urnParts } from "./previewDiff";
import { pulumiOrThrow } from "./pulumiCli";
import { stackOption } from "./stackConfigReader";

/** The drift one step found. */
export interface StepDrift {
  readonly host: string;
  /** The step's resource name. */
  readonly step: string;
  /** What the step does ("write /etc/nova/nova.conf"). */
  readonly description: string;
  readonly items: readonly DriftItem[];
}

const remoteScriptType = "pulumi-nodejs:dynamic/nova-installer:RemoteScript";

/** The steps of the state that read something back, with their recorded properties (secrets revealed). */
export function checkedSteps(exported: StackExport): { urn: string; properties: RemoteScriptOutputs }[] {
  return (exported.deployment?.resources ?? [])
    .filter((resource) => resource.type === remoteScriptType && resource.urn !== undefined)
    .map((resource) => {
      const properties = { ...(revealed(resource.outputs) as Record<string, unknown>) };
      const secrets = revealed(properties["secrets"]);
      if (properties["secrets"] !== undefined && (typeof secrets !== "object" || secrets === null)) {
        throw new Error(
          `the state's secrets of ${urnParts(resource.urn!).name} cannot be read: set the stack's passphrase (PULUMI_CONFIG_PASSPHRASE or its file)`,
        );
      }
      const plain =
        secrets === undefined
          ? undefined
          : Object.fromEntries(Object.entries(secrets as Record<string, unknown>).map(([name, value]) => [name, revealed(value)]));
      return { urn: resource.urn!, properties: { ...properties, secrets: plain } as unknown as RemoteScriptOutputs };
    })
    .filter((step) => step.properties.check !== undefined);
}

/**
 * Reads every step back, exactly as a refresh does (the provider's read: one batch per host),
 * and writes nothing. Steps whose host cannot be read make it throw, naming the host.
 */
export async function readDriftOfState(exported: StackExport): Promise<StepDrift[]> {
  const steps = checkedSteps(exported);
  const results = await Promise.allSettled(steps.map((step) => readDrift(step.properties)));
  const failures = [...new Set(results.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : [])))];
  if (failures.length > 0) throw new Error(failures.join("\n"));
  return steps
    .map((step, index) => ({
      host: step.properties.connection.hostName,
      step: urnParts(step.urn).name,
      description: step.properties.description,
      items: (results[index] as PromiseFulfilledResult<DriftItem[]>).value,
    }))
    .filter((step) => step.items.length > 0)
    .sort((a, b) => a.host.localeCompare(b.host) || a.step.localeCompare(b.step));
}

function rows(drift: readonly StepDrift[]): string[][] {
  return drift.flatMap((step) => step.items.map((item) => [step.host, item.object, item.expected, item.found, step.step]));
}

const header = ["host", "what", "expected", "found", "step"];

/** A plain table per host, for a terminal. */
export function driftText(stack: string, drift: readonly StepDrift[]): string {
  const all = rows(drift);
  if (all.length === 0) return `stack ${stack}: no drift: every host matches the last deploy\n`;
  const columns = header.slice(1);
  const widths = columns.map((title, column) => Math.min(60, Math.max(title.length, ...all.map((row) => row[column + 1].length))));
  const line = (row: readonly string[]): string =>
    row
      .map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column])))
      .join("  ")
      .trimEnd();
  const hosts = [...new Set(all.map((row) => row[0]))];
  const out = [`stack ${stack}: ${all.length} difference${all.length === 1 ? "" : "s"} on ${hosts.length} host${hosts.length === 1 ? "" : "s"}`, ""];
  for (const host of hosts) {
    out.push(host, line(columns.map((title) => title.toUpperCase())));
    for (const row of all.filter((entry) => entry[0] === host)) out.push(line(row.slice(1)));
    out.push("");
  }
  out.push("Put it back: pulumi up --refresh (or nova-installer drift --markdown for a pull request).");
  return out.join("\n") + "\n";
}

/** The same for a pull request. */
export function driftMarkdown(stack: string, drift: readonly StepDrift[]): string {
  const all = rows(drift);
  const lines = [`## nova-installer drift: stack \`${stack}\``, ""];
  if (all.length === 0) {
    lines.push("No drift: every host matches the last deploy.", "");
    return lines.join("\n");
  }
  lines.push(
    `**${all.length} difference${all.length === 1 ? "" : "s"}** between the hosts and the last deploy; \`pulumi up --refresh\` puts them back.`,
    "",
  );
  lines.push("| host | what | expected | found | step |", "|---|---|---|---|---|");
  for (const row of all) lines.push(`| ${row.map(cell).join(" | ")} |`);
  lines.push("", "Secret values are never shown: a changed secret reads `[secret] changed`.", "");
  return lines.join("\n");
}

export const driftCommand: CommandModule<object, { stack: string; markdown: boolean; output?: string }> = {
  command: "drift",
  describe: "Show what differs on the hosts from the last deploy (files, units, Keystone, flavors, grants, cell and host mappings), changing nothing",
  builder: (args) =>
    args
      .option("stack", stackOption)
      .option("markdown", { type: "boolean", default: false, describe: "Markdown for a pull request instead of a table" })
      .option("output", { type: "string", describe: "Write the report to this file instead of standard output" })
      .example("$0 drift --stack prod", "exit code 0: no drift, 1: drift (listed), 2: the hosts could not be read")
      .epilog("Repair: pulumi up --refresh. Secret values are never shown. Docs: docs/drift.md."),
  handler: async (options) => {
    let drift: StepDrift[];
    try {
      const exported = JSON.parse((await pulumiOrThrow(["stack", "export", "--show-secrets", "--stack", options.stack])).stdout) as StackExport;
      drift = await readDriftOfState(exported);
    } catch (error) {
      process.stderr.write(`nova-installer drift: ${(error as Error).message}\n`);
      process.exitCode = 2;
      return;
    } finally {
      await closeAllConnections();
    }
    const report = options.markdown ? driftMarkdown(options.stack, drift) : driftText(options.stack, drift);
    if (options.output !== undefined) writeFileSync(options.output, report);
    else process.stdout.write(report);
    // readDriftOfState keeps only the steps that found something.
    process.exitCode = drift.length > 0 ? 1 : 0;
  },
};
