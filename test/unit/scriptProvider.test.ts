/**
 * When the RemoteScript provider re-runs a step, and when it only records a change; its uploads
 * against a loopback SSH server that runs bash on this machine.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteScriptInputs, RemoteScriptOutputs, scriptProvider } from "../../remote/scriptProvider";
import { closeAllConnections } from "../../remote/ssh";
import { receiveScript } from "../../remote/upload";
import { testKeyPair } from "../support/sshKeys";
import { LoopbackSshServer, startSshServer } from "../support/sshServer";

// An address nothing listens on: any attempt to run the step would fail the test.
const connection = { hostName: "compute2", address: "192.0.2.1", port: 1, privateKeyPath: "/nonexistent", hostPublicKey: "ssh-ed25519 AAAAold" };
const olds: RemoteScriptOutputs = { connection, description: "write /etc/nova/nova.conf", create: "true", stdout: "before", stderr: "" };

describe("RemoteScript provider", () => {
  it("runs the step again once a host's new key is trusted (a reinstalled host is configured from scratch)", async () => {
    const news = { ...olds, connection: { ...connection, hostPublicKey: "ssh-ed25519 AAAAnew" }, stdout: undefined, stderr: undefined };
    expect((await scriptProvider.diff!("id", olds, news)).changes).toBe(true);
    // It connects (nothing listens there, so the attempt fails naming the host and the step).
    await expect(scriptProvider.update!("id", olds, news)).rejects.toThrow(
      /compute2 \(192\.0\.2\.1\): "write \/etc\/nova\/nova\.conf" \(update\) did not complete/,
    );
  }, 60_000);

  it("records a new delete script without running the step again", async () => {
    const news = { ...olds, delete: "mysql -e 'DROP DATABASE nova'" };
    expect((await scriptProvider.diff!("id", olds, news)).changes).toBe(true);
    expect((await scriptProvider.update!("id", olds, news)).outs.stdout).toBe("before");
  });

  it("reports no change when nothing differs, and a change of address or script as one that re-runs", async () => {
    expect((await scriptProvider.diff!("id", olds, { ...olds })).changes).toBe(false);
    expect((await scriptProvider.diff!("id", olds, { ...olds, create: "false" })).changes).toBe(true);
    await expect(scriptProvider.update!("id", olds, { ...olds, connection: { ...connection, address: "192.0.2.2" } })).rejects.toThrow(/compute2/);
  }, 60_000);
});

describe("RemoteScript provider: uploads", () => {
  const hostKey = testKeyPair("ed25519", "root@uploads");
  const clientKey = testKeyPair("ed25519", "operator");
  const workDirectory = mkdtempSync(join(tmpdir(), "script-provider-uploads-"));
  // The "host" is this machine: the test server runs bash here, so remote paths are under workDirectory.
  const remoteDirectory = join(workDirectory, "host", "guest-image");
  const cacheDirectory = join(workDirectory, "cache-a");
  const otherCacheDirectory = join(workDirectory, "cache-b");
  const privateKeyPath = join(workDirectory, "id_ed25519");
  const kernel = Buffer.concat([Buffer.from("kernel\n"), Buffer.alloc(300_000, 0x5a), Buffer.from([0, 1, 2, 255])]);
  const kernelSha256 = createHash("sha256").update(kernel).digest("hex");
  let server: LoopbackSshServer;
  let uploadingStep: RemoteScriptInputs;

  beforeAll(async () => {
    writeFileSync(privateKeyPath, clientKey.privateKey, { mode: 0o600 });
    for (const directory of [cacheDirectory, otherCacheDirectory]) {
      mkdirSync(directory);
      writeFileSync(join(directory, "vmlinuz"), kernel);
    }
    server = await startSshServer(hostKey.privateKey, clientKey.publicKey, { runBash: true });
    uploadingStep = {
      connection: { hostName: "controller", address: "127.0.0.1", port: server.port, privateKeyPath, hostPublicKey: hostKey.publicKey },
      description: "register the guest image",
      // What the step's script sees: the file in place, with its mode, before the script runs.
      create: `sha256sum ${join(remoteDirectory, "vmlinuz")} | cut -d ' ' -f 1; stat -c %a ${join(remoteDirectory, "vmlinuz")}; ls ${remoteDirectory}`,
      uploads: [{ source: join(cacheDirectory, "vmlinuz"), path: join(remoteDirectory, "vmlinuz"), sha256: kernelSha256, mode: 0o640 }],
    };
  });

  afterAll(async () => {
    await closeAllConnections();
    server.close();
    rmSync(workDirectory, { recursive: true, force: true });
  });

  it("streams the file to the host, checked and in place, before the script runs", async () => {
    const created = await scriptProvider.create(uploadingStep);
    expect(created.outs.stdout).toBe(`${kernelSha256}\n640\nvmlinuz\n`);
    expect(readFileSync(join(remoteDirectory, "vmlinuz")).equals(kernel)).toBe(true);
    // One command for the upload, one for the script, and both are the fixed shell.
    expect(server.log.commands).toEqual(["/bin/bash -s", "/bin/bash -s"]);
  });

  it("refuses a source whose content is not the sha256 it was planned with, naming the file, and runs nothing", async () => {
    const changed = join(workDirectory, "changed-vmlinuz");
    writeFileSync(changed, "another kernel");
    const commandsBefore = server.log.commands.length;
    const step = { ...uploadingStep, uploads: [{ ...uploadingStep.uploads![0], source: changed }] };
    await expect(scriptProvider.create(step)).rejects.toThrow(
      new RegExp(
        `controller \\(127\\.0\\.0\\.1\\): "register the guest image" \\(create\\) did not run: cannot upload ${changed} .*its sha256 is [0-9a-f]{64}, expected ${kernelSha256}`,
      ),
    );
    expect(server.log.commands.length).toBe(commandsBefore);
  });

  it("refuses a missing source, naming it", async () => {
    const missing = join(workDirectory, "no-such-vmlinuz");
    const step = { ...uploadingStep, uploads: [{ ...uploadingStep.uploads![0], source: missing }] };
    await expect(scriptProvider.create(step)).rejects.toThrow(`cannot upload ${missing} to controller:${join(remoteDirectory, "vmlinuz")}: ENOENT`);
  });

  it("sees no change when only the source moved (another machine's cache), and re-runs on a new path or content", async () => {
    const olds: RemoteScriptOutputs = { ...uploadingStep, stdout: "", stderr: "" };
    const moved = { ...uploadingStep, uploads: [{ ...uploadingStep.uploads![0], source: join(otherCacheDirectory, "vmlinuz") }] };
    expect((await scriptProvider.diff!("id", olds, moved)).changes).toBe(false);
    const commandsBefore = server.log.commands.length;
    expect((await scriptProvider.update!("id", olds, moved)).outs.stdout).toBe("");
    expect(server.log.commands.length).toBe(commandsBefore);

    const newContent = { ...uploadingStep, uploads: [{ ...uploadingStep.uploads![0], sha256: "0".repeat(64) }] };
    const newPath = { ...uploadingStep, uploads: [{ ...uploadingStep.uploads![0], path: join(remoteDirectory, "vmlinuz-2") }] };
    const newMode = { ...uploadingStep, uploads: [{ ...uploadingStep.uploads![0], mode: 0o600 }] };
    for (const news of [newContent, newPath, newMode, { ...uploadingStep, uploads: [] }]) {
      expect((await scriptProvider.diff!("id", olds, news)).changes).toBe(true);
    }
  });

  it("sees no change between a step recorded without uploads and the same step with none", async () => {
    const { uploads: _none, ...withoutUploads } = uploadingStep;
    const olds: RemoteScriptOutputs = { ...withoutUploads, stdout: "", stderr: "" };
    expect((await scriptProvider.diff!("id", olds, { ...withoutUploads, uploads: [] })).changes).toBe(false);
  });
});

describe("receiveScript", () => {
  const workDirectory = mkdtempSync(join(tmpdir(), "receive-script-"));
  afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

  /** Runs the receiving script with `data` after it, as `bash -s` on a pipe (as sshd runs it), plus what follows. */
  function receive(target: string, sha256: string, bytes: number, data: Buffer, after = ""): { status: number | null; stderr: string } {
    const result = spawnSync("/bin/bash", ["-s"], {
      input: Buffer.concat([Buffer.from(receiveScript({ path: target, sha256 }, bytes)), data, Buffer.from(after)]),
    });
    return { status: result.status, stderr: result.stderr.toString() };
  }

  it("takes exactly the file's bytes from stdin and runs nothing that follows them", () => {
    const data = Buffer.from("#!/bin/sh\necho not a command\n\0\xff");
    const target = join(workDirectory, "a", "file");
    const marker = join(workDirectory, "ran");
    const result = receive(target, createHash("sha256").update(data).digest("hex"), data.length, data, `touch ${marker}\n`);
    expect(result).toEqual({ status: 0, stderr: "" });
    expect(readFileSync(target).equals(data)).toBe(true);
    expect(statSync(target).mode & 0o7777).toBe(0o600);
    expect(existsSync(marker)).toBe(false);
  });

  it("keeps nothing when the content or its length differs, and says why", () => {
    const target = join(workDirectory, "b", "file");
    const wrongSum = receive(target, "0".repeat(64), 4, Buffer.from("data"));
    expect(wrongSum.status).toBe(1);
    expect(wrongSum.stderr).toContain(
      `${target}: received content with sha256 ${createHash("sha256").update("data").digest("hex")}, expected ${"0".repeat(64)}`,
    );
    const short = receive(target, "0".repeat(64), 10, Buffer.from("data"));
    expect(short.stderr).toContain(`${target}: received 4 bytes, expected 10`);
    expect(readdirSync(join(workDirectory, "b"))).toEqual([]);
  });
});
