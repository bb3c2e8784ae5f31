/**
 * The real engine: `pulumi preview` of the program through the bootstrapped CLI, the Node.js
 * language host and the dynamic provider plugin, on a local file backend. Preview opens no SSH
 * connection, so the hosts need not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initSecrets } from "../../cli/secrets";
import { PulumiResult, PulumiWorkspace } from "../support/pulumiCli";
import { testHostKey } from "../support/stacks";

describe("pulumi preview with the real engine", () => {
  const workspace = new PulumiWorkspace("engine-preview");
  let preview: PulumiResult;

  beforeAll(async () => {
    // cli/ helpers (initSecrets) run bin/pulumi with this process's environment.
    process.env.NOVA_INSTALLER_STATE = workspace.stateDir;
    await workspace.init();
    workspace.writeConfig({
      "nova-installer:sshPrivateKeyPath": "/nonexistent/key",
      "nova-installer:hosts": [
        { name: "controller", role: "controller", address: "127.0.0.10", hostPublicKey: testHostKey },
        { name: "compute1", role: "compute", address: "127.0.0.11", hostPublicKey: testHostKey },
      ],
    });
    await initSecrets(workspace.stack, { hostile: true });
    preview = await workspace.run(["preview", "--diff"]);
    console.log(preview.stdout);
  });

  afterAll(() => workspace.dispose());

  it("succeeds", () => {
    expect(preview.exitCode, preview.stdout + preview.stderr).toBe(0);
  });

  it("plans the components and their remote steps for every host", () => {
    for (const host of ["controller", "compute1"]) {
      expect(preview.stdout).toMatch(new RegExp(`\\+ nova-installer:host:HostFacts: \\(create\\)[\\s\\S]*${host}-facts`));
      expect(preview.stdout).toContain(`${host}-facts-probe`);
    }
    for (const component of ["NovaController", "Placement", "ServiceRegistration", "Databases", "ComputeNode", "HostDiscovery"]) {
      expect(preview.stdout).toContain(`+ nova-installer:`);
      expect(preview.stdout).toMatch(new RegExp(`nova-installer:[a-z]+:${component}`));
    }
    const created = Number(/Resources:\s+\+ (\d+) to create/.exec(preview.stdout)?.[1]);
    expect(created).toBe((preview.stdout.match(/^\s*\+ \S+: \(create\)( 🔒)?$/gm) ?? []).length);
  });

  it("marks as protected the destroy guard, the databases and the Keystone registration, and nothing else", () => {
    const protectedSteps = preview.stdout.match(/^\s*\+ \S+: \(create\) 🔒$/gm) ?? [];
    expect(protectedSteps.length).toBe(3);
    expect(preview.stdout).toMatch(/\+ nova-installer:index:DestroyGuard: \(create\) 🔒/);
  });

  it("shows no password in the preview", async () => {
    const config = await workspace.run(["config", "--json", "--show-secrets"]);
    const passwords = Object.values(JSON.parse(config.stdout)["nova-installer:passwords"].objectValue as Record<string, string>);
    expect(passwords.length).toBeGreaterThan(5);
    for (const password of passwords) {
      expect(preview.stdout + preview.stderr).not.toContain(password);
    }
  });

  it("ran through the engine of the pinned release", async () => {
    const version = await workspace.runRaw(["version"]);
    expect(version.stdout.trim()).toBe("v3.248.0");
  });

  it("rejects an invalid configuration before planning anything, naming the key", async () => {
    workspace.writeConfig({ "nova-installer:hosts": [{ name: "bad name", role: "compute", address: "300.1.1.1" }], "nova-installer:apiWorker": 2 });
    const bad = await workspace.run(["preview"]);
    expect(bad.exitCode).not.toBe(0);
    const output = bad.stdout + bad.stderr;
    expect(output).toContain("nova-installer:sshPrivateKeyPath is required");
    expect(output).toContain(`nova-installer:hosts[0].name: "bad name" is not a valid hostname`);
    expect(output).toContain(`nova-installer:hosts[0].address: "300.1.1.1" is not an IPv4 address`);
    expect(output, "a misspelt key is reported, not ignored").toContain("nova-installer:apiWorker: unknown key");
    expect(output).not.toContain("nova-installer:host:HostFacts");
    expect(output).not.toContain("at resolveStackConfig");
  });
});
