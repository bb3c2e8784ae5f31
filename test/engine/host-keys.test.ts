/**
 * `bin/nova-installer hosts show|trust` as an operator runs them, on a throw-away stack of the
 * real engine, against an ssh2 server on loopback standing in for a reinstalled controller:
 * trust writes the presented key into `nova-installer:hosts[i].hostPublicKey` (and nothing else),
 * only with the right --fingerprint, and the stack still validates afterwards.
 */
import { readFileSync } from "fs";
import { AddressInfo, createServer } from "net";
import { Server } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../cli/stackConfigReader";
import { fingerprint, publicKeyBlob } from "../../lib/sshKeys";
import { novaInstaller } from "../support/novaInstallerCli";
import { PulumiWorkspace } from "../support/pulumiCli";
import { testKeyPair } from "../support/sshKeys";

const presentedKey = testKeyPair("ed25519", "root@controller-reinstalled");
const presentedLine = presentedKey.publicKey.split(" ").slice(0, 2).join(" ");
const oldLine = testKeyPair("ed25519", "root@controller").publicKey;
const compute1Line = testKeyPair("ed25519", "root@compute1").publicKey;
const fingerprintOf = (line: string): string => fingerprint(publicKeyBlob(line));

/** The stack's hosts as `pulumi config --json` returns them. */
async function storedHosts(workspace: PulumiWorkspace): Promise<Record<string, unknown>[]> {
  const config = await workspace.run(["config", "--json"]);
  expect(config.exitCode, config.stderr).toBe(0);
  return JSON.parse(config.stdout)["nova-installer:hosts"].objectValue as Record<string, unknown>[];
}

describe("hosts show and hosts trust with the real engine", () => {
  const workspace = new PulumiWorkspace("engine-host-keys");
  let server: Server;
  let port: number;
  let closedPort: number;

  beforeAll(async () => {
    server = new Server({ hostKeys: [presentedKey.privateKey] }, (client) => client.on("error", () => undefined));
    port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
    const closed = createServer();
    closedPort = await new Promise<number>((resolve) => closed.listen(0, "127.0.0.1", () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));

    // bin/nova-installer and cli/ helpers run bin/pulumi with this process's environment.
    process.env.NOVA_INSTALLER_STATE = workspace.stateDir;
    await workspace.init();
    workspace.writeConfig({
      "nova-installer:sshPrivateKeyPath": "/nonexistent/key",
      "nova-installer:hosts": [
        { name: "controller", role: "controller", address: "127.0.0.1", port, hostPublicKey: oldLine },
        { name: "compute1", role: "compute", address: "127.0.0.2", port: closedPort, hostPublicKey: compute1Line },
      ],
    });
  });

  afterAll(() => {
    server.close();
    workspace.dispose();
  });

  it("shows the controller's key CHANGED and the unreachable compute, exit 3", async () => {
    const show = await novaInstaller(["hosts", "show", "--stack", workspace.stack]);
    expect(show.exitCode, show.stdout + show.stderr).toBe(3);
    expect(show.stdout).toMatch(new RegExp(`^controller\\s+127\\.0\\.0\\.1:${port}\\s+\\S+\\s+\\S+\\s+CHANGED$`, "m"));
    expect(show.stdout).toContain(fingerprintOf(presentedLine));
    expect(show.stdout).toMatch(new RegExp(`^compute1\\s+127\\.0\\.0\\.2:${closedPort}\\s+\\S+\\s+-\\s+UNREACHABLE \\(.*ECONNREFUSED`, "m"));
    expect(show.stdout).toContain(`nova-installer hosts trust controller --stack ${workspace.stack} --fingerprint ${fingerprintOf(presentedLine)}`);
  });

  it("writes nothing without --fingerprint or with another one", async () => {
    const before = readFileSync(workspace.configFile, "utf8");
    const missing = await novaInstaller(["hosts", "trust", "controller", "--stack", workspace.stack]);
    expect(missing.exitCode, missing.stdout + missing.stderr).toBe(1);
    expect(missing.stderr).toContain(`pinned:    ${fingerprintOf(oldLine)}`);
    expect(missing.stderr).toContain(`presented: ${fingerprintOf(presentedLine)}`);
    expect(missing.stderr).toContain(`nova-installer hosts trust controller --stack ${workspace.stack} --fingerprint ${fingerprintOf(presentedLine)}`);

    const wrong = await novaInstaller(["hosts", "trust", "controller", "--stack", workspace.stack, "--fingerprint", fingerprintOf(compute1Line)]);
    expect(wrong.exitCode, wrong.stdout + wrong.stderr).toBe(1);
    expect(wrong.stderr).toContain(`not the --fingerprint given (${fingerprintOf(compute1Line)}); nothing changed`);

    expect(readFileSync(workspace.configFile, "utf8")).toBe(before);
  });

  it("names the key and the stack's hosts for an unknown host", async () => {
    const unknown = await novaInstaller(["hosts", "trust", "compute9", "--stack", workspace.stack, "--fingerprint", fingerprintOf(presentedLine)]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(`nova-installer:hosts has no host named "compute9"; the stack's hosts are controller, compute1`);
  });

  it("pins the presented key with the right --fingerprint, touching nothing else, and the stack still validates", async () => {
    const trust = await novaInstaller(["hosts", "trust", "controller", "--stack", workspace.stack, "--fingerprint", fingerprintOf(presentedLine)]);
    expect(trust.exitCode, trust.stdout + trust.stderr).toBe(0);
    expect(trust.stdout).toContain(`host key ${fingerprintOf(oldLine)} -> ${fingerprintOf(presentedLine)}, stored in nova-installer:hosts[0].hostPublicKey of stack ${workspace.stack}`);

    expect(await storedHosts(workspace)).toEqual([
      { name: "controller", role: "controller", address: "127.0.0.1", port, hostPublicKey: presentedLine },
      { name: "compute1", role: "compute", address: "127.0.0.2", port: closedPort, hostPublicKey: compute1Line },
    ]);
    const config = await readStackConfig(workspace.stack, { passwords: "stand-in" });
    expect(config.controller).toMatchObject({ hostPublicKey: presentedLine, port });
    expect(config.computes[0]).toMatchObject({ hostPublicKey: compute1Line, port: closedPort });
  });

  it("then reports the key as already trusted and MATCH", async () => {
    const again = await novaInstaller(["hosts", "trust", "controller", "--stack", workspace.stack]);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("already trusted; nothing changed");
    const show = await novaInstaller(["hosts", "show", "--stack", workspace.stack]);
    expect(show.stdout).toMatch(/^controller\s+\S+\s+(\S+)\s+\1\s+MATCH$/m);
  });
});
