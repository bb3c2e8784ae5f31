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

/** Registers the whole stack under mocks and waits until every output settled. */
export async function recordDeployment(stack: StackConfig): Promise<RecordedResource[]> {
  const recorded = recordResources((resource) => (resource.name.endsWith("-facts-probe") ? { stdout: factsStdout } : { stdout: "" }));
  const { passwords, ...settings } = stack;
  const outputs = deployNova(settings, pulumi.secret(passwords));
  await valueOf(outputs.cells);
  await Promise.all(Object.values(outputs.hostFacts).map(valueOf));
  await Promise.all(Object.values(outputs.virtTypes).map(valueOf));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return recorded;
}
