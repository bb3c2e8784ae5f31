/** Runs the operator CLI (bin/nova-installer) as an operator would, for tests. */
import { execFile } from "child_process";
import { join, resolve } from "path";

const projectRoot = resolve(__dirname, "../..");

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** `bin/nova-installer ARGS` with this process's environment (NOVA_INSTALLER_STATE included). */
export function novaInstaller(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    execFile(
      join(projectRoot, "bin", "nova-installer"),
      args,
      { cwd: projectRoot, env: process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolvePromise({ stdout, stderr, exitCode: error ? ((error as { code?: number }).code ?? 1) : 0 }),
    );
  });
}
