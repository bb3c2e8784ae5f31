/**
 * SSH to lab hosts (and, later, to any host the installer manages) with a pinned host key.
 *
 * API:
 * - `connectPinned(target)` opens a connection, accepting the server only when it presents
 *   exactly `target.hostPublicKey`; a different key fails with `HostKeyMismatchError`.
 * - `session.run(command, { stdin })` runs one command and resolves with stdout, stderr and
 *   the exit code (never rejects on a non-zero exit: callers decide what failure means).
 * - `runCommand(target, command)` does connect + run + close in one call.
 * - `waitForSsh(target, timeoutMs)` retries connecting until the host answers, for hosts
 *   that are still booting; a key mismatch is not retried.
 */
import { Client, ClientChannel } from "ssh2";
import { fingerprint, publicKeyBlob } from "../lib/sshKeys";

export { fingerprint, publicKeyBlob };

export interface SshTarget {
  /** Address or resolvable name. */
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  readonly username: string;
  /** OpenSSH private key text. */
  readonly privateKey: string | Buffer;
  /** The server's expected public key, one OpenSSH line: "ssh-ed25519 AAAA... [comment]". */
  readonly hostPublicKey: string;
  /** A name for messages (e.g. "controller"); defaults to `host`. */
  readonly label?: string;
  /** TCP connect + handshake timeout in milliseconds; default 10000. */
  readonly connectTimeoutMs?: number;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The command's exit status; 255 when the server reported none (e.g. killed by a signal). */
  readonly exitCode: number;
  /** Set when the command was killed by a signal, e.g. "KILL". */
  readonly signal?: string;
}

export interface RunOptions {
  /** Written to the command's stdin, then closed (for scripts and secrets). */
  readonly stdin?: string | Buffer;
  /** Called with output as it arrives, e.g. to stream to the terminal. */
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
}

/** The server presented a host key other than the pinned one. */
export class HostKeyMismatchError extends Error {
  constructor(
    readonly label: string,
    readonly expectedFingerprint: string,
    readonly presentedFingerprint: string,
  ) {
    super(
      `host key of ${label} does not match the pinned key: expected ${expectedFingerprint}, ` +
        `presented ${presentedFingerprint}; refusing to connect`,
    );
    this.name = "HostKeyMismatchError";
  }
}

/** An open connection. Close it when done. */
export class SshSession {
  constructor(
    private readonly client: Client,
    readonly label: string,
  ) {}

  /** Runs one command through the server's shell. */
  run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error: Error | undefined, channel: ClientChannel) => {
        if (error) {
          reject(new Error(`cannot run a command on ${this.label}: ${error.message}`));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let exitCode: number | undefined;
        let signal: string | undefined;
        channel.on("data", (chunk: Buffer) => {
          stdout.push(chunk);
          options.onStdout?.(chunk);
        });
        channel.stderr.on("data", (chunk: Buffer) => {
          stderr.push(chunk);
          options.onStderr?.(chunk);
        });
        channel.on("exit", (code: number | null, signalName?: string) => {
          if (code !== null) exitCode = code;
          if (signalName !== undefined) signal = signalName;
        });
        channel.on("close", () =>
          resolve({
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8"),
            exitCode: exitCode ?? 255,
            ...(signal !== undefined ? { signal } : {}),
          }),
        );
        channel.end(options.stdin ?? "");
      });
    });
  }

  /** The underlying ssh2 client, for what `run` does not cover (shells, forwarding). */
  get raw(): Client {
    return this.client;
  }

  close(): void {
    this.client.end();
  }
}

/** Connects, accepting only the pinned host key. */
export function connectPinned(target: SshTarget): Promise<SshSession> {
  const label = target.label ?? target.host;
  const expected = publicKeyBlob(target.hostPublicKey, label);
  const algorithm = target.hostPublicKey.trim().split(/\s+/)[0] ?? "";
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch: HostKeyMismatchError | undefined;
    client
      .on("ready", () => resolve(new SshSession(client, label)))
      .on("error", (error: Error) => {
        client.end();
        reject(mismatch ?? new Error(`ssh to ${label} (${target.host}:${target.port ?? 22}) failed: ${error.message}`));
      })
      .connect({
        host: target.host,
        port: target.port ?? 22,
        username: target.username,
        privateKey: target.privateKey,
        readyTimeout: target.connectTimeoutMs ?? 10_000,
        // Ask only for the pinned key's type, so a server with several keys presents that one.
        algorithms: { serverHostKey: [algorithm as "ssh-ed25519"] },
        hostVerifier: (presented: Buffer): boolean => {
          if (presented.equals(expected)) return true;
          mismatch = new HostKeyMismatchError(label, fingerprint(expected), fingerprint(presented));
          return false;
        },
      });
  });
}

/** Connect, run one command, close. */
export async function runCommand(target: SshTarget, command: string, options: RunOptions = {}): Promise<CommandResult> {
  const session = await connectPinned(target);
  try {
    return await session.run(command, options);
  } finally {
    session.close();
  }
}

/**
 * Connects repeatedly until the host answers with the pinned key and runs `true`, or the time is
 * up. Connection errors are retried (the host may still be booting); a key mismatch is not.
 * @throws Error naming the host and the last error when `timeoutMs` passes.
 */
export async function waitForSsh(target: SshTarget, timeoutMs: number): Promise<void> {
  const label = target.label ?? target.host;
  const deadline = Date.now() + timeoutMs;
  let lastError: Error | undefined;
  while (Date.now() < deadline) {
    try {
      const remaining = Math.max(1_000, Math.min(5_000, deadline - Date.now()));
      const result = await runCommand({ ...target, connectTimeoutMs: remaining }, "true");
      if (result.exitCode === 0) return;
      lastError = new Error(`"true" exited with ${result.exitCode}: ${result.stderr.trim()}`);
    } catch (error) {
      if (error instanceof HostKeyMismatchError) throw error;
      lastError = error as Error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${label} (${target.host}) did not answer ssh within ${Math.round(timeoutMs / 1000)} s` +
      (lastError !== undefined ? `; last error: ${lastError.message}` : ""),
  );
}
