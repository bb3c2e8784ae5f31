/**
 * DestroyGuard: makes `pulumi destroy` refuse before it touches anything, unless the stack
 * allows destroying data.
 *
 * Protecting the databases alone is not enough: the engine deletes dependents first, so a
 * destroy would stop services and remove computes from the cloud before it reached the
 * protected databases and failed. The guard depends on every other resource of the stack, so a
 * destroy must delete it first, and it is protected: the destroy fails at its first step. A
 * compute leaving the stack is not held up (the guard only drops that dependency).
 */
import * as pulumi from "@pulumi/pulumi";

export interface DestroyGuardArgs {
  /** Every resource of the stack (components stand for their children). */
  readonly guarded: readonly pulumi.Resource[];
  /** Let `pulumi destroy` proceed. Default: false. */
  readonly allowDataDestruction?: boolean;
}

export class DestroyGuard extends pulumi.ComponentResource {
  constructor(name: string, args: DestroyGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:index:DestroyGuard", name, {}, { ...opts, protect: !args.allowDataDestruction, dependsOn: [...args.guarded] });
    this.registerOutputs({});
  }
}
