/**
 * Pulumi mocks that record every resource registered, answer with what the test supplies,
 * and throw on any provider function call (none is expected: the installer calls none).
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
}

/** Returns extra output properties for a resource (a probe's stdout, say); undefined for none. */
export type OutputsFor = (resource: RecordedResource) => Record<string, unknown> | undefined;

export function recordResources(outputsFor: OutputsFor = () => undefined): RecordedResource[] {
  const recorded: RecordedResource[] = [];
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const resource = { type: args.type, name: args.name, inputs: args.inputs };
        recorded.push(resource);
        return { id: `${args.name}-id`, state: { ...args.inputs, ...outputsFor(resource) } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        throw new Error(`unexpected provider function call ${args.token}`);
      },
    },
    "nova-installer",
    "test",
    false,
  );
  return recorded;
}

/** The value of an output, in a test. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
