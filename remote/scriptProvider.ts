/**
 * The dynamic provider behind RemoteScript: create, update and delete run scripts over SSH.
 *
 * This module is loaded by the provider process at run time (see remoteScript.ts), so what Pulumi
 * stores in state is a few lines of loader, not a serialized copy of this code: a resource
 * created by an older version of the installer is updated and deleted by the current code.
 */
import type * as pulumi from "@pulumi/pulumi";
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
}

export interface RemoteScriptOutputs extends RemoteScriptInputs {
  readonly stdout: string;
  readonly stderr: string;
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

export const scriptProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: RemoteScriptInputs) {
    const output = await runStep(inputs, inputs.create, "create");
    return { id: `${inputs.connection.hostName}:${inputs.description}`, outs: { ...inputs, ...output } };
  },

  // eslint-disable-next-line @typescript-eslint/require-await -- the provider interface takes a Promise; a diff runs nothing
  async diff(_id: string, olds: RemoteScriptOutputs, news: RemoteScriptInputs) {
    const changes = comparable(olds) !== comparable(news);
    // The delete script is only recorded: it runs when the step goes away.
    const recorded = olds.delete !== news.delete;
    return { changes: changes || recorded, replaces: [], deleteBeforeReplace: false };
  },

  async update(_id: string, olds: RemoteScriptOutputs, news: RemoteScriptInputs) {
    if (comparable(olds) === comparable(news)) {
      return { outs: { ...news, stdout: olds.stdout, stderr: olds.stderr } };
    }
    const output = await runStep(news, news.update ?? news.create, "update");
    return { outs: { ...news, ...output } };
  },

  async delete(_id: string, properties: RemoteScriptOutputs) {
    if (properties.delete) {
      await runStep(properties, properties.delete, "delete");
    }
  },
};
