/**
 * A whole stack's component graph under the recording Pulumi mocks (test/support/mocks.ts):
 * every resource `deployNova` registers for a resolved stack.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/types";
import { deployNova } from "../../deployment";
import { RecordedResource, recordResources, valueOf } from "./mocks";

/** What every host's facts probe prints: a Debian 12 host without hardware virtualization. */
const factsStdout =
  '{"osId":"debian","osVersionId":"12","hostname":"x","virtualizationFlags":0,"kvmDevice":false,"kvmModule":"","kvmUsable":false,"kvmReason":"/dev/kvm is absent and the CPU shows no vmx/svm","tunDevice":true,"hostnameResolves":true}';

/** What a compute's identity lookup on the controller prints: the UUID of its compute node. */
export const computeIdentityStdout = "5e0c0a1d-7f6b-4c3e-9a2d-1b8e4f6a9c70\n";

/** What the mocked steps print: the facts probes and identity lookups as on real hosts, the others nothing. */
function stdoutOf(name: string): string {
  if (name.endsWith("-facts-probe")) return factsStdout;
  if (name.endsWith("-compute-identity")) return computeIdentityStdout;
  return "";
}

/** Registers the whole stack under mocks and waits until every output settled. */
export async function recordDeployment(stack: StackConfig): Promise<RecordedResource[]> {
  const recorded = recordResources((resource) => ({ stdout: stdoutOf(resource.name) }));
  const { passwords, ...settings } = stack;
  const outputs = deployNova(settings, pulumi.secret(passwords));
  await valueOf(outputs.cells);
  await Promise.all(Object.values(outputs.hostFacts).map(valueOf));
  await Promise.all(Object.values(outputs.virtTypes).map(valueOf));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return recorded;
}
