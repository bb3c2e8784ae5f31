/**
 * `nova-installer preview-diff`: a Markdown summary of `pulumi preview` for pull requests: how
 * many steps each host and component would create, update, replace or delete, and which
 * `[section] key` settings of which configuration files change, old -> new. The values of secret
 * settings (lib/settingsDiff.ts: the installer's own and `nova-installer:secretSettings`) are never shown.
 *
 * The preview shows a file's content only as "[secret]", so the settings are compared here: the
 * deployed content comes from the state (`pulumi stack export --show-secrets`: a RemoteScript
 * keeps its inputs, the file content among its secrets), the new content is rendered from the
 * current configuration by the installer's own renderer (the host plan, plan/hostPlan.ts). Both stay in this
 * process. The format is described in docs/preview-diff.md.
 */
import { writeFileSync } from "fs";
import type { CommandModule } from "yargs";
import type { StackConfig } from "../config/types";
import { hostPlan, VirtType } from "../plan/hostPlan";
import { recordedKvmUsable, virtTypeFor } from "../steps/virtualization";
import { fileContentVariable } from "../steps/files";
import { describeChange, secretSettingTest, SettingChange, settingChanges, settingName } from "../lib/settingsDiff";
import { pulumiOrThrow, runPulumi } from "./pulumiCli";
import { deployedVirtTypes, readStackConfig, stackOption } from "./stackConfigReader";

export type Operation = "create" | "update" | "replace" | "delete";
export const operations: readonly Operation[] = ["create", "update", "replace", "delete"];

/** One resource the preview would change. */
export interface ResourceChange {
  readonly urn: string;
  /** The resource name: `<host>-<component>-<step>`. */
  readonly name: string;
  readonly operation: Operation;
  /** Where the step runs (its connection's hostName); "-" when unknown. */
  readonly host: string;
  /** The component it belongs to: its parent's name, "-" for none. */
  readonly component: string;
  /** The component's type, last part of its token ("NovaController"). */
  readonly componentType: string;
  /** The step's description ("write /etc/nova/nova.conf"). */
  readonly description: string;
}

interface PreviewState {
  readonly type?: string;
  readonly custom?: boolean;
  readonly parent?: string;
  readonly inputs?: Record<string, unknown>;
}

interface PreviewStep {
  readonly op: string;
  readonly urn: string;
  readonly oldState?: PreviewState;
  readonly newState?: PreviewState;
}

/** What `pulumi preview --json` prints (the parts read here). */
export interface PreviewJson {
  readonly steps?: readonly PreviewStep[];
}

/** The name and the type chain (parents first) of a URN `urn:pulumi:stack::project::T1$T2::name`. */
export function urnParts(urn: string): { name: string; types: string[] } {
  const parts = urn.split("::");
  return { name: parts.slice(3).join("::"), types: (parts[2] ?? "").split("$") };
}

const operationOf: Readonly<Record<string, Operation>> = {
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
};

/**
 * The resources the preview would change, one entry per resource (a replacement's several
 * steps count once). Components and providers are left out: their steps do no work on a host.
 */
export function resourceChanges(preview: PreviewJson): ResourceChange[] {
  const byUrn = new Map<string, ResourceChange>();
  for (const step of preview.steps ?? []) {
    const operation = operationOf[step.op];
    const state = step.newState ?? step.oldState;
    if (operation === undefined || state === undefined || state.custom !== true || (state.type ?? "").startsWith("pulumi:providers:")) continue;
    const known = byUrn.get(step.urn);
    if (known !== undefined && (known.operation === "replace" || operation !== "replace")) continue;
    const inputs = { ...step.oldState?.inputs, ...step.newState?.inputs };
    const connection = inputs["connection"] as { hostName?: unknown } | undefined;
    const parent = state.parent !== undefined ? urnParts(state.parent) : undefined;
    const parentType = parent?.types[parent.types.length - 1] ?? "";
    const isComponent = parentType.startsWith("nova-installer:");
    byUrn.set(step.urn, {
      urn: step.urn,
      name: urnParts(step.urn).name,
      operation,
      host: typeof connection?.hostName === "string" ? connection.hostName : "-",
      component: isComponent && parent ? parent.name : "-",
      componentType: isComponent ? (parentType.split(":").pop() ?? parentType) : "-",
      description: typeof inputs["description"] === "string" ? inputs["description"] : "",
    });
  }
  return [...byUrn.values()];
}

