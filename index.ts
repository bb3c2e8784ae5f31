/**
 * The Pulumi program: reads the stack configuration (the only place that does), validates it,
 * and builds the deployment from components, phase by phase.
 */
import * as pulumi from "@pulumi/pulumi";
import { HostFacts } from "./components";
import { ConfigError, configNamespace, RawStackConfig, resolveStackConfig } from "./config/stackConfig";
import type { SshEndpoint } from "./remote/ssh";

function readRawConfig(): RawStackConfig {
  const config = new pulumi.Config(configNamespace);
  const raw: Record<string, unknown> = {};
  for (const name of ["operatingSystem", "openstackRelease", "sshUser", "sshPrivateKeyPath"]) {
    raw[name] = config.get(name);
  }
  raw["hosts"] = config.getObject("hosts");
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

const endpoints: Record<string, SshEndpoint> = Object.fromEntries(
  stack.hosts.map((host) => [
    host.name,
    {
      hostName: host.name,
      address: host.address,
      port: host.port,
      user: stack.sshUser,
      privateKeyPath: stack.sshPrivateKeyPath,
      hostPublicKey: host.hostPublicKey,
    },
  ]),
);

const facts = stack.hosts.map((host) => new HostFacts(`${host.name}-facts`, { connection: endpoints[host.name] }));

export const hostFacts = Object.fromEntries(stack.hosts.map((host, index) => [host.name, facts[index].facts]));
