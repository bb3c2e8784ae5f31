/**
 * RemoteScript: one idempotent step run on one host over SSH.
 *
 * It plays the part of @pulumi/command's remote.Command (see docs/engine.md for why that
 * provider cannot be used here) with stricter rules: the host key is always pinned, the script
 * and its secrets travel on stdin, and a changed script or trigger re-runs the step in place
 * (scripts are written to be idempotent) instead of replacing it. Files it needs on the host
 * are uploaded first, over the same connection (remote/upload.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { DriftItem, StepCheck } from "./drift";
import type { SshEndpoint } from "./ssh";
import type { FileUpload } from "./upload";

export interface RemoteScriptArgs {
  /** The host to run on. */
  readonly connection: pulumi.Input<SshEndpoint>;
  /** What the step does, for progress and error messages. */
  readonly description: string;
  /** Script run when the step is created; also on update unless `update` is given. */
  readonly create: pulumi.Input<string>;
  /** Script run when the step's inputs change. Default: `create`. */
  readonly update?: pulumi.Input<string>;
  /** Script run when the step is removed from the stack. Default: nothing runs. */
  readonly delete?: pulumi.Input<string>;
  /**
   * Values the script reads as shell variables (NAME -> value), sent on stdin and kept
   * encrypted in state. Default: none.
   */
  readonly secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Any change in these values re-runs the step (content hashes of files, versions). Default: none. */
  readonly triggers?: pulumi.Input<pulumi.Input<unknown>[]>;
  /** The step fails when it runs longer. Default: 1800. */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** Keep stdout and stderr encrypted in state too (for steps that print credentials). Default: false. */
  readonly secretOutput?: boolean;
  /**
   * Files streamed to the host and checked there (sha256) before the create or update script
   * runs; the step fails, naming the file, when the local file is missing or its content is not
   * `sha256`. A changed target path, sha256 or mode re-runs the step; a changed source alone
   * does not. Default: none.
   */
  readonly uploads?: pulumi.Input<readonly FileUpload[]>;
  /**
   * How a refresh reads back what the step owns (remote/drift.ts): what differs is recorded in
   * `drift`, and the next update runs `repair`. Default: the step reads nothing back.
   */
  readonly check?: pulumi.Input<StepCheck>;
  /** Script that puts back what a refresh found different. Default: `update`, else `create`. */
  readonly repair?: pulumi.Input<string>;
}

/**
 * The provider as Pulumi serializes it into state: a loader of remote/scriptProvider.ts, found
 * from the provider process's working directory (the project directory, where the engine starts
 * it). Only `require` and `process` are referenced, so serialization captures nothing else.
 */
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   implementation() is serialized as written (below): `require` and `process` only, nothing to import or type them with */
function implementation(): pulumi.dynamic.ResourceProvider {
  return require(require("path").join(process.cwd(), "remote", "scriptProvider")).scriptProvider;
}
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return */

const loader: pulumi.dynamic.ResourceProvider = {
  create: (inputs) => implementation().create(inputs),
  diff: (id, olds, news) => implementation().diff!(id, olds, news),
  update: (id, olds, news) => implementation().update!(id, olds, news),
  delete: (id, properties) => implementation().delete!(id, properties),
  read: (id, properties) => implementation().read!(id, properties),
};

export class RemoteScript extends pulumi.dynamic.Resource {
  /** Standard output of the last run (capped, secrets redacted). */
  declare public readonly stdout: pulumi.Output<string>;
  /** Standard error of the last run (capped, secrets redacted). */
  declare public readonly stderr: pulumi.Output<string>;
  /** What the last refresh found different on the host (empty: nothing, or not read back). */
  declare public readonly drift: pulumi.Output<DriftItem[]>;

  constructor(name: string, args: RemoteScriptArgs, opts?: pulumi.CustomResourceOptions) {
    const secretOutputs = args.secretOutput ? ["secrets", "stdout", "stderr"] : ["secrets"];
    super(
      loader,
      name,
      {
        connection: args.connection,
        description: args.description,
        create: args.create,
        update: args.update,
        delete: args.delete,
        secrets: args.secrets ? pulumi.secret(args.secrets) : undefined,
        triggers: args.triggers,
        timeoutSeconds: args.timeoutSeconds,
        uploads: args.uploads,
        check: args.check,
        repair: args.repair,
        stdout: undefined,
        stderr: undefined,
        drift: undefined,
      },
      { ...opts, additionalSecretOutputs: [...secretOutputs, ...(opts?.additionalSecretOutputs ?? [])] },
      "nova-installer",
      "RemoteScript",
    );
  }
}
