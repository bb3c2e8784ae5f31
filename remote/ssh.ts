/**
 * The installer's SSH client, on ssh2: pinned host keys, commands fed on stdin, output collected
 * (and streamed when asked for). Every ssh2 connection the installer, its CLI and its lab open is
 * opened here.
 *
 * Every connection checks the host key against the one pinned for the host; there is no
 * "accept on first use". Two ways to connect:
 * - pooled (`runCommand`, `closeAllConnections`): a deployment of many steps on one host pays for
 *   one handshake, a host slow to answer is retried a few times, and the number of channels open
 *   at once on a connection stays under sshd's default MaxSessions (10);
 * - for one use (`withConnection`, `waitForSsh`): a connection of its own, closed when the use is
 *   over, for what must not share or outlive its connection: an interactive shell, a command
 *   streaming to the terminal, waiting for a booting host, a status check.
 * `fetchPresentedHostKey` reads the key a host presents without logging in (`hosts show|trust`).
 */
import { readFileSync } from "fs";
import { Client, ClientChannel, PseudoTtyOptions } from "ssh2";
import { Readable } from "stream";
import { fingerprint, publicKeyBlob, publicKeyLine } from "../lib/sshKeys";

/** Where and how to reach one host. */
export interface SshEndpoint {
  /** The host's inventory name, used in messages. */
  readonly hostName: string;
  /** IP address or DNS name to connect to. */
  readonly address: string;
  /** Default 22. */
  readonly port?: number;
  /** Default "root". */
  readonly user?: string;
  /** Private key file on the machine running the installer (never copied into state). */
  readonly privateKeyPath: string;
  /** The host's public key as in known_hosts or *.pub: "ssh-ed25519 AAAA... [comment]". */
  readonly hostPublicKey: string;
}

export interface CommandResult {
  readonly stdout: string;
  /** Ends with "(killed by signal SIG...)" when a signal ended the command. */
  readonly stderr: string;
  /** The command's exit status; 255 when the host reported none (killed by a signal). */
  readonly exitCode: number;
}

export interface RunOptions {
  /**
   * Written to the command's stdin, then stdin is closed. A stream is piped (a file too large to
   * hold in memory); it is read only once the command started. Default: nothing.
   */
  readonly stdin?: string | Buffer | Readable;
  /**
   * The command is abandoned (and the channel closed) after this long. Default 30 minutes;
   * `Infinity` for none (a command an operator watches and can interrupt).
   */
  readonly timeoutMs?: number;
  /** Called with stdout as it arrives (to stream it to a terminal); it is collected all the same. */
  readonly onStdout?: (chunk: Buffer) => void;
  /** Called with stderr as it arrives; it is collected all the same. */
  readonly onStderr?: (chunk: Buffer) => void;
}

export interface ConnectOptions {
  /** TCP connect and SSH handshake together. Default 20 s. */
  readonly connectTimeoutMs?: number;
}

/** A connection opened for one use (`withConnection`); closed when the use is over. */
export interface SshSession {
  /** Runs one command; as `runCommand`. */
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  /** Opens a login shell on a pseudo-terminal; the caller wires the channel to its terminal. */
  shell(window: PseudoTtyOptions): Promise<ClientChannel>;
}

/**
 * Raised when the host presents a key other than the pinned one. It is raised during the
 * handshake, before authentication, so no command reached the host; it is never retried (a
 * changed key does not change back by waiting, and retrying would only hide an attack).
 * The first line stands alone (doctor prints only that); the rest says what to do.
 */
export class HostKeyMismatchError extends Error {
  constructor(
    readonly endpoint: SshEndpoint,
    readonly presentedFingerprint: string,
    readonly pinnedFingerprint: string,
  ) {
    const hostName = endpoint.hostName;
    super(
      [
        `host key of ${hostName} (${where(endpoint)}) does not match the pinned key: ` +
          `pinned ${pinnedFingerprint}, presented ${presentedFingerprint}`,
        `the connection stopped before logging in; nothing was run on this host.`,
        `If ${hostName} was reinstalled or its host keys regenerated, verify ${presentedFingerprint} out of band ` +
          `(for example on its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then trust the new key with:`,
        `  nova-installer hosts trust ${hostName} --stack STACK --fingerprint ${presentedFingerprint}`,
        `If nothing changed on ${hostName}, something else may be answering at its address: do not trust the key.`,
      ].join("\n"),
    );
    this.name = "HostKeyMismatchError";
  }
}

