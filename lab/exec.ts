/**
 * Running machine commands (ip, mount, debootstrap, ...) with errors that say what failed.
 */
import { spawn } from "child_process";
import * as fs from "fs";

export interface RunOptions {
  /** Return the result instead of throwing on a non-zero exit. */
  readonly allowFailure?: boolean;
  /** Append stdout and stderr here instead of keeping them (for long, chatty builds). */
  readonly logFile?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion.
 * @throws Error with the command line, exit code and the end of its output when it fails.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const log = options.logFile === undefined ? undefined : fs.openSync(options.logFile, "a");
    const child = spawn(command, args, {
      stdio: ["ignore", log ?? "pipe", log ?? "pipe"],
      env: options.env ?? process.env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => {
      if (log !== undefined) fs.closeSync(log);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (log !== undefined) fs.closeSync(log);
      const exitCode = code ?? 128;
      if (exitCode !== 0 && options.allowFailure !== true) {
        const output = options.logFile !== undefined ? tailOfFile(options.logFile) : (stderr || stdout).trim();
        const how = signal !== null ? `killed by ${signal}` : `exit code ${exitCode}`;
        reject(new Error(`${[command, ...args].join(" ")} failed (${how})${output ? `:\n${output}` : ""}`));
        return;
      }
      resolve({ exitCode, stdout, stderr });
    });
  });
}

/** The last lines of a log, for error messages (the whole log can be megabytes). */
export function tailOfFile(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    return `... (${file})\n${text.slice(-lines).join("\n")}`;
  } catch {
    return "";
  }
}

/** Whether a program is on PATH. */
export async function haveProgram(program: string): Promise<boolean> {
  const result = await run("sh", ["-c", `command -v "$1"`, "sh", program], { allowFailure: true });
  return result.exitCode === 0;
}
