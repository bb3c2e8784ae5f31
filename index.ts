/**
 * The Pulumi program: reads the stack configuration (the only place that does), validates it,
 * and hands it to the deployment (deployment.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, configNamespace, RawStackConfig, resolveStackConfig } from "./config/stackConfig";
import { deployNova } from "./deployment";

const textKeys = ["operatingSystem", "openstackRelease", "sshUser", "sshPrivateKeyPath", "region", "computeDriver", "virtType"];
/** Keys whose values Pulumi stores as JSON (objects, lists, booleans). */
const jsonKeys = ["hosts", "prerequisites", "refreshPackageIndex", "passwords", "configOverrides", "flavors"];

/**
 * Raw values of every key. pulumi.runtime.getConfig reads secrets without logging them; they
 * are wrapped in a secret right after validation.
 */
function readRawConfig(): RawStackConfig {
  const raw: Record<string, unknown> = {};
  for (const name of textKeys) {
    raw[name] = pulumi.runtime.getConfig(`${configNamespace}:${name}`);
  }
  for (const name of jsonKeys) {
    const text = pulumi.runtime.getConfig(`${configNamespace}:${name}`);
    try {
      raw[name] = text === undefined ? undefined : JSON.parse(text);
    } catch {
      raw[name] = text; // not JSON: validation reports it with the key's name
    }
  }
  return raw;
}

function resolveOrExit(raw: RawStackConfig) {
  try {
    return resolveStackConfig(raw);
  } catch (error) {
    // RunError ends the program with the message alone: the problems, not a stack trace.
    throw error instanceof ConfigError ? new pulumi.RunError(error.message) : error;
  }
}

const stack = resolveOrExit(readRawConfig());
const outputs = deployNova(stack, pulumi.secret(stack.passwords));

export const hostFacts = outputs.hostFacts;
export const cells = outputs.cells;
export const registration = outputs.registration;
export const discovery = outputs.discovery;
export const virtTypes = outputs.virtTypes;