const maxChannelsPerConnection = 8;
const connectAttempts = 5;
const connectRetryDelayMs = 2_000;
const defaultConnectTimeoutMs = 20_000;
const defaultCommandTimeoutMs = 30 * 60_000;

function where(endpoint: SshEndpoint): string {
  return `${endpoint.address}:${endpoint.port ?? 22}`;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** The private key, read once per connection attempt series: a missing file does not appear by retrying. */
function readPrivateKey(endpoint: SshEndpoint): Buffer {
  try {
    return readFileSync(endpoint.privateKeyPath);
  } catch (error) {
    throw new Error(`cannot read the SSH private key for ${endpoint.hostName} (${endpoint.privateKeyPath}): ${reason(error)}`);
  }
}

/** One connection attempt; the host must present the pinned key. */
function connectOnce(endpoint: SshEndpoint, privateKey: Buffer, timeoutMs: number): Promise<Client> {
  const pinned = publicKeyBlob(endpoint.hostPublicKey, endpoint.hostName);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch: HostKeyMismatchError | undefined;
    client
      .on("ready", () => resolve(client))
      // Once ready, an error only ends the connection (the pool forgets it); before, it fails the attempt.
      .on("error", (error) => {
        client.end();
        reject(mismatch ?? error);
      })
      .connect({
        host: endpoint.address,
        port: endpoint.port ?? 22,
        username: endpoint.user ?? "root",
        privateKey,
        readyTimeout: timeoutMs,
        keepaliveInterval: 15_000,
        hostVerifier: (presented: Buffer) => {
          if (presented.equals(pinned)) {
            return true;
          }
          mismatch = new HostKeyMismatchError(endpoint, fingerprint(presented), fingerprint(pinned));
          return false;
        },
      });
  });
}

/** The command could not even start: the connection is unusable (nothing ran on the host). */
class ChannelOpenError extends Error {}

/**
 * Runs one command on an open connection and collects its output. A non-zero exit code is
 * returned, not thrown: callers decide what failure means.
 */
function execute(client: Client, endpoint: SshEndpoint, command: string, options: RunOptions): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? defaultCommandTimeoutMs;
  return new Promise<CommandResult>((resolve, reject) => {
    client.exec(command, (error: Error | undefined, channel: ClientChannel) => {
      if (error) {
        reject(new ChannelOpenError(`${endpoint.hostName}: cannot start a command: ${error.message}`));
        return;
      }
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            channel.close();
            reject(new Error(`${endpoint.hostName}: command did not finish within ${timeoutMs / 1000} s`));
          }, timeoutMs)
        : undefined;
      channel.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        options.onStdout?.(chunk);
      });
      channel.stderr.on("data", (chunk: Buffer) => {
        stderr.push(chunk);
        options.onStderr?.(chunk);
      });
      const stdin = options.stdin;
      channel.on("close", (exitCode: number | null, signal?: string) => {
        clearTimeout(timer);
        // A command that exits before reading all of its stdin leaves the rest unread: stop reading it.
        if (stdin instanceof Readable) {
          stdin.unpipe(channel);
          stdin.destroy();
        }
        resolve({
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8") + (signal ? `\n(killed by signal ${signal})` : ""),
          exitCode: exitCode ?? 255,
        });
      });
      if (stdin instanceof Readable) {
        stdin.once("error", (streamError: Error) => {
          clearTimeout(timer);
          channel.close();
          reject(new Error(`${endpoint.hostName}: cannot read the command's input: ${streamError.message}`));
        });
        stdin.pipe(channel);
      } else {
        channel.end(stdin ?? "");
      }
    });
  });
}

// ---- pooled connections ----------------------------------------------------------------------

/** One pooled connection and the channels waiting for a free slot on it. */
interface PooledConnection {
  readonly client: Client;
  openChannels: number;
  readonly waiting: (() => void)[];
}

