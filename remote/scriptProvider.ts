/**
 * The dynamic provider behind RemoteScript: create, update and delete run scripts over SSH.
 *
 * This module is loaded by the provider process at run time (see remoteScript.ts), so what Pulumi
 * stores in state is a few lines of loader, not a serialized copy of this code: a resource
 * created by an older version of the installer is updated and deleted by the current code.
 */
import type * as pulumi from "@pulumi/pulumi";
import { shellAssignments } from "../lib/shell";
import { fileContentVariable } from "../steps/files";
import { batchScript, CheckRun, DriftItem, fileDrift, fileProbeScript, scriptDrift, splitBatch, StepCheck } from "./drift";
import { frameScript, redact, remoteShell, tail } from "./script";
import { runCommand, SshEndpoint } from "./ssh";
import { FileUpload, uploadFile, uploadIdentity } from "./upload";

/** Inputs as the provider receives them (Input<> resolved). */
export interface RemoteScriptInputs {
  readonly connection: SshEndpoint;
  /** What the step is, for messages: "install packages", "sync nova_api database". */
  readonly description: string;
  readonly create: string;
  readonly update?: string;
  readonly delete?: string;
  readonly secrets?: Record<string, string>;
  readonly triggers?: unknown[];
  readonly timeoutSeconds?: number;
  /** Files streamed to the host before the create or update script runs. */
  readonly uploads?: FileUpload[];
  /** How a refresh reads back what the step owns (remote/drift.ts). Default: it reads nothing. */
  readonly check?: StepCheck;
  /** Script that puts back what a refresh found drifted. Default: `update`, else `create`. */
  readonly repair?: string;
}

export interface RemoteScriptOutputs extends RemoteScriptInputs {
  readonly stdout: string;
  readonly stderr: string;
  /** What the last refresh found different on the host; empty once a run put it back. */
  readonly drift?: DriftItem[];
}

/** Output kept in state is capped: a chatty package install must not bloat every checkpoint. */
const maxKeptOutput = 16 * 1024;

function keep(text: string): string {
  return text.length > maxKeptOutput ? "...\n" + text.slice(-maxKeptOutput) : text;
}

async function runStep(inputs: RemoteScriptInputs, body: string, phase: string): Promise<{ stdout: string; stderr: string }> {
  const secrets = inputs.secrets ?? {};
  const step = `${inputs.connection.hostName} (${inputs.connection.address}): "${inputs.description}" (${phase})`;
  const timeoutMs = (inputs.timeoutSeconds ?? 1800) * 1000;
  // The delete script gets no files: what it removes is on the host already.
  for (const upload of phase === "delete" ? [] : (inputs.uploads ?? [])) {
    try {
      await uploadFile(inputs.connection, upload, timeoutMs);
    } catch (error) {
      throw new Error(`${step} did not run: ${(error as Error).message}`);
    }
  }
  let result;
  try {
    result = await runCommand(inputs.connection, remoteShell, {
      stdin: frameScript(body, secrets, `${inputs.connection.hostName}:${inputs.description}`),
      timeoutMs,
    });
  } catch (error) {
    // Unreachable host, changed host key, dropped connection: say which step could not run.
    throw new Error(`${step} did not complete: ${redact((error as Error).message, secrets)}`);
  }
  if (result.exitCode !== 0) {
    // Tools print warnings on stderr and their error on stdout, or the other way round: show both.
    const output = [
      result.stdout.trim() ? `stdout:\n${tail(redact(result.stdout, secrets), 15)}` : "",
      result.stderr.trim() ? `stderr:\n${tail(redact(result.stderr, secrets), 15)}` : "",
    ]
      .filter(Boolean)
      .join("\n");
    throw new Error(`${step} failed with exit code ${result.exitCode}:\n${output}`);
  }
  return { stdout: keep(redact(result.stdout, secrets)), stderr: keep(redact(result.stderr, secrets)) };
}

/**
 * The properties whose change re-runs the step. The recorded output does not count. The pinned
 * host key does: a host presents a new key when it was reinstalled, and once the operator trusts
 * it (nova-installer hosts trust), every step on it runs again, so a rebuilt host is configured
 * from scratch instead of being taken for the one the state remembers (every step is idempotent:
 * on a host that only got new keys the re-run changes nothing). Nor does an upload's source
 * count: the same file in another directory (another operator's cache) is the same upload; its
 * target path, content (sha256) and mode are what count.
 */
function comparable(properties: Partial<RemoteScriptInputs>): string {
  const { connection, create, update, triggers, secrets, timeoutSeconds, uploads } = properties;
  return JSON.stringify([connection ?? {}, create, update, triggers ?? [], secrets ?? {}, timeoutSeconds, (uploads ?? []).map(uploadIdentity)]);
}

/** Properties only recorded: a change in them updates the state without running anything. */
function recordedOnly(properties: Partial<RemoteScriptInputs>): string {
  return JSON.stringify([properties.delete, properties.check, properties.repair]);
}

// ---- reading back (refresh) -----------------------------------------------------------------

interface PendingCheck {
  readonly inputs: RemoteScriptInputs;
  readonly resolve: (run: CheckRun) => void;
  readonly reject: (error: Error) => void;
}

