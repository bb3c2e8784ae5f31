/**
 * A stack's configuration as the CLI commands see it: read with `pulumi config --json`, turned
 * into the raw values the Pulumi program gets (config/rawConfig.ts) and validated by the same
 * `resolveStackConfig`, so a command never works from a configuration `pulumi up` would refuse.
 */
import { rawStackConfig, stackConfigKeys } from "../config/rawConfig";
import { configNamespace, RawStackConfig, StackConfig, VirtType } from "../config/types";
import { resolveStackConfig } from "../config/stackConfig";
import { passwordNames } from "../config/passwords";
import { pulumiOrThrow } from "./pulumiCli";

/** The `--stack` option of every command that works on an existing stack. */
export const stackOption = { type: "string", demandOption: true, describe: "Pulumi stack" } as const;

/** One key of `pulumi config --json`: `value` is absent for a secret read without --show-secrets. */
export interface PulumiConfigEntry {
  readonly value?: string;
  readonly secret?: boolean;
}

export type PulumiConfigJson = Readonly<Record<string, PulumiConfigEntry>>;

/** The raw values of the installer's keys from `pulumi config --json` output (keys of other namespaces are ignored). */
export function rawConfigFromPulumiJson(json: PulumiConfigJson): RawStackConfig {
  const prefix = `${configNamespace}:`;
  const present = Object.keys(json)
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));
  // A secret of an unknown key has no value without --show-secrets: report the key all the same.
  const secretOfUnknownKey = (name: string) => json[`${prefix}${name}`]?.secret === true && !stackConfigKeys.includes(name);
  return rawStackConfig((name) => json[`${prefix}${name}`]?.value ?? (secretOfUnknownKey(name) ? "[secret]" : undefined), present);
}

/**
 * The raw config with a stand-in for every password: for commands that never use a password
 * (doctor, verify), so they run without decrypting the stack's secrets and before `secrets init`.
 */
export function withStandInPasswords(raw: RawStackConfig): RawStackConfig {
  return { ...raw, passwords: Object.fromEntries(passwordNames.map((name) => [name, "stand-in-password"])) };
}

export interface ReadStackConfigOptions {
  /**
   * "read": decrypt and validate the stack's passwords (needs the stack passphrase);
   * "stand-in": never read them, every password is a stand-in. Default "read".
   */
  readonly passwords?: "read" | "stand-in";
}

/**
 * The stack's validated configuration.
 * @throws ConfigError listing every problem, as `pulumi up` would report them.
 */
export async function readStackConfig(stack: string, options: ReadStackConfigOptions = {}): Promise<StackConfig> {
  const readPasswords = (options.passwords ?? "read") === "read";
  const run = await pulumiOrThrow(["config", "--stack", stack, "--json", ...(readPasswords ? ["--show-secrets"] : [])]);
  const raw = rawConfigFromPulumiJson(JSON.parse(run.stdout || "{}") as PulumiConfigJson);
  return resolveStackConfig(readPasswords ? raw : withStandInPasswords(raw));
}

/** The stack's outputs (`pulumi stack output --json`); empty before the first deployment. */
export async function readStackOutputs(stack: string): Promise<Record<string, unknown>> {
  const run = await pulumiOrThrow(["stack", "output", "--stack", stack, "--json"]);
  const outputs = JSON.parse(run.stdout || "{}") as unknown;
  return typeof outputs === "object" && outputs !== null ? (outputs as Record<string, unknown>) : {};
}

/** The virt_type the last deployment chose for each compute (the stack output `virtTypes`). */
export function deployedVirtTypes(outputs: Record<string, unknown>): Record<string, VirtType> {
  const virtTypes = outputs["virtTypes"];
  const result: Record<string, VirtType> = {};
  if (typeof virtTypes === "object" && virtTypes !== null) {
    for (const [host, value] of Object.entries(virtTypes as Record<string, unknown>)) {
      if (value === "kvm" || value === "qemu") result[host] = value;
    }
  }
  return result;
}
