/**
 * `hosts show|trust` and the pinned-key error of remote/ssh.ts, against ssh2 servers on loopback
 * (ephemeral ports, generated host keys): reading a presented key without logging in, the trust
 * decision, the messages, and a changed key stopping a command before anything runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { AddressInfo, createServer, Server as TcpServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { Server, utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decideTrust,
  fetchPresentedHostKey,
  findHost,
  formatHostKeyTable,
  hostKeyRow,
  hostKeyTableExitCode,
  isPinned,
  PresentedHostKey,
  trustCommandLine,
  trustReport,
} from "../../cli/hostKeys";
import type { HostConfig } from "../../config/types";
import { fingerprint, keyType, publicKeyBlob, publicKeyLine } from "../../lib/sshKeys";
import { testKeyPair } from "../support/sshKeys";
import { closeAllConnections, HostKeyMismatchError, runCommand } from "../../remote/ssh";

const keyPair = testKeyPair;

const hostKey = keyPair("ed25519", "root@server");
const otherHostKey = keyPair("ed25519", "root@reinstalled");
const ecdsaHostKey = keyPair("ecdsa", "root@ecdsa-server");
const clientKey = keyPair("ed25519", "operator");

const fingerprintOf = (publicKey: string): string => fingerprint(publicKeyBlob(publicKey));
const withoutComment = (publicKey: string): string => publicKey.split(" ").slice(0, 2).join(" ");

/** What a server saw: connections, authentication attempts and commands. */
interface ServerLog {
  connections: number;
  authentications: number;
  commands: string[];
}

