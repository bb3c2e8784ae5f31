/**
 * Our own SSH client on ssh2: pinned host keys, commands fed on stdin, pooled connections.
 *
 * Every connection checks the host key against the one pinned in stack config; there is no
 * "accept on first use". Connections are reused per endpoint so a deployment of many steps on
 * one host pays for one handshake, and the number of channels open at once on a connection
 * stays under sshd's default MaxSessions (10).
 */
import { readFileSync } from "fs";
import { Client, ClientChannel } from "ssh2";
import { fingerprint, publicKeyBlob } from "../lib/sshKeys";

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
  readonly stderr: string;
  readonly exitCode: number;
}

export interface RunOptions {
  /** Written to the command's stdin, then stdin is closed. */
  readonly stdin?: string;
  /** The command is abandoned (and the channel closed) after this long. Default 30 minutes. */
  readonly timeoutMs?: number;
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
        `host key of ${hostName} (${endpoint.address}:${endpoint.port ?? 22}) does not match the pinned key: ` +
          `pinned ${pinnedFingerprint}, presented ${presentedFingerprint}`,
        `the deploy stopped; nothing was run on this host.`,
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
const connectTimeoutMs = 20_000;
const defaultCommandTimeoutMs = 30 * 60_000;

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

function connectOnce(endpoint: SshEndpoint): Promise<PooledConnection> {
  const pinned = publicKeyBlob(endpoint.hostPublicKey, endpoint.hostName);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch: HostKeyMismatchError | undefined;
    client
      .on("ready", () => resolve({ client, openChannels: 0, waiting: [] }))
      .on("error", (error) => reject(mismatch ?? error))
      .connect({
        host: endpoint.address,
        port: endpoint.port ?? 22,
        username: endpoint.user ?? "root",
        privateKey: readFileSync(endpoint.privateKeyPath),
        readyTimeout: connectTimeoutMs,
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

/** Connects with bounded retries; a host key mismatch is never retried. */
async function connect(endpoint: SshEndpoint): Promise<PooledConnection> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= connectAttempts; attempt++) {
    try {
      return await connectOnce(endpoint);
    } catch (error) {
      if (error instanceof HostKeyMismatchError) {
        throw error;
      }
      lastError = error;
      if (attempt < connectAttempts) {
        await new Promise((resolve) => setTimeout(resolve, connectRetryDelayMs));
      }
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `cannot reach ${endpoint.hostName} over SSH at ${endpoint.address}:${endpoint.port ?? 22} after ${connectAttempts} attempts: ${reason}`,
  );
}

function pooledConnection(endpoint: SshEndpoint): Promise<PooledConnection> {
  const key = poolKey(endpoint);
  let connection = pool.get(key);
  if (connection === undefined) {
    connection = connect(endpoint);
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

/**
 * Runs one command on the host and collects its output. A non-zero exit code is returned,
 * not thrown: callers decide what failure means. Connection problems are thrown.
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

/** The command could not even start: the connection is unusable (nothing ran on the host). */
class ChannelOpenError extends Error {}

function forgetConnection(endpoint: SshEndpoint): void {
  const connection = pool.get(poolKey(endpoint));
  pool.delete(poolKey(endpoint));
  connection?.then((pooled) => pooled.client.end()).catch(() => undefined);
}

async function runOnPooledConnection(endpoint: SshEndpoint, command: string, options: RunOptions): Promise<CommandResult> {
  const connection = await pooledConnection(endpoint);
  await acquireChannelSlot(connection);
  try {
    return await new Promise<CommandResult>((resolve, reject) => {
      connection.client.exec(command, (error: Error | undefined, channel: ClientChannel) => {
        if (error) {
          reject(new ChannelOpenError(`${endpoint.hostName}: cannot start a command: ${error.message}`));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        const timer = setTimeout(() => {
          channel.close();
          reject(new Error(`${endpoint.hostName}: command did not finish within ${(options.timeoutMs ?? defaultCommandTimeoutMs) / 1000} s`));
        }, options.timeoutMs ?? defaultCommandTimeoutMs);
        channel.on("data", (chunk: Buffer) => stdout.push(chunk));
        channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        channel.on("close", (exitCode: number | null, signal?: string) => {
          clearTimeout(timer);
          resolve({
            stdout: Buffer.concat(stdout).toString("utf8"),
            stderr: Buffer.concat(stderr).toString("utf8") + (signal ? `\n(killed by signal ${signal})` : ""),
            exitCode: exitCode ?? 255,
          });
        });
        channel.end(options.stdin ?? "");
      });
    });
  } finally {
    releaseChannelSlot(connection);
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
