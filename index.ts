/**
 * The Pulumi program: reads the stack configuration (the only place that does), validates it,
 * and hands it to the deployment (deployment.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { rawStackConfig } from "./config/rawConfig";
import { resolveStackConfig } from "./config/stackConfig";
import { ConfigError, configNamespace, RawStackConfig } from "./config/types";
import { deployNova } from "./deployment";

/**
 * Raw values of every key. pulumi.runtime.getConfig reads secrets without logging them; they
 * are wrapped in a secret right after validation.
 */
function readRawConfig(): RawStackConfig {
  const prefix = `${configNamespace}:`;
  const present = Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));
  return rawStackConfig((name) => pulumi.runtime.getConfig(`${prefix}${name}`), present);
}

function resolveOrExit(raw: RawStackConfig) {
  try {
    return resolveStackConfig(raw);
  } catch (error) {
    // RunError ends the program with the message alone: the problems, not a stack trace.
    throw error instanceof ConfigError ? new pulumi.RunError(error.message) : error;
  }
}

// The deployment gets the settings without the passwords, and the passwords only as a secret.
const { passwords, ...settings } = resolveOrExit(readRawConfig());
const outputs = deployNova(settings, pulumi.secret(passwords));

export const hostFacts = outputs.hostFacts;
export const cells = outputs.cells;
export const registration = outputs.registration;
export const discovery = outputs.discovery;
export const virtTypes = outputs.virtTypes;
