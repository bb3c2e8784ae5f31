/**
 * remote/ssh.ts against ssh2 servers on loopback (ephemeral ports, generated keys): commands,
 * stdin, exit codes and streamed output over pooled and one-use connections; the pinned key
 * checked before anything else and a mismatch never retried; waiting for a host; reading the key a
 * host presents without logging in.
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeAllConnections,
  fetchPresentedHostKey,
  HostKeyMismatchError,
  runCommand,
  SshEndpoint,
  waitForSsh,
  withConnection,
} from "../../remote/ssh";
import { fingerprintOf, testKeyPair, withoutComment } from "../support/sshKeys";
import { closedPort, LoopbackSshServer, silentServer, startSshServer } from "../support/sshServer";

const hostKey = testKeyPair("ed25519", "root@server");
const otherHostKey = testKeyPair("ed25519", "root@reinstalled");
const ecdsaHostKey = testKeyPair("ecdsa", "root@ecdsa-server");
const clientKey = testKeyPair("ed25519", "operator");

let server: LoopbackSshServer;
let silent: Awaited<ReturnType<typeof silentServer>>;
let refusingPort: number;
const keyDirectory = mkdtempSync(join(tmpdir(), "remote-ssh-test-"));
const privateKeyPath = join(keyDirectory, "id_ed25519");

beforeAll(async () => {
  writeFileSync(privateKeyPath, clientKey.privateKey, { mode: 0o600 });
  server = await startSshServer(hostKey.privateKey, clientKey.publicKey);
  silent = await silentServer();
  refusingPort = await closedPort();
});

afterAll(async () => {
  await closeAllConnections();
  server.close();
  silent.close();
  rmSync(keyDirectory, { recursive: true, force: true });
});

function endpoint(overrides: Partial<SshEndpoint> = {}): SshEndpoint {
  return { hostName: "compute1", address: "127.0.0.1", port: server.port, privateKeyPath, hostPublicKey: hostKey.publicKey, ...overrides };
}

/** The server's log from now on: what one action did on the server. */
function logSince(): () => { connections: number; authentications: number; commands: string[] } {
  const before = { ...server.log, commands: [...server.log.commands] };
  return () => ({
    connections: server.log.connections - before.connections,
    authentications: server.log.authentications - before.authentications,
    commands: server.log.commands.slice(before.commands.length),
  });
}

/** A mismatch names the host, both fingerprints and the way out, and nothing reached the host. */
function expectMismatch(error: unknown, port: number): void {
  expect(error).toBeInstanceOf(HostKeyMismatchError);
  const pinned = fingerprintOf(otherHostKey.publicKey);
  const presented = fingerprintOf(hostKey.publicKey);
  expect(error).toMatchObject({ name: "HostKeyMismatchError", pinnedFingerprint: pinned, presentedFingerprint: presented });
  const message = (error as Error).message;
  expect(message.split("\n")[0]).toBe(
    `host key of compute1 (127.0.0.1:${port}) does not match the pinned key: pinned ${pinned}, presented ${presented}`,
  );
  expect(message).toContain("the connection stopped before logging in; nothing was run on this host");
  expect(message).toContain("out of band");
  expect(message).toContain(`\n  nova-installer hosts trust compute1 --stack STACK --fingerprint ${presented}\n`);
}

