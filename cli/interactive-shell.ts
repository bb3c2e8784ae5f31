/**
 * An interactive login shell on an SSH connection, wired to this terminal.
 */
import type { SshSession } from "../remote/ssh";

/** Runs a shell until it exits; resolves with its exit code. */
export async function interactiveShell(session: SshSession): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const channel = await session.shell({ rows: stdout.rows ?? 24, cols: stdout.columns ?? 80, term: process.env.TERM ?? "xterm" });
  return new Promise((resolve) => {
    let exitCode = 0;
    // Raw mode passes keys such as Ctrl-C to the remote shell instead of ending this process.
    if (stdin.isTTY) stdin.setRawMode(true);
    const resize = (): void => void channel.setWindow(stdout.rows ?? 24, stdout.columns ?? 80, 0, 0);
    stdout.on("resize", resize);
    stdin.pipe(channel);
    channel.pipe(stdout);
    channel.stderr.pipe(process.stderr);
    channel.on("exit", (code: number | null) => (exitCode = code ?? 255));
    channel.on("close", () => {
      stdin.unpipe(channel);
      stdout.off("resize", resize);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      resolve(exitCode);
    });
  });
}
