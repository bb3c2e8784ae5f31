/**
 * A `pulumi` run of the project (bin/pulumi) that a test can watch and interrupt: its output as
 * it comes, a wait for a line, SIGINT to pulumi (what Ctrl-C does) or SIGKILL to its whole
 * process group (what a crash or a closed terminal does).
 */
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import { projectRoot } from "./pulumiCli";

export class PulumiProcess {
  output = "";
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly watchers: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(args: readonly string[]) {
    // Its own process group (detached), so the group can be killed without killing the test.
    this.child = spawn(join(projectRoot, "bin", "pulumi"), args, {
      cwd: projectRoot,
      env: process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const take = (chunk: Buffer) => {
      this.output += chunk.toString("utf8");
      for (const watcher of this.watchers.filter((candidate) => candidate.pattern.test(this.output))) {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** Resolves when the output matches; rejects if the run ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (pattern.test(this.output)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${pattern} in pulumi output within ${timeoutMs / 1000} s:\n${this.output.slice(-3000)}`)),
        timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.watchers.push({ pattern, resolve: done });
      void this.exited.then(() => {
        clearTimeout(timer);
        if (!pattern.test(this.output)) reject(new Error(`pulumi ended without ${pattern}:\n${this.output.slice(-3000)}`));
      });
    });
  }

  /** Ctrl-C: pulumi lets the steps it is running finish, saves the state and stops. */
  interrupt(): void {
    process.kill(this.child.pid!, "SIGINT");
  }

  /** A crash: pulumi, its language host and its provider die at once, mid-step. */
  killGroup(): void {
    process.kill(-this.child.pid!, "SIGKILL");
  }
}
