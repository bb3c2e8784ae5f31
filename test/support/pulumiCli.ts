/**
 * Runs the real Pulumi engine (bin/pulumi: the bootstrapped engine with the offline settings)
 * against a throw-away state directory, for tests.
 */
import { execFile } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve } from "path";

export const projectRoot = resolve(__dirname, "../..");

export interface PulumiResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/**
 * A stack of its own (unique name, so runs never collide) on a throw-away backend. Its config
 * file lives where the project keeps stack configs (stacks/) while the workspace exists.
 */
export class PulumiWorkspace {
  readonly stateDir = mkdtempSync(join(tmpdir(), "nova-installer-engine-"));
  readonly stack: string;
  readonly configFile: string;

  constructor(stackPrefix: string) {
    this.stack = `${stackPrefix}-${process.pid}-${Date.now().toString(36)}`;
    this.configFile = join(projectRoot, "stacks", `Pulumi.${this.stack}.yaml`);
  }

  /** Creates the stack (which writes its encryption salt into the config file). */
  async init(): Promise<void> {
    const result = await this.run(["stack", "init"]);
    if (result.exitCode !== 0) {
      throw new Error(`pulumi stack init failed: ${result.stdout}${result.stderr}`);
    }
  }

  /** Runs a stack command (`--stack` and non-interactive flags are added). */
  run(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<PulumiResult> {
    return this.runRaw([...args, "--stack", this.stack, "--non-interactive", "--color", "never"], extraEnv);
  }

  /** Runs a pulumi command exactly as given. */
  runRaw(args: readonly string[], extraEnv: Record<string, string> = {}): Promise<PulumiResult> {
    return new Promise((resolvePromise) => {
      execFile(
        join(projectRoot, "bin/pulumi"),
        args,
        {
          cwd: projectRoot,
          env: { ...process.env, NOVA_INSTALLER_STATE: this.stateDir, ...extraEnv },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => resolvePromise({ stdout, stderr, exitCode: error ? ((error as { code?: number }).code ?? 1) : 0 }),
      );
    });
  }

  /**
   * Replaces the stack's plain config values, keeping its encryption salt (secrets go through
   * `pulumi config set --secret`). JSON is valid YAML, so values are written as JSON.
   */
  writeConfig(values: Record<string, unknown>): void {
    const salt = existsSync(this.configFile)
      ? readFileSync(this.configFile, "utf8")
          .split("\n")
          .filter((line) => line.startsWith("encryptionsalt:"))
      : [];
    const lines = [...salt, "config:", ...Object.entries(values).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`)];
    writeFileSync(this.configFile, lines.join("\n") + "\n");
  }

  dispose(): void {
    rmSync(this.configFile, { force: true });
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