const pool = new Map<string, Promise<PooledConnection>>();

function poolKey(endpoint: SshEndpoint): string {
  return [endpoint.user ?? "root", endpoint.address, endpoint.port ?? 22, endpoint.privateKeyPath, endpoint.hostPublicKey].join("|");
}

/** Connects with bounded retries; a host key mismatch is never retried. */
async function connectWithRetries(endpoint: SshEndpoint): Promise<PooledConnection> {
  const privateKey = readPrivateKey(endpoint);
  let lastError: unknown;
  for (let attempt = 1; attempt <= connectAttempts; attempt++) {
    try {
      return { client: await connectOnce(endpoint, privateKey, defaultConnectTimeoutMs), openChannels: 0, waiting: [] };
    } catch (error) {
      if (error instanceof HostKeyMismatchError) {
        throw error;
      }
      lastError = error;
      if (attempt < connectAttempts) {
        await sleep(connectRetryDelayMs);
      }
    }
  }
  throw new Error(`cannot reach ${endpoint.hostName} over SSH at ${where(endpoint)} after ${connectAttempts} attempts: ${reason(lastError)}`);
}

function pooledConnection(endpoint: SshEndpoint): Promise<PooledConnection> {
  const key = poolKey(endpoint);
  let connection = pool.get(key);
  if (connection === undefined) {
    connection = connectWithRetries(endpoint);
    pool.set(key, connection);
    const forget = () => pool.delete(key);
    connection.then((pooled) => pooled.client.on("close", forget).on("error", forget), forget);
  }
  return connection;
}

async function acquireChannelSlot(connection: PooledConnection): Promise<void> {
  while (connection.openChannels >= maxChannelsPerConnection) {
    await new Promise<void>((resolve) => connection.waiting.push(resolve));
  }
  connection.openChannels++;
}

function releaseChannelSlot(connection: PooledConnection): void {
  connection.openChannels--;
  connection.waiting.shift()?.();
}

function forgetConnection(endpoint: SshEndpoint): void {
  const connection = pool.get(poolKey(endpoint));
  pool.delete(poolKey(endpoint));
  connection?.then((pooled) => pooled.client.end()).catch(() => undefined);
}

async function runOnPooledConnection(endpoint: SshEndpoint, command: string, options: RunOptions): Promise<CommandResult> {
  const connection = await pooledConnection(endpoint);
  await acquireChannelSlot(connection);
  try {
    return await execute(connection.client, endpoint, command, options);
  } finally {
    releaseChannelSlot(connection);
  }
}

/**
 * Runs one command on the host over its pooled connection and collects its output. A non-zero
 * exit code is returned, not thrown: callers decide what failure means. Connection problems are
 * thrown, after a few attempts for a host that does not answer (never for a changed host key).
 */
export async function runCommand(endpoint: SshEndpoint, command: string, options: RunOptions = {}): Promise<CommandResult> {
  try {
    return await runOnPooledConnection(endpoint, command, options);
  } catch (error) {
    if (!(error instanceof ChannelOpenError)) {
      throw error;
    }
    // A pooled connection the host dropped while idle: forget it and try once on a fresh one.
    forgetConnection(endpoint);
    return runOnPooledConnection(endpoint, command, options);
  }
}

/** Closes every pooled connection (tests and short-lived CLI commands call this before exiting). */
export async function closeAllConnections(): Promise<void> {
  const connections = [...pool.values()];
  pool.clear();
  for (const connection of connections) {
    try {
      (await connection).client.end();
    } catch {
      // A connection that never opened has nothing to close.
    }
  }
}

// ---- connections for one use -----------------------------------------------------------------

/**
 * Opens a connection of its own (one attempt, not pooled), hands it to `use`, and closes it when
 * `use` settles.
 * @throws HostKeyMismatchError when the host presents another key than the pinned one
 * @throws Error "cannot reach <host> over SSH at <address:port>: <reason>" when the connection fails
 */
