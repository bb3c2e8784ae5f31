/**
 * lab/ssh.ts against an ssh2 server on loopback: pinning, commands, stdin, exit codes.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { Server, utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKeyPair } from "../support/sshKeys";
import { HostKeyMismatchError, connectPinned, fingerprint, publicKeyBlob, runCommand, waitForSsh } from "../../lab/ssh";

const keyPair = (comment: string) => testKeyPair("ed25519", comment);

const hostKey = keyPair("server");
const otherHostKey = keyPair("impostor");
const clientKey = keyPair("client");

/** A tiny server: `echo-stdin` echoes stdin, `exit N` exits N, anything else prints itself. */
function startServer(): Promise<{ server: Server; port: number }> {
  const allowed = utils.parseKey(clientKey.publicKey);
  if (allowed instanceof Error) throw allowed;
  const server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
    client
      .on("authentication", (context) => {
        if (context.method === "publickey" && context.key.data.equals(allowed.getPublicSSH())) context.accept();
        else context.reject(["publickey"]);
      })
      .on("ready", () => {
        client.on("session", (accept) => {
          accept().on("exec", (acceptExec, _reject, info) => {
            const stream = acceptExec();
            const exit = /^exit (\d+)$/.exec(info.command);
            if (info.command === "echo-stdin") {
              const chunks: Buffer[] = [];
              stream.on("data", (chunk: Buffer) => chunks.push(chunk));
              stream.on("end", () => {
                stream.write(Buffer.concat(chunks));
                stream.stderr.write("done\n");
                stream.exit(0);
                stream.end();
              });
            } else {
              if (exit === null) stream.write(`ran: ${info.command}\n`);
              stream.exit(exit === null ? 0 : Number(exit[1]));
              stream.end();
            }
          });
        });
      })
      .on("error", () => undefined);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe("lab ssh helper", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => ({ server, port } = await startServer()));
  afterAll(() => server.close());

  const target = () => ({ host: "127.0.0.1", port, username: "root", privateKey: clientKey.privateKey, hostPublicKey: hostKey.publicKey, label: "loopback" });

  it("runs a command with the pinned key and returns stdout and the exit code", async () => {
    const result = await runCommand(target(), "hostname");
    expect(result).toEqual({ stdout: "ran: hostname\n", stderr: "", exitCode: 0 });
    expect((await runCommand(target(), "exit 3")).exitCode).toBe(3);
  });

  it("passes stdin and keeps stdout and stderr apart", async () => {
    const session = await connectPinned(target());
    try {
      const result = await session.run("echo-stdin", { stdin: "secret\n" });
      expect(result).toEqual({ stdout: "secret\n", stderr: "done\n", exitCode: 0 });
    } finally {
      session.close();
    }
  });

  it("refuses a server presenting another key, naming both fingerprints", async () => {
    const error = await connectPinned({ ...target(), hostPublicKey: otherHostKey.publicKey }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const expected = fingerprint(publicKeyBlob(otherHostKey.publicKey));
    const presented = fingerprint(publicKeyBlob(hostKey.publicKey));
    expect((error as Error).message).toBe(
      `host key of loopback does not match the pinned key: expected ${expected}, presented ${presented}; refusing to connect`,
    );
    // A mismatch is final: waiting does not retry it.
    await expect(waitForSsh({ ...target(), hostPublicKey: otherHostKey.publicKey }, 5_000)).rejects.toBeInstanceOf(HostKeyMismatchError);
  });

  it("gives up waiting on a port nobody answers, naming the host", async () => {
    await expect(waitForSsh({ ...target(), port: 1, label: "nobody" }, 1_500)).rejects.toThrow(/^nobody \(127.0.0.1\) did not answer ssh within 2 s/);
  });

  it("computes OpenSSH fingerprints", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fp-"));
    fs.writeFileSync(path.join(dir, "key.pub"), `${hostKey.publicKey}\n`);
    let openssh: string | undefined;
    try {
      openssh = execFileSync("ssh-keygen", ["-l", "-f", path.join(dir, "key.pub")], { encoding: "utf8" }).split(" ")[1];
    } catch {
      openssh = undefined; // ssh-keygen not installed: the format check below still applies.
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    const ours = fingerprint(publicKeyBlob(hostKey.publicKey));
    expect(ours).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    if (openssh !== undefined) expect(ours).toBe(openssh);
  });

  it("rejects a malformed pinned key, naming the host", () => {
    expect(() => publicKeyBlob("ssh-ed25519", "compute1")).toThrow(/pinned host key of compute1 is not an OpenSSH public key line/);
    expect(() => publicKeyBlob("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==", "compute1")).toThrow(/does not start with its type "ssh-rsa"/);
  });
});
