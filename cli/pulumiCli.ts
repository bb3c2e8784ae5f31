/** Runs the project's `pulumi` (bin/pulumi: the bootstrapped engine, offline settings). */
import { spawn } from "child_process";
import { join, resolve } from "path";

export const projectRoot = resolve(__dirname, "..");

export interface PulumiRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface PulumiRunOptions {
  /** Written to pulumi's stdin (how secrets are handed over: never as arguments). */
  readonly stdin?: string;
  /** Echo pulumi's output while it runs (long operations show progress). */
  readonly echo?: boolean;
}

export function runPulumi(args: readonly string[], options: PulumiRunOptions = {}): Promise<PulumiRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(projectRoot, "bin", "pulumi"), args, {
      cwd: projectRoot,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({ stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), exitCode: code ?? 1 }),
    );
    child.stdin.end(options.stdin ?? "");
  });
}

/** Like runPulumi, but throws with pulumi's output when it fails. */
export async function pulumiOrThrow(args: readonly string[], options: PulumiRunOptions = {}): Promise<PulumiRun> {
  const run = await runPulumi(args, options);
  if (run.exitCode !== 0) {
    throw new Error(`pulumi ${args.filter((arg) => !arg.startsWith("{")).join(" ")} failed (exit ${run.exitCode}):\n${run.stderr || run.stdout}`);
  }
  return run;
}