export async function withConnection<T>(endpoint: SshEndpoint, use: (session: SshSession) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const client = await connectOnce(endpoint, readPrivateKey(endpoint), options.connectTimeoutMs ?? defaultConnectTimeoutMs).catch(
    (error: unknown) => {
      throw error instanceof HostKeyMismatchError
        ? error
        : new Error(`cannot reach ${endpoint.hostName} over SSH at ${where(endpoint)}: ${reason(error)}`);
    },
  );
  const session: SshSession = {
    run: (command, runOptions = {}) => execute(client, endpoint, command, runOptions),
    shell: (window) =>
      new Promise((resolve, reject) =>
        client.shell(window, (error: Error | undefined, channel: ClientChannel) => (error ? reject(error) : resolve(channel))),
      ),
  };
  try {
    return await use(session);
  } finally {
    client.end();
  }
}

export interface WaitOptions {
  /** How long to keep trying. */
  readonly timeoutMs: number;
  /** Called before every attempt; what it throws ends the wait (the lab: the host's machine exited while booting). */
  readonly beforeAttempt?: () => void;
}

/**
 * Connects repeatedly until the host answers with the pinned key and runs `true`, or the time is
 * up: for hosts that are still booting. Connection errors are retried; a key mismatch is not.
 * @throws Error "<host> (<address:port>) did not answer ssh within N s; last error: ..." when the time is up
 */
export async function waitForSsh(endpoint: SshEndpoint, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown = "no attempt made";
  do {
    options.beforeAttempt?.();
    try {
      const connectTimeoutMs = Math.max(1_000, Math.min(5_000, deadline - Date.now()));
      const result = await withConnection(endpoint, (session) => session.run("true", { timeoutMs: Math.max(5_000, deadline - Date.now()) }), {
        connectTimeoutMs,
      });
      if (result.exitCode === 0) {
        return;
      }
      lastError = `"true" exited with ${result.exitCode}: ${result.stderr.trim()}`;
    } catch (error) {
      if (error instanceof HostKeyMismatchError) {
        throw error;
      }
      lastError = error;
    }
    await sleep(250);
  } while (Date.now() < deadline);
  throw new Error(
    `${endpoint.hostName} (${where(endpoint)}) did not answer ssh within ${Math.round(options.timeoutMs / 1000)} s; last error: ${reason(lastError)}`,
  );
}

// ---- the key a host presents -----------------------------------------------------------------

/** How long reading one host's key may take, TCP connect and key exchange together. */
const hostKeyFetchTimeoutMs = 10_000;

/** The key a host presents during the key exchange. */
export interface PresentedHostKey {
  /** "<type> <base64>", the form a stack pins. */
  readonly line: string;
  /** "SHA256:...", as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

/**
 * Connects to address:port and returns the host key the server presents, without
 * authenticating: the key is rejected in `hostVerifier` once copied, so nothing authenticates and
 * nothing runs on the host. The key algorithm is negotiated with ssh2's defaults, as in every
 * other connection here, so this is the key a deployment would be shown.
 * @throws Error with the reason (refused, timed out, not SSH, ...) when no key arrives in time
 */
export function fetchPresentedHostKey(address: string, port: number, timeoutMs = hostKeyFetchTimeoutMs): Promise<PresentedHostKey> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      // Not from inside ssh2's callbacks: it still writes its own disconnect after a rejected key.
      setImmediate(() => client.destroy());
    };
    // readyTimeout covers only the SSH handshake; this covers a TCP connect nobody answers, too.
    const timer = setTimeout(() => settle(() => reject(new Error(`no SSH host key within ${timeoutMs / 1000} s`))), timeoutMs);
    client
      // Rejecting the key in hostVerifier makes ssh2 report an error: expected once settled.
      .on("error", (error) => settle(() => reject(error)))
      .on("close", () => settle(() => reject(new Error("the connection closed before the server presented a host key"))))
      .connect({
        host: address,
        port,
        username: "nova-installer-host-key-check",
        readyTimeout: timeoutMs,
        hostVerifier: (presented: Buffer) => {
          const copy = Buffer.from(presented);
          settle(() => {
            try {
              resolve({ line: publicKeyLine(copy), fingerprint: fingerprint(copy) });
            } catch (error) {
              reject(error);
            }
          });
          return false;
        },
      });
  });
}
