/**
 * The installer end to end, with the real engine on real hosts: bare lab hosts (1 controller +
 * 2 computes) -> `pulumi up` -> the install guide's own checks on the controller -> a no-change
 * second `pulumi up` -> an instance booted and deleted -> a third compute added (only its
 * resources and discovery change, nothing else restarts) -> removed again.
 *
 * One deployment shared by every check, in order: each `it` builds on the previous one.
 * Passwords are generated with every hostile character the stack allows.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeLabStack } from "../../cli/labStack";
import { PulumiRun, runPulumi } from "../../cli/pulumiCli";
import { LabSpec } from "../../lab/config";
import { Inventory } from "../../lab/inventory";
import { LabContext, labContext, labDown, labUp } from "../../lab/lab";
import { closeAllConnections, runCommand, SshEndpoint } from "../../remote/ssh";
import { parseCheckTable } from "../../cli/checkTable";
import { novaInstaller } from "../support/novaInstallerCli";

const spec: LabSpec = { name: "e2e", bridge: "nova-e2e0", subnet: "10.244.0.0/24" };
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), "nova-e2e-"));
const stack = `e2e-${process.pid}`;
const context: LabContext = labContext({ spec, stateDir: path.join(stateRoot, "lab"), write: (line) => console.log(line) });
let inventory: Inventory;

function endpoint(name: string): SshEndpoint {
  const host = inventory.hosts.find((entry) => entry.name === name);
  if (host === undefined) throw new Error(`no lab host ${name}`);
  return { hostName: name, address: host.address, privateKeyPath: inventory.privateKeyPath, hostPublicKey: host.hostPublicKey };
}

/** Runs a command on a lab host; fails the test with its output when it exits non-zero. */
async function sh(host: string, command: string): Promise<string> {
  const result = await runCommand(endpoint(host), command);
  if (result.exitCode !== 0) throw new Error(`${host}: ${command}\nexit ${result.exitCode}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * The openstack client as admin on the controller, with the credentials file the installer
 * wrote. A connection the API dropped (uwsgi on a loaded two-core machine) is retried, twice.
 */
async function openstack(args: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sh("controller", `. /root/admin-openrc && openstack ${args}`);
    } catch (error) {
      if (attempt === 3 || !/Unable to establish connection|Connection reset by peer/.test(String(error))) throw error;
    }
  }
}

async function pulumi(args: string[]): Promise<PulumiRun & { seconds: number }> {
  const started = Date.now();
  const run = await runPulumi([...args, "--stack", stack, "--non-interactive", "--color", "never"]);
  return { ...run, seconds: (Date.now() - started) / 1000 };
}

async function up(label: string): Promise<PulumiRun & { seconds: number }> {
  const run = await pulumi(["up", "--yes", "--skip-preview"]);
  console.log(`[e2e] ${label}: pulumi up ${run.exitCode === 0 ? "ok" : "FAILED"} in ${run.seconds.toFixed(1)} s`);
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  return run;
}

/** When each unit last entered the active state, per host (changes when it restarts). */
async function startTimes(host: string, units: string[]): Promise<string> {
  return sh(host, `systemctl show -p Id -p ActiveEnterTimestampMonotonic ${units.join(" ")}`);
}

async function bringLabTo(computes: number): Promise<void> {
  inventory = await labUp(context, computes);
  await writeLabStack(stack, inventory);
}

describe("deployment on bare lab hosts (1 controller + 2 computes)", () => {
  beforeAll(async () => {
    process.env.NOVA_INSTALLER_STATE = stateRoot;
    await bringLabTo(2);
  });

  afterAll(async () => {
    await closeAllConnections();
    await runPulumi(["stack", "rm", "--yes", "--force", "--stack", stack]);
    fs.rmSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`), { force: true });
    await labDown(context);
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it("converges with one pulumi up", async () => {
    await up("first deploy (1 controller + 2 computes, bare hosts)");
  });

  it("runs the control plane: scheduler and conductor up", async () => {
    const services = await openstack("compute service list -f value -c Binary -c Host -c State");
    expect(services).toMatch(/^nova-scheduler controller up$/m);
    expect(services).toMatch(/^nova-conductor controller up$/m);
  });

  it("has identity, image, compute and placement in the catalog", async () => {
    const catalog = (await openstack("catalog list -f value -c Type")).split("\n");
    expect(catalog).toEqual(expect.arrayContaining(["identity", "image", "compute", "placement", "network"]));
  });

  it("maps cell0 and cell1", async () => {
    const cells = await sh("controller", "nova-manage cell_v2 list_cells 2>/dev/null");
    expect(cells).toMatch(/\|\s+cell0\s+\|/);
    expect(cells).toMatch(/\|\s+cell1\s+\|/);
    expect(cells, "no password in a cell mapping").not.toMatch(/:\*{4}@controller\/nova/);
  });

  it("passes nova-status and placement-status upgrade checks", async () => {
    await sh("controller", "nova-status upgrade check");
    await sh("controller", "placement-status upgrade check");
  });

  it("lists both computes as hypervisors, their nova-compute up", async () => {
    const hypervisors = await openstack("hypervisor list -f value -c 'Hypervisor Hostname' -c State");
    expect(hypervisors.trim().split("\n").sort()).toEqual(["compute1 up", "compute2 up"]);
    const services = await openstack("compute service list --service nova-compute -f value -c Host -c State");
    expect(services.trim().split("\n").sort()).toEqual(["compute1 up", "compute2 up"]);
  });

  it("keeps credentials files readable by the service group only", async () => {
    const modes = await sh("controller", "stat -c '%a %U:%G %n' /etc/nova/nova.conf /etc/nova/nova-database.cnf /etc/placement/placement.conf /root/admin-openrc");
    expect(modes).toContain("640 root:nova /etc/nova/nova.conf");
    expect(modes).toContain("640 root:nova /etc/nova/nova-database.cnf");
    expect(modes).toContain("640 root:placement /etc/placement/placement.conf");
    expect(modes).toContain("600 root:root /root/admin-openrc");
  });

  it("changes nothing on a second pulumi up", async () => {
    const second = await up("second deploy (no changes)");
    expect(second.stdout).not.toMatch(/^\s+[+~-]\s+\d+ to /m);
    expect(second.stdout).toMatch(/Resources:\s+\d+ unchanged\s*\n\s*\nDuration/);
  });

  it("passes nova-installer doctor: every host reachable with its pinned key, deployed ports listening", async () => {
    const doctor = await novaInstaller(["doctor", "--stack", stack]);
    expect(doctor.exitCode, doctor.stdout + doctor.stderr).toBe(0);
    const rows = parseCheckTable(doctor.stdout);
    expect(rows.filter((row) => row.result === "FAIL"), doctor.stdout).toEqual([]);
    for (const host of ["controller", "compute1", "compute2"]) {
      expect(rows.filter((row) => row.host === host && row.result === "OK").map((row) => row.check)).toEqual(
        expect.arrayContaining(["ssh", "os", "hostname", "resolve", "clock", "memory", "disk"]),
      );
    }
    expect(rows).toContainEqual(expect.objectContaining({ host: "controller", check: "ports", result: "OK", detail: expect.stringMatching(/^running; .*free: none$/) }));
    for (const host of ["compute1", "compute2"]) {
      expect(rows).toContainEqual(expect.objectContaining({ host, check: "virtualization", result: "OK", detail: expect.stringMatching(/^fake\.FakeDriver/) }));
    }
  });

  it("passes nova-installer verify: services, catalog, image, cells, hypervisors, upgrade checks", async () => {
    const verify = await novaInstaller(["verify", "--stack", stack]);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    expect(parseCheckTable(verify.stdout).map((row) => `${row.host} ${row.check} ${row.result}`)).toEqual([
      "controller compute services OK",
      "controller catalog OK",
      "controller images OK",
      "controller cells OK",
      "controller nova-status OK",
      "controller placement-status OK",
      "compute1 nova-compute OK",
      "compute1 hypervisor OK",
      "compute2 nova-compute OK",
      "compute2 hypervisor OK",
    ]);
  });

  it("summarizes a configuration change with nova-installer preview-diff: exactly the changed setting, no value", async () => {
    const set = await pulumi(["config", "set", "--path", "configOverrides.novaController.DEFAULT.debug", "true"]);
    expect(set.exitCode, set.stderr).toBe(0);
    try {
      const diff = await novaInstaller(["preview-diff", "--stack", stack]);
      expect(diff.exitCode, diff.stderr).toBe(0);
      expect(diff.stdout).toContain("**1 step to change**: 0 to create, 1 to update, 0 to replace, 0 to delete.");
      expect(diff.stdout).toContain("| controller-nova | NovaController | 0 | 1 | 0 | 0 |");
      const settings = diff.stdout.split("\n").filter((line) => line.includes("| `/"));
      expect(settings).toEqual(["| controller | `/etc/nova/nova.conf` | update | `[DEFAULT] debug` | added |"]);
      expect(diff.stdout, "no value in the summary").not.toContain("true");
    } finally {
      const rm = await pulumi(["config", "rm", "configOverrides"]);
      expect(rm.exitCode, rm.stderr).toBe(0);
    }
    const reverted = await novaInstaller(["preview-diff", "--stack", stack]);
    expect(reverted.exitCode, reverted.stderr).toBe(0);
    expect(reverted.stdout).toContain("No changes: every step is up to date.");
  });

  it("boots an instance on a compute and deletes it without leaving anything in ERROR", async () => {
    const created = await openstack(
      "--os-compute-api-version 2.37 server create --flavor m1.tiny --image tiny --nic none --wait -f value -c status -c OS-EXT-SRV-ATTR:host e2e-server",
    );
    const [host, status] = created.trim().split("\n");
    expect(status).toBe("ACTIVE");
    expect(["compute1", "compute2"]).toContain(host);
    await openstack("server delete --wait e2e-server");
    expect((await openstack("server list --all-projects -f value -c Status")).trim()).toBe("");
  });

  it("adds a third compute: preview shows only its resources and discovery, up brings it in without restarting the others", async () => {
    const before = await Promise.all(["compute1", "compute2"].map((host) => startTimes(host, ["nova-compute"])));
    const controllerBefore = await startTimes("controller", ["nova-api", "nova-scheduler", "nova-conductor"]);
    await bringLabTo(3);

    const preview = await pulumi(["preview", "--json"]);
    expect(preview.exitCode, preview.stderr).toBe(0);
    const steps = (JSON.parse(preview.stdout).steps as { op: string; urn: string }[]).filter((step) => step.op !== "same");
    const changed = steps.map((step) => `${step.op} ${step.urn.split("::").pop()}`);
    for (const change of changed) {
      expect(change, "only compute3's resources and discovery change").toMatch(/^(create compute3-|update controller-discovery)/);
    }
    expect(changed).toContain("update controller-discovery-discover");
    expect(changed).toContain("create compute3-compute-services");

    await up("add compute3");
    const hypervisors = await openstack("hypervisor list -f value -c 'Hypervisor Hostname' -c State");
    expect(hypervisors.trim().split("\n").sort()).toEqual(["compute1 up", "compute2 up", "compute3 up"]);
    const after = await Promise.all(["compute1", "compute2"].map((host) => startTimes(host, ["nova-compute"])));
    expect(after, "existing computes were not restarted").toEqual(before);
    expect(await startTimes("controller", ["nova-api", "nova-scheduler", "nova-conductor"]), "the control plane was not restarted").toBe(controllerBefore);
  });

  it("removes the third compute from the cloud when it leaves the stack", async () => {
    // The host keeps running: only the stack forgets it, so its decommissioning steps can run.
    const threeHosts = inventory;
    await writeLabStack(stack, { ...threeHosts, hosts: threeHosts.hosts.filter((host) => host.name !== "compute3") });
    await up("remove compute3");
    const services = await openstack("compute service list --service nova-compute -f value -c Host");
    expect(services.trim().split("\n").sort()).toEqual(["compute1", "compute2"]);
    const hypervisors = await openstack("hypervisor list -f value -c 'Hypervisor Hostname'");
    expect(hypervisors.trim().split("\n").sort()).toEqual(["compute1", "compute2"]);
    expect((await sh("compute3", "systemctl is-active nova-compute || true")).trim()).toBe("inactive");
  });
});