export type ChangeCounts = Record<Operation, number>;

/** Counts per key, keys in first-seen order. */
export function countBy(changes: readonly ResourceChange[], key: (change: ResourceChange) => string): Map<string, ChangeCounts> {
  const counts = new Map<string, ChangeCounts>();
  for (const change of changes) {
    const name = key(change);
    const entry = counts.get(name) ?? { create: 0, update: 0, replace: 0, delete: 0 };
    entry[change.operation]++;
    counts.set(name, entry);
  }
  return counts;
}

// ---- configuration files -------------------------------------------------------------------

/** The plain value of a state property, unwrapping secrets exported with --show-secrets; undefined if still encrypted. */
export function revealed(value: unknown): unknown {
  const secretSignature = "4dabf18193072939515e22adb298388d";
  if (typeof value === "object" && value !== null && secretSignature in value) {
    const plaintext = (value as { plaintext?: unknown }).plaintext;
    return typeof plaintext === "string" ? revealed(JSON.parse(plaintext)) : undefined;
  }
  return value;
}

interface ExportedResource {
  readonly urn?: string;
  readonly type?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

/** What `pulumi stack export` prints (the parts read here). */
export interface StackExport {
  readonly deployment?: { readonly resources?: readonly ExportedResource[] };
}

/** Key of a file in the maps below: host and path. */
function fileKey(host: string, path: string): string {
  return `${host}\n${path}`;
}

const writePrefix = "write ";
/** The description of HostFacts' probe step (components/hostFacts.ts). */
const factsDescription = "read host facts";

/** Deployed file contents by `fileKey`, from the state's RemoteScript steps that write files. */
export function deployedFiles(exported: StackExport): Map<string, string> {
  const files = new Map<string, string>();
  for (const resource of exported.deployment?.resources ?? []) {
    const properties = { ...resource.inputs, ...resource.outputs };
    const description = properties["description"];
    const connection = properties["connection"] as { hostName?: unknown } | undefined;
    if (typeof description !== "string" || !description.startsWith(writePrefix) || typeof connection?.hostName !== "string") continue;
    const secrets = revealed(properties["secrets"]) as Record<string, unknown> | undefined;
    const content = revealed(secrets?.[fileContentVariable]);
    if (typeof content === "string") files.set(fileKey(connection.hostName, description.slice(writePrefix.length)), content);
  }
  return files;
}

/**
 * The virt_type the deployment uses for each compute: the stack output `virtTypes` of the last
 * successful deployment, else what the compute's recorded facts give (as the deployment decides
 * it from them), so a stack whose last update failed half way still has them.
 */
export function exportedVirtTypes(exported: StackExport): Record<string, VirtType> {
  const fromFacts: Record<string, VirtType> = {};
  for (const resource of exported.deployment?.resources ?? []) {
    const properties = { ...resource.inputs, ...resource.outputs };
    const connection = properties["connection"] as { hostName?: unknown } | undefined;
    const stdout = revealed(properties["stdout"]);
    if (properties["description"] !== factsDescription || typeof connection?.hostName !== "string" || typeof stdout !== "string") continue;
    try {
      const recorded = JSON.parse(stdout.trim().split("\n").pop() ?? "") as { kvmUsable?: boolean; virtualizationFlags?: unknown };
      if (typeof recorded.virtualizationFlags !== "number") continue;
      fromFacts[connection.hostName] = virtTypeFor({
        kvmUsable: recordedKvmUsable({ kvmUsable: recorded.kvmUsable, virtualizationFlags: recorded.virtualizationFlags }),
      });
    } catch {
      // Facts of a probe that failed: nothing to learn from them.
    }
  }
  return { ...fromFacts, ...deployedVirtTypes(exportedStackOutputs(exported)) };
}

/** The last deployment's stack outputs, from the export. */
export function exportedStackOutputs(exported: StackExport): Record<string, unknown> {
  const stack = (exported.deployment?.resources ?? []).find((resource) => resource.type === "pulumi:pulumi:Stack");
  return (revealed(stack?.outputs) as Record<string, unknown> | undefined) ?? {};
}

export interface FileChange {
  readonly host: string;
  readonly path: string;
  readonly operation: Operation;
  /** The settings that change, for an update or replacement whose versions could both be read. */
  readonly settings?: readonly SettingChange[];
  /** Why settings are not listed, when they are not. */
  readonly note?: string;
}

/**
 * The configuration files the preview would write or remove, with the settings that change.
 * @param deployed contents in the state by `fileKey`
 * @param rendered renders the new content of a file, throwing when it cannot
 */
export function fileChanges(
  changes: readonly ResourceChange[],
  deployed: ReadonlyMap<string, string>,
  rendered: (host: string, path: string) => string,
  isSecret = secretSettingTest(),
): FileChange[] {
  return changes
    .filter((change) => change.description.startsWith(writePrefix))
    .map((change): FileChange => {
      const path = change.description.slice(writePrefix.length);
      const base = { host: change.host, path, operation: change.operation };
      if (change.operation === "create") return { ...base, note: "new file" };
      if (change.operation === "delete") return { ...base, note: "no longer managed (the file stays on the host)" };
      const before = deployed.get(fileKey(change.host, path));
      if (before === undefined) return { ...base, note: "deployed content not readable from the state" };
      let after: string;
      try {
        after = rendered(change.host, path);
      } catch (error) {
        return { ...base, note: `cannot render the new content: ${(error as Error).message.split("\n")[0]}` };
      }
      const settings = settingChanges(before, after, isSecret);
      return settings.length > 0
        ? { ...base, settings }
        : { ...base, settings, note: "no setting changes (the step's script or file attributes do)" };
    });
}

// ---- Markdown ------------------------------------------------------------------------------

export interface PreviewReport {
  readonly stack: string;
  readonly changes: readonly ResourceChange[];
  readonly files: readonly FileChange[];
}

/** A Markdown table cell: pipes escaped, line breaks flattened. */
export function cell(value: string): string {
  return value.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function code(value: string): string {
  return `\`${value.replace(/`/g, "'")}\``;
}

