/**
 * Pulumi mocks that record every resource registered, answer with what the test supplies,
 * and throw on any provider function call (none is expected: the installer calls none).
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever each component passes; each test reads what it knows is there
  readonly inputs: Record<string, any>;
  /** Names of the resources it waits for: its dependsOn (a component's children) and inputs. */
  readonly dependencies: readonly string[];
  /** Name of its parent component, if any. */
  readonly parent?: string;
}

/**
 * The mocks do not pass a registration's dependencies on: read them from the request, keyed by
 * name (names are unique in a stack), before the mocks see it.
 */
const dependenciesByName = new Map<string, { dependencies: string[]; parent?: string }>();
const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
/** The part of the RegisterResourceRequest (protobuf) read here. */
interface RegisterRequest {
  getDependenciesList(): string[];
  getParent(): string;
  getName(): string;
}
type RegisterResource = (request: RegisterRequest, callback: unknown) => Promise<void>;
const prototype = MockMonitor.prototype as unknown as { registerResource: RegisterResource; dependenciesRecorded?: true };
if (!prototype.dependenciesRecorded) {
  const register = prototype.registerResource;
  prototype.registerResource = function (this: unknown, request: RegisterRequest, callback: unknown) {
    const urns: string[] = request.getDependenciesList();
    const parent: string = request.getParent();
    dependenciesByName.set(request.getName(), { dependencies: urns.map(nameOf), ...(parent ? { parent: nameOf(parent) } : {}) });
    return register.call(this, request, callback);
  };
  prototype.dependenciesRecorded = true;
}

/** Returns extra output properties for a resource (a probe's stdout, say); undefined for none. */
export type OutputsFor = (resource: RecordedResource) => Record<string, unknown> | undefined;

export function recordResources(outputsFor: OutputsFor = () => undefined): RecordedResource[] {
  const recorded: RecordedResource[] = [];
  // Async in name only: the mocks are in place when it returns.
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const resource = { type: args.type, name: args.name, inputs: args.inputs, dependencies: [], ...dependenciesByName.get(args.name) };
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