/** How long a host's batch waits for more checks after the last one arrived, and at most. */
const batchSettleMs = 40;
const batchMaxWaitMs = 400;

interface Batch {
  readonly checks: PendingCheck[];
  readonly started: number;
  timer?: NodeJS.Timeout;
}

const batches = new Map<string, Batch>();

function hostKeyOf(connection: SshEndpoint): string {
  return JSON.stringify([connection.address, connection.port, connection.user, connection.hostPublicKey]);
}

function checkBody(inputs: RemoteScriptInputs): string {
  const check = inputs.check!;
  if (check.kind === "file") return fileProbeScript(check);
  return [shellAssignments(inputs.secrets ?? {}).trimEnd(), check.script].filter(Boolean).join("\n");
}

async function runBatch(checks: readonly PendingCheck[]): Promise<void> {
  const connection = checks[0].inputs.connection;
  const { script, nonce } = batchScript(checks.map((pending) => checkBody(pending.inputs)));
  const secrets = Object.assign({}, ...checks.map((pending) => pending.inputs.secrets ?? {})) as Record<string, string>;
  try {
    const result = await runCommand(connection, remoteShell, { stdin: script, timeoutMs: 300_000 });
    const runs = splitBatch(result.stdout, nonce, checks.length);
    checks.forEach((pending, index) => pending.resolve(runs[index]));
  } catch (error) {
    const message = `${connection.hostName} (${connection.address}): reading back what the steps own did not complete: ${redact((error as Error).message, secrets)}`;
    for (const pending of checks) pending.reject(new Error(message));
  }
}

/** Runs a step's check with the other checks of its host that arrive at about the same time: one SSH round trip per host. */
function runCheck(inputs: RemoteScriptInputs): Promise<CheckRun> {
  return new Promise((resolve, reject) => {
    const key = hostKeyOf(inputs.connection);
    const batch = batches.get(key) ?? { checks: [], started: Date.now() };
    batches.set(key, batch);
    batch.checks.push({ inputs, resolve, reject });
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const wait = Math.max(0, Math.min(batchSettleMs, batch.started + batchMaxWaitMs - Date.now()));
    batch.timer = setTimeout(() => {
      batches.delete(key);
      void runBatch(batch.checks);
    }, wait);
  });
}

/** What differs on the host from what the step wants (empty: nothing); throws when the check cannot run. */
export async function readDrift(inputs: RemoteScriptInputs): Promise<DriftItem[]> {
  if (inputs.check === undefined) return [];
  const run = await runCheck(inputs);
  const secrets = inputs.secrets ?? {};
  if (run.exitCode !== 0) {
    const output = [run.stdout, run.stderr]
      .map((text) => tail(redact(text, secrets), 15))
      .filter((text) => text.trim() !== "")
      .join("\n");
    throw new Error(
      `${inputs.connection.hostName} (${inputs.connection.address}): "${inputs.description}" (read back) failed with exit code ${run.exitCode}:\n${output}`,
    );
  }
  if (inputs.check.kind === "file") {
    return fileDrift(inputs.check, secrets[fileContentVariable] ?? "", run.stdout);
  }
  // Script checks print no secret; redacted all the same, should one ever echo a value it compared.
  return scriptDrift(redact(run.stdout, secrets));
}

export const scriptProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: RemoteScriptInputs) {
    const output = await runStep(inputs, inputs.create, "create");
    return { id: `${inputs.connection.hostName}:${inputs.description}`, outs: { ...inputs, ...output, drift: [] } };
  },

  async read(id: string, properties: RemoteScriptOutputs) {
    return { id, props: { ...properties, drift: await readDrift(properties) } };
  },

  // eslint-disable-next-line @typescript-eslint/require-await -- the provider interface takes a Promise; a diff runs nothing
  async diff(_id: string, olds: RemoteScriptOutputs, news: RemoteScriptInputs) {
    const changes = comparable(olds) !== comparable(news);
    // The delete script, the check and the repair are only recorded: they run when the step goes
    // away, on refresh, on drift.
    const recorded = recordedOnly(olds) !== recordedOnly(news);
    // What the last refresh found different on the host: the step runs to put it back.
    const drifted = (olds.drift ?? []).length > 0;
    return { changes: changes || recorded || drifted, replaces: [], deleteBeforeReplace: false };
  },

  async update(_id: string, olds: RemoteScriptOutputs, news: RemoteScriptInputs) {
    if (comparable(olds) === comparable(news)) {
      if ((olds.drift ?? []).length === 0) {
        return { outs: { ...news, stdout: olds.stdout, stderr: olds.stderr, drift: [] } };
      }
      const output = await runStep(news, news.repair ?? news.update ?? news.create, "repair");
      return { outs: { ...news, ...output, drift: [] } };
    }
    const output = await runStep(news, news.update ?? news.create, "update");
    return { outs: { ...news, ...output, drift: [] } };
  },

  async delete(_id: string, properties: RemoteScriptOutputs) {
    if (properties.delete) {
      await runStep(properties, properties.delete, "delete");
    }
  },
};