function countColumns(counts: ChangeCounts): string {
  return operations.map((operation) => String(counts[operation])).join(" | ");
}

/** The summary, as described in docs/preview-diff.md. */
export function previewMarkdown(report: PreviewReport): string {
  const { changes, files } = report;
  const lines: string[] = [`## nova-installer preview: stack ${code(report.stack)}`, ""];
  if (changes.length === 0) {
    lines.push("No changes: every step is up to date.", "");
    return lines.join("\n");
  }
  const total = countBy(changes, () => "all").get("all")!;
  lines.push(
    `**${changes.length} step${changes.length === 1 ? "" : "s"} to change**: ${operations.map((operation) => `${total[operation]} to ${operation}`).join(", ")}.`,
    "",
  );

  lines.push("### Per host", "", "| host | create | update | replace | delete |", "|---|---:|---:|---:|---:|");
  for (const [host, counts] of [...countBy(changes, (change) => change.host)].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| ${cell(host)} | ${countColumns(counts)} |`);
  }
  lines.push("", "### Per component", "", "| component | type | create | update | replace | delete |", "|---|---|---:|---:|---:|---:|");
  const componentKey = (change: ResourceChange) => `${change.component}\0${change.componentType}`;
  for (const [key, counts] of [...countBy(changes, componentKey)].sort(([a], [b]) => a.localeCompare(b))) {
    const [component, type] = key.split("\0");
    lines.push(`| ${cell(component)} | ${cell(type)} | ${countColumns(counts)} |`);
  }

  lines.push("", "### Configuration files", "");
  if (files.length === 0) {
    lines.push("No configuration file changes.");
  } else {
    lines.push("| host | file | operation | setting | change | old -> new |", "|---|---|---|---|---|---|");
    for (const file of [...files].sort((a, b) => a.host.localeCompare(b.host) || a.path.localeCompare(b.path))) {
      const prefix = `| ${cell(file.host)} | ${code(file.path)} | ${file.operation}`;
      for (const setting of file.settings ?? []) {
        lines.push(`${prefix} | ${code(settingName(setting))} | ${setting.change} | ${cell(describeChange(setting))} |`);
      }
      if (file.note !== undefined) lines.push(`${prefix} | | ${cell(file.note)} | |`);
    }
    lines.push(
      "",
      "Secret values (passwords, transport_url, connection strings, `nova-installer:secretSettings`) are never shown: compare them with `nova-installer render --show-secrets` on a trusted machine.",
    );
  }

  lines.push("", `<details><summary>Steps (${changes.length})</summary>`, "", "| host | step | operation | what it does |", "|---|---|---|---|");
  for (const change of [...changes].sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name))) {
    lines.push(`| ${cell(change.host)} | ${code(change.name)} | ${change.operation} | ${cell(change.description)} |`);
  }
  lines.push("", "</details>", "");
  return lines.join("\n");
}

// ---- running it ----------------------------------------------------------------------------

/** Renders a file of the current configuration with the real passwords (compared in memory only). */
export function currentFileRenderer(config: StackConfig, virtTypes: Readonly<Record<string, VirtType>>): (host: string, path: string) => string {
  return (host, path) => {
    const file = hostPlan(config, host).files.find((entry) => entry.path === path);
    if (file === undefined) throw new Error(`the current configuration writes no ${path} on ${host}`);
    return file.render(config.passwords, config.virtType ?? virtTypes[host]);
  };
}

/** Runs the preview and reads the state; returns the report. */
async function previewReport(stack: string): Promise<PreviewReport> {
  const config = await readStackConfig(stack);
  const preview = await runPulumi(["preview", "--diff", "--json", "--stack", stack, "--non-interactive"]);
  if (preview.exitCode !== 0) {
    throw new Error(`pulumi preview failed (exit ${preview.exitCode}):\n${preview.stderr.trim() || preview.stdout.slice(0, 4000)}`);
  }
  const exported = JSON.parse((await pulumiOrThrow(["stack", "export", "--show-secrets", "--stack", stack])).stdout) as StackExport;
  const changes = resourceChanges(JSON.parse(preview.stdout) as PreviewJson);
  const renderer = currentFileRenderer(config, exportedVirtTypes(exported));
  return { stack, changes, files: fileChanges(changes, deployedFiles(exported), renderer, secretSettingTest(config.secretSettings)) };
}

export const previewDiffCommand: CommandModule<object, { stack: string; output?: string }> = {
  command: "preview-diff",
  describe:
    "Summarize pulumi preview as Markdown for a pull request: changes per host and component, changed configuration settings (old -> new; secret values never shown)",
  builder: (args) =>
    args
      .option("stack", stackOption)
      .option("output", { type: "string", describe: "Write the Markdown to this file instead of standard output" })
      .example("$0 preview-diff --stack prod --output preview.md", "the summary a CI job posts on the pull request")
      .epilog("Needs the stack passphrase: the deployed files are read from the state and compared in memory. Format: docs/preview-diff.md."),
  handler: async (options) => {
    const markdown = previewMarkdown(await previewReport(options.stack));
    if (options.output !== undefined) writeFileSync(options.output, markdown);
    else process.stdout.write(markdown);
  },
};