/** An ssh2 server on 127.0.0.1 that accepts clientKey and answers every command with "ran". */
async function startServer(hostPrivateKey: string): Promise<{ server: Server; port: number; log: ServerLog }> {
  const log: ServerLog = { connections: 0, authentications: 0, commands: [] };
  const allowed = utils.parseKey(clientKey.publicKey);
  if (allowed instanceof Error) throw allowed;
  const server = new Server({ hostKeys: [hostPrivateKey] }, (client) => {
    log.connections++;
    client
      .on("authentication", (context) => {
        log.authentications++;
        if (context.method === "publickey" && context.key.data.equals(allowed.getPublicSSH())) context.accept();
        else context.reject(["publickey"]);
      })
      .on("ready", () => {
        client.on("session", (accept) => {
          accept().on("exec", (acceptExec, _reject, info) => {
            log.commands.push(info.command);
            const stream = acceptExec();
            stream.write("ran\n");
            stream.exit(0);
            stream.end();
          });
        });
      })
      .on("error", () => undefined);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  return { server, port, log };
}

function host(overrides: Partial<HostConfig> = {}): HostConfig {
  return { name: "compute1", role: "compute", address: "192.0.2.11", port: 22, hostPublicKey: hostKey.publicKey, ...overrides };
}

const presentedBy = (publicKey: string): PresentedHostKey => ({ line: withoutComment(publicKey), fingerprint: fingerprintOf(publicKey) });

describe("OpenSSH key lines from key blobs", () => {
  it("gives back the pinned form of a key, without its comment", () => {
    const blob = publicKeyBlob(hostKey.publicKey);
    expect(keyType(blob)).toBe("ssh-ed25519");
    expect(publicKeyLine(blob)).toBe(withoutComment(hostKey.publicKey));
    expect(publicKeyLine(publicKeyBlob(ecdsaHostKey.publicKey))).toMatch(/^ecdsa-sha2-nistp256 AAAA/);
  });

  it("refuses data that is not a key blob", () => {
    expect(() => keyType(Buffer.from([0, 0, 0, 200, 1, 2]))).toThrow(/not an SSH public key blob/);
    expect(() => keyType(Buffer.alloc(2))).toThrow(/not an SSH public key blob/);
  });
});

describe("fetchPresentedHostKey against ssh2 servers on loopback", () => {
  let ed25519: Awaited<ReturnType<typeof startServer>>;
  let ecdsa: Awaited<ReturnType<typeof startServer>>;
  let silent: TcpServer;
  let silentPort: number;

  beforeAll(async () => {
    ed25519 = await startServer(hostKey.privateKey);
    ecdsa = await startServer(ecdsaHostKey.privateKey);
    // Accepts TCP connections and never says a word: only the timeout ends the wait.
    silent = createServer(() => undefined);
    silentPort = await new Promise<number>((resolve) => silent.listen(0, "127.0.0.1", () => resolve((silent.address() as AddressInfo).port)));
  });

  afterAll(() => {
    ed25519.server.close();
    ecdsa.server.close();
    silent.close();
  });

  it("returns the key the server presents, as a pinned line and its fingerprint, without logging in", async () => {
    const presented = await fetchPresentedHostKey("127.0.0.1", ed25519.port);
    expect(presented).toEqual({ line: withoutComment(hostKey.publicKey), fingerprint: fingerprintOf(hostKey.publicKey) });
    expect(presented.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(ed25519.log.authentications).toBe(0);
    expect(ed25519.log.commands).toEqual([]);
  });

  it("reads other key types as they name themselves", async () => {
    const presented = await fetchPresentedHostKey("127.0.0.1", ecdsa.port);
    expect(presented.line).toBe(withoutComment(ecdsaHostKey.publicKey));
    expect(presented.line.startsWith("ecdsa-sha2-nistp256 ")).toBe(true);
  });

  it("fails with the reason when nobody listens", async () => {
    const closed = createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, "127.0.0.1", () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchPresentedHostKey("127.0.0.1", port, 2_000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("gives up after its timeout on a peer that never speaks SSH", async () => {
    const started = Date.now();
    await expect(fetchPresentedHostKey("127.0.0.1", silentPort, 300)).rejects.toThrow(/0\.3 s|[Tt]imed out/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("the trust decision", () => {
  const pinned = host();
  const reinstalled = presentedBy(otherHostKey.publicKey);

  it("is 'already trusted' when the host presents the pinned key, whatever --fingerprint says", () => {
    for (const given of [undefined, "", "SHA256:whatever", fingerprintOf(hostKey.publicKey)]) {
      expect(decideTrust(pinned, presentedBy(hostKey.publicKey), given)).toEqual({
        outcome: "already trusted",
        pinnedFingerprint: fingerprintOf(hostKey.publicKey),
        presentedFingerprint: fingerprintOf(hostKey.publicKey),
      });
    }
  });

  it("compares key data, not the comment on the pinned line", () => {
    expect(isPinned(host({ hostPublicKey: `${withoutComment(hostKey.publicKey)} some other comment` }), presentedBy(hostKey.publicKey))).toBe(true);
    expect(isPinned(host({ hostPublicKey: "ssh-ed25519 AAAAbroken" }), presentedBy(hostKey.publicKey))).toBe(false);
  });

  it("writes nothing without --fingerprint", () => {
    for (const given of [undefined, "", "  "]) {
      const decision = decideTrust(pinned, reinstalled, given);
      expect(decision.outcome).toBe("fingerprint missing");
      expect(decision.newHostPublicKey).toBeUndefined();
    }
  });

  it("writes nothing when --fingerprint is not the presented key's", () => {
    for (const given of [fingerprintOf(hostKey.publicKey), fingerprintOf(otherHostKey.publicKey).replace("SHA256:", ""), fingerprintOf(otherHostKey.publicKey).toLowerCase()]) {
      const decision = decideTrust(pinned, reinstalled, given);
      expect(decision.outcome).toBe("fingerprint differs");
      expect(decision.newHostPublicKey).toBeUndefined();
    }
  });

  it("writes the presented key, without comment, when --fingerprint is the presented key's", () => {
    expect(decideTrust(pinned, reinstalled, ` ${fingerprintOf(otherHostKey.publicKey)}\n`)).toEqual({
      outcome: "trust",
      pinnedFingerprint: fingerprintOf(hostKey.publicKey),
      presentedFingerprint: fingerprintOf(otherHostKey.publicKey),
      newHostPublicKey: withoutComment(otherHostKey.publicKey),
    });
  });

  it("replaces a pinned key that cannot be read", () => {
    const decision = decideTrust(host({ hostPublicKey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==" }), reinstalled, fingerprintOf(otherHostKey.publicKey));
    expect(decision).toMatchObject({ outcome: "trust", pinnedFingerprint: "(unreadable pinned key)" });
  });
});

describe("what hosts trust prints", () => {
  const pinned = host();
  const old = fingerprintOf(hostKey.publicKey);
  const presented = fingerprintOf(otherHostKey.publicKey);
  const command = `nova-installer hosts trust compute1 --stack prod --fingerprint ${presented}`;
  const report = (given: string | undefined) => trustReport(pinned, 1, "prod", decideTrust(pinned, presentedBy(otherHostKey.publicKey), given), given);

  it("already trusted: exit 0", () => {
    const text = trustReport(pinned, 1, "prod", decideTrust(pinned, presentedBy(hostKey.publicKey), undefined), undefined);
    expect(text).toEqual({ exitCode: 0, text: `compute1 (192.0.2.11:22) presents ${old}, the pinned key: already trusted; nothing changed\n` });
  });

  it("no --fingerprint: exit 1 with both fingerprints and the exact command", () => {
    const { exitCode, text } = report(undefined);
    expect(exitCode).toBe(1);
    expect(text).toContain("compute1 (192.0.2.11:22) presents another key than the one pinned in nova-installer:hosts[1].hostPublicKey; nothing changed");
    expect(text).toContain(`  pinned:    ${old}\n  presented: ${presented}\n`);
    expect(text).toContain(`\n  ${command}\n`);
  });

  it("another --fingerprint: exit 1, warns that something else may answer, and gives the command", () => {
    const { exitCode, text } = report("SHA256:verifiedOnTheConsole");
    expect(exitCode).toBe(1);
    expect(text).toContain(`presents ${presented}, not the --fingerprint given (SHA256:verifiedOnTheConsole); nothing changed`);
    expect(text).toContain(`  pinned:    ${old}\n  presented: ${presented}\n`);
    expect(text).toContain("something else answers at 192.0.2.11:22: do not trust it");
    expect(text).toContain(`\n  ${command}\n`);
  });

  it("trusted: exit 0, old -> new", () => {
    expect(report(presented)).toEqual({
      exitCode: 0,
      text: `compute1 (192.0.2.11:22): host key ${old} -> ${presented}, stored in nova-installer:hosts[1].hostPublicKey of stack prod\n`,
    });
  });

  it("quotes a stack name only when the shell needs it", () => {
    expect(trustCommandLine("compute1", "org/project/prod", "SHA256:a+b/c")).toBe("nova-installer hosts trust compute1 --stack org/project/prod --fingerprint SHA256:a+b/c");
    expect(trustCommandLine("compute1", "my stack", "SHA256:x")).toBe("nova-installer hosts trust compute1 --stack 'my stack' --fingerprint SHA256:x");
  });

  it("names the key and the known hosts for an unknown host", () => {
    const config = { hosts: [host({ name: "controller", role: "controller" }), host()] };
    expect(findHost(config, "compute1").index).toBe(1);
    expect(() => findHost(config, "compute9")).toThrow('nova-installer:hosts has no host named "compute9"; the stack\'s hosts are controller, compute1');
  });
});

describe("the hosts show table", () => {
  const controller = host({ name: "controller", role: "controller", address: "192.0.2.10" });
  const compute1 = host({ port: 2222 });
  const compute2 = host({ name: "compute2", address: "192.0.2.12" });

  it("shows MATCH, CHANGED and UNREACHABLE with the trust command of each changed host; exit 3 unless all match", () => {
    const rows = [
      hostKeyRow(controller, presentedBy(hostKey.publicKey)),
      hostKeyRow(compute1, presentedBy(otherHostKey.publicKey)),
      hostKeyRow(compute2, { error: "connect ECONNREFUSED 192.0.2.12:22" }),
    ];
    expect(rows.map((row) => row.state)).toEqual(["MATCH", "CHANGED", "UNREACHABLE"]);
    const old = fingerprintOf(hostKey.publicKey);
    const changed = fingerprintOf(otherHostKey.publicKey);
    const lines = formatHostKeyTable(rows, "prod").split("\n");
    expect(lines[0]).toMatch(/^HOST\s+ADDRESS\s+PINNED\s+PRESENTED\s+STATE$/);
    expect(lines[1]).toMatch(new RegExp(`^controller\\s+192\\.0\\.2\\.10:22\\s+${escape(old)}\\s+${escape(old)}\\s+MATCH$`));
    expect(lines[2]).toMatch(new RegExp(`^compute1\\s+192\\.0\\.2\\.11:2222\\s+${escape(old)}\\s+${escape(changed)}\\s+CHANGED$`));
    expect(lines[3]).toMatch(new RegExp(`^compute2\\s+192\\.0\\.2\\.12:22\\s+${escape(old)}\\s+-\\s+UNREACHABLE \\(connect ECONNREFUSED 192\\.0\\.2\\.12:22\\)$`));
    expect(lines).toContain(`  nova-installer hosts trust compute1 --stack prod --fingerprint ${changed}`);
    expect(lines.filter((line) => line.includes("hosts trust"))).toHaveLength(1);
    expect(hostKeyTableExitCode(rows)).toBe(3);
    expect(hostKeyTableExitCode(rows.slice(0, 1))).toBe(0);
    expect(formatHostKeyTable(rows.slice(0, 1), "prod")).not.toContain("hosts trust");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

describe("a changed host key stops runCommand (remote/ssh.ts)", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const keyDirectory = mkdtempSync(join(tmpdir(), "host-keys-test-"));
  const privateKeyPath = join(keyDirectory, "id_ed25519");

  beforeAll(async () => {
    writeFileSync(privateKeyPath, clientKey.privateKey, { mode: 0o600 });
    server = await startServer(hostKey.privateKey);
  });

  afterAll(async () => {
    await closeAllConnections();
    server.server.close();
    rmSync(keyDirectory, { recursive: true, force: true });
  });

  const endpoint = (hostPublicKey: string) => ({ hostName: "compute1", address: "127.0.0.1", port: server.port, privateKeyPath, hostPublicKey });

  it("runs with the pinned key", async () => {
    expect(await runCommand(endpoint(hostKey.publicKey), "hostname")).toEqual({ stdout: "ran\n", stderr: "", exitCode: 0 });
  });

  it("refuses another key once, before authenticating, with a message that says what happened and what to do", async () => {
    const before = { ...server.log, commands: [...server.log.commands] };
    const error = await runCommand(endpoint(otherHostKey.publicKey), "hostname").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const pinned = fingerprintOf(otherHostKey.publicKey);
    const presented = fingerprintOf(hostKey.publicKey);
    expect(error).toMatchObject({ name: "HostKeyMismatchError", pinnedFingerprint: pinned, presentedFingerprint: presented });
    const message = (error as Error).message;
    expect(message.split("\n")[0]).toBe(`host key of compute1 (127.0.0.1:${server.port}) does not match the pinned key: pinned ${pinned}, presented ${presented}`);
    expect(message).toContain("the deploy stopped; nothing was run on this host");
    expect(message).toContain("out of band");
    expect(message).toContain(`\n  nova-installer hosts trust compute1 --stack STACK --fingerprint ${presented}\n`);
    // Never retried, and nothing reached the host: one handshake, no login, no command.
    expect(server.log.connections - before.connections).toBe(1);
    expect(server.log.authentications).toBe(before.authentications);
    expect(server.log.commands).toEqual(before.commands);
  });
});