describe("runCommand (pooled connections)", () => {
  it("runs a command with the pinned key and returns stdout and the exit code, a failing one included", async () => {
    expect(await runCommand(endpoint(), "hostname")).toEqual({ stdout: "ran: hostname\n", stderr: "", exitCode: 0 });
    expect(await runCommand(endpoint(), "exit 3")).toEqual({ stdout: "", stderr: "", exitCode: 3 });
  });

  it("passes stdin, keeps stdout and stderr apart, and streams both as they arrive", async () => {
    const streamed = { stdout: "", stderr: "" };
    const result = await runCommand(endpoint(), "echo-stdin", {
      stdin: "secret\n",
      onStdout: (chunk) => (streamed.stdout += chunk.toString()),
      onStderr: (chunk) => (streamed.stderr += chunk.toString()),
    });
    expect(result).toEqual({ stdout: "secret\n", stderr: "done\n", exitCode: 0 });
    expect(streamed).toEqual({ stdout: "secret\n", stderr: "done\n" });
  });

  it("runs many commands on one connection, until closeAllConnections", async () => {
    await closeAllConnections();
    const since = logSince();
    await Promise.all(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map((name) => runCommand(endpoint(), `echo ${name}`)));
    expect(since().connections).toBe(1);
    await closeAllConnections();
    await runCommand(endpoint(), "hostname");
    expect(since().connections).toBe(2);
  });

  it("abandons a command that outlives its timeout", async () => {
    await expect(runCommand(endpoint(), "hang", { timeoutMs: 200 })).rejects.toThrow("compute1: command did not finish within 0.2 s");
  });

  it("refuses another key once, before authenticating, with a message that says what happened and what to do", async () => {
    const since = logSince();
    const error = await runCommand(endpoint({ hostPublicKey: otherHostKey.publicKey }), "hostname").catch((caught: unknown) => caught);
    expectMismatch(error, server.port);
    // Never retried, and nothing reached the host: one handshake, no login, no command.
    expect(since()).toEqual({ connections: 1, authentications: 0, commands: [] });
  });

  it("fails at once, naming the host and the file, when the private key cannot be read", async () => {
    const started = Date.now();
    await expect(runCommand(endpoint({ privateKeyPath: join(keyDirectory, "missing") }), "hostname")).rejects.toThrow(
      `cannot read the SSH private key for compute1 (${join(keyDirectory, "missing")})`,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("withConnection (a connection for one use)", () => {
  it("runs commands with stdin and streamed output on a connection of its own, closed afterwards", async () => {
    const since = logSince();
    const disconnectionsBefore = server.log.disconnections;
    const streamed: string[] = [];
    const results = await withConnection(endpoint(), async (session) => [
      await session.run("echo-stdin", { stdin: Buffer.from("secret\n"), onStdout: (chunk) => streamed.push(chunk.toString()) }),
      await session.run("exit 7"),
    ]);
    expect(results).toEqual([
      { stdout: "secret\n", stderr: "done\n", exitCode: 0 },
      { stdout: "", stderr: "", exitCode: 7 },
    ]);
    expect(streamed.join("")).toBe("secret\n");
    expect(since()).toMatchObject({ connections: 1, commands: ["echo-stdin", "exit 7"] });
    await expect.poll(() => server.log.disconnections - disconnectionsBefore).toBe(1);
  });

  it("opens a login shell on a pseudo-terminal", async () => {
    const output = await withConnection(endpoint(), async (session) => {
      const channel = await session.shell({ rows: 24, cols: 80, term: "xterm-test" });
      const chunks: Buffer[] = [];
      channel.on("data", (chunk: Buffer) => chunks.push(chunk));
      await new Promise((resolve) => channel.on("close", resolve));
      return Buffer.concat(chunks).toString();
    });
    expect(output).toBe("shell on xterm-test\n");
  });

  it("refuses another key once, before authenticating", async () => {
    const since = logSince();
    const error = await withConnection(endpoint({ hostPublicKey: otherHostKey.publicKey }), () => Promise.resolve("used")).catch(
      (caught: unknown) => caught,
    );
    expectMismatch(error, server.port);
    expect(since()).toEqual({ connections: 1, authentications: 0, commands: [] });
  });

  it("names the host and its address when nobody answers, after one attempt", async () => {
    await expect(withConnection(endpoint({ port: refusingPort }), () => Promise.resolve("used"))).rejects.toThrow(
      new RegExp(`^cannot reach compute1 over SSH at 127\\.0\\.0\\.1:${refusingPort}: .*ECONNREFUSED`),
    );
  });

  it("gives up after its connect timeout on a peer that never speaks SSH", async () => {
    const started = Date.now();
    await expect(withConnection(endpoint({ port: silent.port }), () => Promise.resolve("used"), { connectTimeoutMs: 300 })).rejects.toThrow(
      /^cannot reach compute1 over SSH/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe("waitForSsh", () => {
  it("returns once the host answers and runs a command", async () => {
    const since = logSince();
    await waitForSsh(endpoint(), { timeoutMs: 5_000 });
    expect(since().commands).toEqual(["true"]);
  });

  it("does not retry a key mismatch: waiting does not change a key", async () => {
    const since = logSince();
    const error = await waitForSsh(endpoint({ hostPublicKey: otherHostKey.publicKey }), { timeoutMs: 5_000 }).catch((caught: unknown) => caught);
    expectMismatch(error, server.port);
    expect(since()).toEqual({ connections: 1, authentications: 0, commands: [] });
  });

  it("gives up on a port nobody answers, naming the host and the last error", async () => {
    await expect(waitForSsh(endpoint({ hostName: "nobody", port: refusingPort }), { timeoutMs: 1_500 })).rejects.toThrow(
      new RegExp(`^nobody \\(127\\.0\\.0\\.1:${refusingPort}\\) did not answer ssh within 2 s; last error: cannot reach nobody over SSH`),
    );
  });

  it("stops when the check before an attempt says the host is gone", async () => {
    let attempts = 0;
    const beforeAttempt = (): void => {
      if (++attempts === 3) throw new Error("the machine exited");
    };
    await expect(waitForSsh(endpoint({ port: refusingPort }), { timeoutMs: 10_000, beforeAttempt })).rejects.toThrow("the machine exited");
    expect(attempts).toBe(3);
  });
});

describe("fetchPresentedHostKey", () => {
  let ecdsa: LoopbackSshServer;
  beforeAll(async () => (ecdsa = await startSshServer(ecdsaHostKey.privateKey, clientKey.publicKey)));
  afterAll(() => ecdsa.close());

  it("returns the key the server presents, as a pinned line and its fingerprint, without logging in", async () => {
    const since = logSince();
    const presented = await fetchPresentedHostKey("127.0.0.1", server.port);
    expect(presented).toEqual({ line: withoutComment(hostKey.publicKey), fingerprint: fingerprintOf(hostKey.publicKey) });
    expect(presented.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(since()).toEqual({ connections: 1, authentications: 0, commands: [] });
  });

  it("reads other key types as they name themselves", async () => {
    const presented = await fetchPresentedHostKey("127.0.0.1", ecdsa.port);
    expect(presented.line).toBe(withoutComment(ecdsaHostKey.publicKey));
    expect(presented.line.startsWith("ecdsa-sha2-nistp256 ")).toBe(true);
  });

  it("fails with the reason when nobody listens", async () => {
    await expect(fetchPresentedHostKey("127.0.0.1", refusingPort, 2_000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("gives up after its timeout on a peer that never speaks SSH", async () => {
    const started = Date.now();
    await expect(fetchPresentedHostKey("127.0.0.1", silent.port, 300)).rejects.toThrow(/0\.3 s|[Tt]imed out/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
