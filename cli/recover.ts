/**
 * `nova-installer recover`: makes a stack usable again after `pulumi up` was killed.
 *
 * A deploy stopped with Ctrl-C (SIGINT) finishes the steps it was running and leaves a clean
 * state: the next `pulumi up` simply goes on. A deploy that was killed (SIGKILL, a closed
 * terminal, a crashed machine) leaves two things behind in the file backend:
 *   - its lock, so every later `pulumi up` stops with "the stack is currently locked";
 *   - "pending operations": the steps it was running, whose outcome Pulumi does not know.
 * This command removes the lock only when the process that took it is gone (it never breaks a
 * live deploy's lock), then clears the pending operations with `pulumi refresh
 * --clear-pending-creates`. Every step is an idempotent script, so the next `pulumi up` runs
 * those steps again and converges; a step still running on a host from the killed deploy is
 * waited for (remote/script.ts: per-step lock on the host).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CommandModule } from "yargs";
import { processAlive } from "../lab/image";
import { stateRoot } from "../lab/paths";
import { projectRoot, pulumiOrThrow } from "./pulumiCli";
import { stackOption } from "./stackConfigReader";

/** What a file-backend lock file holds. */
export interface StackLock {
  readonly file: string;
  readonly pid: number;
  readonly hostname: string;
  readonly username: string;
  readonly timestamp: string;
}

/** Where the file backend keeps a stack's locks (pulumi-env.sh puts the backend in the state directory). */
export function lockDirectory(stack: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateRoot(env, projectRoot), "backend", ".pulumi", "locks", "organization", "nova-installer", stack);
}

export function readLocks(directory: string): StackLock[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((entry) => entry.endsWith(".json"))
    .map((entry) => {
      const file = path.join(directory, entry);
      const content = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StackLock>;
      return {
        file,
        pid: Number(content.pid),
        hostname: String(content.hostname),
        username: String(content.username),
        timestamp: String(content.timestamp),
      };
    });
}

/**
 * Why a lock must be kept, or undefined when its owner is provably gone (same machine, no such
 * process). A lock taken on another machine cannot be checked from here: it is kept unless
 * the operator says that machine's run is over (`force`).
 */
export function lockKeptBecause(lock: StackLock, options: { hostname: string; alive: (pid: number) => boolean; force: boolean }): string | undefined {
  const owner = `pulumi (pid ${lock.pid}) started by ${lock.username}@${lock.hostname} at ${lock.timestamp}`;
  if (lock.hostname !== options.hostname) {
    return options.force ? undefined : `${owner} runs on another machine; make sure it has ended there, then run again with --force`;
  }
  if (options.alive(lock.pid)) {
    return `${owner} is still running; let it finish (Ctrl-C stops it after its current steps), then run again`;
  }
  return undefined;
}

/** A step whose outcome Pulumi does not know: a killed deploy was running it. */
export interface PendingOperation {
  readonly urn: string;
  readonly type: string;
}

/** The pending operations of `pulumi stack export` output. */
export function pendingOperations(exported: string): PendingOperation[] {
  const deployment = (JSON.parse(exported) as { deployment?: { pending_operations?: { resource: { urn: string }; type: string }[] } }).deployment;
  return (deployment?.pending_operations ?? []).map((operation) => ({ urn: operation.resource.urn, type: operation.type }));
}

interface RecoveryReport {
  readonly removedLocks: readonly StackLock[];
  readonly clearedOperations: readonly PendingOperation[];
}

async function recoverStack(stack: string, options: { force: boolean; write: (line: string) => void }): Promise<RecoveryReport> {
  const locks = readLocks(lockDirectory(stack));
  for (const lock of locks) {
    const kept = lockKeptBecause(lock, { hostname: os.hostname(), alive: processAlive, force: options.force });
    if (kept !== undefined) {
      throw new Error(`stack ${stack} is locked: ${kept}`);
    }
  }
  if (locks.length > 0) {
    for (const lock of locks) options.write(`lock of pulumi pid ${lock.pid} (${lock.timestamp}): the process is gone; removing the lock`);
    await pulumiOrThrow(["cancel", "--yes", "--non-interactive", "--stack", stack]);
  }
  const exported = await pulumiOrThrow(["stack", "export", "--stack", stack]);
  const pending = pendingOperations(exported.stdout);
  if (pending.length > 0) {
    for (const operation of pending)
      options.write(`interrupted while ${operation.type}: ${operation.urn.split("::").pop()}; it runs again on the next pulumi up`);
    await pulumiOrThrow(["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--non-interactive", "--color", "never", "--stack", stack]);
  }
  return { removedLocks: locks, clearedOperations: pending };
}

export const recoverCommand: CommandModule<object, { stack: string; force: boolean }> = {
  command: "recover",
  describe: "After a killed pulumi up: remove its stale lock and clear its interrupted steps, so the next pulumi up converges",
  builder: (args) =>
    args
      .option("stack", stackOption)
      .option("force", {
        type: "boolean",
        default: false,
        describe: "Also remove a lock taken on another machine (only once its run has ended there)",
      })
      .example("$0 recover --stack lab && bin/pulumi up --stack lab", "resume a deploy that was killed")
      .epilog(
        "A live deploy's lock is never removed. Not needed after Ctrl-C: an interrupted deploy finishes its running steps and unlocks the stack.",
      ),
  handler: async (options) => {
    const report = await recoverStack(options.stack, { force: options.force, write: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(
      report.removedLocks.length + report.clearedOperations.length === 0
        ? `stack ${options.stack}: nothing to recover (no lock, no interrupted step)\n`
        : `stack ${options.stack} recovered; run pulumi up to converge\n`,
    );
  },
};
