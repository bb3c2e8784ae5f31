/**
 * The installer end to end, with the real engine on real hosts, one deployment shared by every
 * check, in order (each `it` builds on the previous one):
 *   bare lab hosts (1 controller + 2 computes) -> a first `pulumi up` interrupted three times
 *   (Ctrl-C, then two crashes) and recovered -> no password anywhere (ps sampled on every host
 *   during the deploy, pulumi output, state export) -> the install guide's own checks -> a
 *   no-change `pulumi up` -> every step's script forced to run again (no duplicate) -> doctor,
 *   verify --boot (the test guest's console marker on each compute), preview-diff (4.0 -> 3.0) ->
 *   drift made by hand shown by `drift` and put back by `up --refresh` -> a real guest
 *   through the libvirt driver's whole life cycle -> a third compute added and removed -> a host
 *   whose sshd dies and a host whose key changed mid-deploy -> hosts rebooted (a compute's guest
 *   runs again after it) -> `pulumi destroy` refused while data is protected, then allowed.
 *
 * Passwords are generated with every hostile character the stack allows.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPulumi } from "../../cli/pulumiCli";
import { LabSpec } from "../../lab/config";
import { Inventory } from "../../lab/inventory";
import { hostExec, LabContext, labContext, labDown, labUp, rebootHost, rebuildHost } from "../../lab/lab";
import { writeLabStack } from "../../lab/stack";
import { fingerprint, publicKeyBlob } from "../../lib/sshKeys";
import { scriptProvider } from "../../remote/scriptProvider";
import { closeAllConnections, runCommand } from "../../remote/ssh";
import { parseCheckTable } from "../../cli/checkTable";
import { neutronPreloadDirectory, neutronPreloadModule } from "../../profiles/neutronPreload";
import { sqlStringContent } from "../../steps/mariadb";
import { ensureGuestImage, guestImageCacheDir, guestImageName } from "../../guest";
import { LabCloud } from "../support/labCloud";
import { PulumiProcess } from "../support/pulumiProcess";

const spec: LabSpec = { name: "e2e", bridge: "nova-e2e0", subnet: "10.244.0.0/24" };
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), "nova-e2e-"));
const stack = `e2e-${process.pid}`;
const context: LabContext = labContext({ spec, stateDir: path.join(stateRoot, "lab"), write: (line) => console.log(line) });
const cloud = new LabCloud(stack, "[e2e]");
const {
  sh,
  openstack,
  deleteServer,
  createServer,
  waitForStatus,
  guestRuntime,
  waitForMarker,
  pulumi,
  novaInstaller,
  verifyWithin,
  endpoint,
  printed,
} = cloud;
/** The lab's hosts (set by bringLabTo). */
let inventory: Inventory;
/** The stack's passwords, by name (read back from the stack config once generated). */
let passwords: Record<string, string> = {};

const upArguments = ["up", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--stack", stack];

/** A `pulumi up` the test watches and interrupts. */
function watchedUp(): PulumiProcess {
  const run = new PulumiProcess(upArguments);
  void run.exited.then(() => printed.push(run.output));
  return run;
}

/** The forms a password takes in files and URLs: none may appear where secrets must not be. */
function secretForms(password: string): string[] {
  return [...new Set([password, encodeURIComponent(password), sqlStringContent(password), password.replace(/\$/g, "$$$$")])];
}

/** Names of the passwords found in a text (never the values: they would land in the test log). */
function passwordsIn(text: string): string[] {
  return Object.entries(passwords)
    .filter(([, value]) => value !== "" && secretForms(value).some((form) => text.includes(form)))
    .map(([name]) => name);
}

/**
 * Samples every command line on a host (`ps`) several times a second, unique lines kept, until
 * told to stop or for at most 40 minutes: a bounded loop that ends by itself.
 */
const psSampler = [
  "rm -f /run/ps-sampler.stop /root/ps-samples.txt",
  "end=$((SECONDS + 2400))",
  "while [ $SECONDS -lt $end ] && [ ! -e /run/ps-sampler.stop ]; do ps -eo args=; sleep 0.25; done | awk '!seen[$0]++' >/root/ps-samples.part",
  "mv /root/ps-samples.part /root/ps-samples.txt",
  "",
].join("\n");

async function startPsSampler(host: string): Promise<void> {
  const written = await runCommand(endpoint(host), "cat >/root/ps-sampler.sh", { stdin: psSampler });
  expect(written.exitCode).toBe(0);
  await sh(host, "setsid nohup bash /root/ps-sampler.sh </dev/null >/dev/null 2>&1 &");
}

async function stopPsSampler(host: string): Promise<string> {
  return sh(
    host,
    "touch /run/ps-sampler.stop; for i in $(seq 100); do [ -e /root/ps-samples.txt ] && break; sleep 0.2; done; cat /root/ps-samples.txt",
  );
}

/** Secret values of `pulumi stack export --show-secrets` output in the clear. */
function reveal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reveal);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if ("4dabf18193072939515e22adb298388d" in record)
      return reveal(typeof record.plaintext === "string" ? JSON.parse(record.plaintext) : record.value);
    return Object.fromEntries(Object.entries(record).map(([key, entry]) => [key, reveal(entry)]));
  }
  return value;
}

/**
 * What the cloud holds, in a comparable form: Keystone's users, projects, role assignments,
 * services and endpoints, the cells and host mappings, images and flavors, and the number of
 * rows of every table of every OpenStack database.
 */
async function cloudInventory(): Promise<Record<string, string>> {
  const sorted = (text: string) => text.trim().split("\n").sort().join("\n");
  const rowCounts = [
    "mysql -N -B <<'SQL' | mysql -N -B",
    "SELECT CONCAT('SELECT ''', table_schema, '.', table_name, ''', COUNT(*) FROM `', table_schema, '`.`', table_name, '`;')",
    "FROM information_schema.tables WHERE table_type = 'BASE TABLE'",
    "AND table_schema IN ('nova_api', 'nova', 'nova_cell0', 'placement', 'keystone', 'glance', 'neutron');",
    "SQL",
  ].join("\n");
  return {
    users: sorted(await openstack("user list -f value -c Name")),
    projects: sorted(await openstack("project list -f value -c Name")),
    roleAssignments: sorted(await openstack("role assignment list --names -f value -c User -c Project -c Role")),
    services: sorted(await openstack("service list -f value -c Name -c Type")),
    endpoints: sorted(await openstack("endpoint list -f value -c 'Service Name' -c Interface -c Region -c URL")),
    images: sorted(await openstack("image list -f value -c Name")),
    flavors: sorted(await openstack("flavor list -f value -c Name")),
    cells: await sh("controller", "nova-manage cell_v2 list_cells 2>/dev/null"),
    hostMappings: await sh("controller", "nova-manage cell_v2 list_hosts 2>/dev/null"),
    rows: sorted(await sh("controller", rowCounts)),
  };
}

async function up(label: string) {
  const run = await cloud.up(label);
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  return run;
}

/** When each unit last entered the active state, per host (changes when it restarts). */
async function startTimes(host: string, units: string[]): Promise<string> {
  return sh(host, `systemctl show -p Id -p ActiveEnterTimestampMonotonic ${units.join(" ")}`);
}

async function bringLabTo(computes: number): Promise<void> {
  inventory = await labUp(context, computes);
  cloud.inventory = inventory;
  const guestImage = await ensureGuestImage(guestImageCacheDir(process.env), context.write);
  await writeLabStack(stack, inventory, { guestImageDir: guestImage.dir });
}

describe("deployment on bare lab hosts (1 controller + 2 computes)", () => {
  beforeAll(async () => {
    process.env.NOVA_INSTALLER_STATE = stateRoot;
    await bringLabTo(2);
    const stored = await runPulumi(["config", "get", "passwords", "--stack", stack]);
    expect(stored.exitCode, stored.stderr).toBe(0);
    passwords = JSON.parse(stored.stdout) as Record<string, string>;
    expect(Object.keys(passwords).length).toBeGreaterThanOrEqual(7);
    await Promise.all(["controller", "compute1", "compute2"].map(startPsSampler));
  });

  afterAll(async () => {
    await closeAllConnections();
    await runPulumi(["stack", "rm", "--yes", "--force", "--stack", stack]);
    fs.rmSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`), { force: true });
    await labDown(context);
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it("converges after its first deploy is interrupted three times: Ctrl-C, then two crashes", { timeout: 3_600_000 }, async () => {
    const started = Date.now();
    const at = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    // 1. Ctrl-C while packages install: pulumi lets running steps finish, saves, unlocks.
    let run = watchedUp();
    await run.waitFor(/controller-packages-install creating/, 300_000);
    run.interrupt();
    expect(await run.exited, "a cancelled up fails").not.toBe(0);
    expect(run.output).toMatch(/update canceled/);
    expect(run.output, "no step was cut off by Ctrl-C").not.toMatch(/interrupted while/);
    console.log(`[e2e] interrupted with Ctrl-C at ${at()}`);

    // 2. A crash (the whole pulumi process group killed) while Keystone registration runs.
    run = watchedUp();
    await run.waitFor(/controller-registration-keystone creating/, 1_200_000);
    // A moment later, so the engine has recorded the step as started (it shows it first).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    run.killGroup();
    await run.exited;
    const locked = await pulumi(["up", "--yes", "--skip-preview"]);
    expect(locked.exitCode).not.toBe(0);
    expect(locked.stdout + locked.stderr).toMatch(/the stack is currently locked/);
    let recovered = await novaInstaller(["recover", "--stack", stack]);
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout).toMatch(/the process is gone; removing the lock/);
    expect(recovered.stdout).toMatch(/interrupted while creating: controller-/);
    console.log(`[e2e] killed during Keystone registration, recovered at ${at()}:\n${recovered.stdout.trim()}`);

    // 3. Another crash, during the cell mapping (its database syncs keep running on the host).
    run = watchedUp();
    await run.waitFor(/controller-nova-cells creating/, 1_200_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    run.killGroup();
    await run.exited;
    recovered = await novaInstaller(["recover", "--stack", stack]);
    expect(recovered.exitCode, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout).toMatch(/interrupted while creating: controller-/);
    console.log(`[e2e] killed during the cell mapping, recovered at ${at()}:\n${recovered.stdout.trim()}`);

    const final = await up("first deploy, after three interruptions");
    expect(final.stdout, "the recovered stack has no pending operation left").not.toMatch(/pending operations/);
    const again = await novaInstaller(["recover", "--stack", stack]);
    expect(again.stdout).toMatch(/nothing to recover/);
  });

  it("lets no password through: not in a command line sampled on any host during the deploy, pulumi's output, the state or the stack file", async () => {
    for (const host of ["controller", "compute1", "compute2"]) {
      const samples = await stopPsSampler(host);
      expect(samples, `${host}: the sampler saw the installer's steps`).toContain("/bin/bash -s");
      expect(passwordsIn(samples), `${host}: passwords on command lines`).toEqual([]);
    }
    const exported = await pulumi(["stack", "export"]);
    expect(exported.exitCode).toBe(0);
    expect(exported.stdout).toContain("controller-databases-grants");
    expect(passwordsIn(exported.stdout), "passwords in the state").toEqual([]);
    const stackFile = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`), "utf8");
    expect(stackFile).toMatch(/secure: /);
    expect(passwordsIn(stackFile), "passwords in the stack file").toEqual([]);
    expect(passwordsIn(printed.join("\n")), "passwords in pulumi's or the installer's output").toEqual([]);
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
    const modes = await sh(
      "controller",
      "stat -c '%a %U:%G %n' /etc/nova/nova.conf /etc/nova/nova-database.cnf /etc/placement/placement.conf /root/admin-openrc",
    );
    expect(modes).toContain("640 root:nova /etc/nova/nova.conf");
    expect(modes).toContain("640 root:nova /etc/nova/nova-database.cnf");
    expect(modes).toContain("640 root:placement /etc/placement/placement.conf");
    expect(modes).toContain("600 root:root /root/admin-openrc");
    // Every file under /etc and /root holding a password, on every host: none readable by others.
    const patterns = Object.values(passwords).filter(Boolean).flatMap(secretForms).join("\n") + "\n";
    for (const host of ["controller", "compute1", "compute2"]) {
      const found = await runCommand(endpoint(host), "grep -rlF -f /dev/stdin /etc /root 2>/dev/null | xargs -r stat -c '%a %U:%G %n'", {
        stdin: patterns,
      });
      const files = found.stdout.trim().split("\n").filter(Boolean);
      if (host === "controller") expect(files.length, "files with passwords found on the controller").toBeGreaterThan(5);
      for (const line of files) expect(line, `${host}: a file with a password is readable by others`).toMatch(/^[0-7][0-7]0 /);
    }
  });

  it("leaves no policy-rc.d behind on any host, after interrupted package runs too: later apt runs start services as usual", async () => {
    for (const host of inventory.hosts.map((entry) => entry.name)) {
      expect(await sh(host, "ls /usr/sbin/policy-rc.d 2>/dev/null || echo none"), host).toBe("none\n");
    }
  });

  it("changes nothing on a second pulumi up", async () => {
    const second = await up("second deploy (no changes)");
    expect(second.stdout).not.toMatch(/^\s+[+~-]\s+\d+ to /m);
    expect(second.stdout).toMatch(/Resources:\s+\d+ unchanged\s*\n\s*\nDuration/);
  });

  it("forcing every step's script to run again creates no duplicate Keystone object or cell and keeps every database row", async () => {
    const before = await cloudInventory();
    expect(before.cells.match(/\| (cell0|cell1) /g)?.length, "exactly cell0 and cell1").toBe(2);
    const exported = await pulumi(["stack", "export", "--show-secrets"]);
    expect(exported.exitCode).toBe(0);
    const resources = (JSON.parse(exported.stdout) as { deployment: { resources: { custom?: boolean; outputs?: Record<string, unknown> }[] } })
      .deployment.resources;
    const steps = resources.filter(
      (resource) => resource.custom && resource.outputs?.create !== undefined && resource.outputs?.connection !== undefined,
    );
    expect(steps.length).toBeGreaterThan(40);
    const started = Date.now();
    // In the state's order, which is the order of dependencies: what a full re-run would do.
    for (const step of steps) {
      await scriptProvider.create(reveal(step.outputs));
    }
    console.log(`[e2e] ran the scripts of all ${steps.length} steps again in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(await cloudInventory()).toEqual(before);
  });

  it("passes nova-installer doctor: every host reachable with its pinned key, deployed ports listening", async () => {
    const doctor = await novaInstaller(["doctor", "--stack", stack]);
    expect(doctor.exitCode, doctor.stdout + doctor.stderr).toBe(0);
    const rows = parseCheckTable(doctor.stdout);
    expect(
      rows.filter((row) => row.result === "FAIL"),
      doctor.stdout,
    ).toEqual([]);
    for (const host of ["controller", "compute1", "compute2"]) {
      expect(rows.filter((row) => row.host === host && row.result === "OK").map((row) => row.check)).toEqual(
        expect.arrayContaining(["ssh", "os", "hostname", "resolve", "clock", "memory", "disk"]),
      );
    }
    expect(rows).toContainEqual(
      expect.objectContaining({ host: "controller", check: "ports", result: "OK", detail: expect.stringMatching(/^running; .*free: none$/) }),
    );
    // The lab's computes get /dev/kvm only where this machine runs KVM guests (lab/hypervisor.ts).
    const kvm = inventory.accelerator.accelerator === "kvm";
    for (const host of ["compute1", "compute2"]) {
      expect(rows).toContainEqual(
        expect.objectContaining({
          host,
          check: "virtualization",
          result: kvm ? "OK" : "WARN",
          detail: expect.stringMatching(
            kvm
              ? /^kvm \(what the host can run\): .*\/dev\/kvm is present/
              : /^qemu \(what the host can run; software emulation, slow\): .*\/dev\/kvm is absent/,
          ),
        }),
      );
    }
  });

  it("passes nova-installer verify --boot: services, catalog, image, cells, hypervisors, upgrade checks, a guest's marker on each compute", async () => {
    const verify = await novaInstaller(["verify", "--stack", stack, "--boot"]);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    expect(parseCheckTable(verify.stdout).map((row) => `${row.host} ${row.check} ${row.result}`)).toEqual([
      "controller compute services OK",
      "controller catalog OK",
      "controller images OK",
      "controller cells OK",
      "controller nova-status OK",
      "controller placement-status OK",
      "controller units OK",
      "compute1 nova-compute OK",
      "compute1 hypervisor OK",
      "compute1 units OK",
      "compute1 boot OK",
      "compute2 nova-compute OK",
      "compute2 hypervisor OK",
      "compute2 units OK",
      "compute2 boot OK",
    ]);
    const virtType = inventory.accelerator.accelerator === "kvm" ? "kvm" : "qemu";
    for (const row of parseCheckTable(verify.stdout).filter((entry) => entry.check === "boot")) {
      expect(row.detail).toMatch(
        new RegExp(`^libvirt\\.LibvirtDriver, virt_type ${virtType} \\(${inventory.accelerator.accelerator}\\): marker [0-9.]+ s after create`),
      );
    }
    console.log(
      `[e2e] verify --boot:\n${verify.stdout
        .split("\n")
        .filter((line) => line.includes(" boot "))
        .join("\n")}`,
    );
  });

  it("summarizes a one-key change with nova-installer preview-diff: the setting, 4.0 -> 3.0, no secret", async () => {
    const override = (ratio: string) =>
      pulumi(["config", "set", "--path", "configOverrides.novaCompute.DEFAULT.cpu_allocation_ratio", ratio, "--type", "string"]);
    expect((await override("4.0")).exitCode).toBe(0);
    try {
      const applied = await up("override cpu_allocation_ratio 4.0");
      expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
      expect((await override("3.0")).exitCode).toBe(0);
      const diff = await novaInstaller(["preview-diff", "--stack", stack]);
      expect(diff.exitCode, diff.stderr).toBe(0);
      expect(diff.stdout).toContain("**2 steps to change**: 0 to create, 2 to update, 0 to replace, 0 to delete.");
      const settings = diff.stdout.split("\n").filter((line) => line.includes("| `/"));
      expect(settings).toEqual([
        "| compute1 | `/etc/nova/nova.conf` | update | `[DEFAULT] cpu_allocation_ratio` | changed | 4.0 -> 3.0 |",
        "| compute2 | `/etc/nova/nova.conf` | update | `[DEFAULT] cpu_allocation_ratio` | changed | 4.0 -> 3.0 |",
      ]);
      expect(passwordsIn(diff.stdout + diff.stderr), "passwords in preview-diff").toEqual([]);
      expect(diff.stdout, "no connection string").not.toMatch(/rabbit:\/\/|mysql\+pymysql:\/\//);
    } finally {
      const rm = await pulumi(["config", "rm", "configOverrides"]);
      expect(rm.exitCode, rm.stderr).toBe(0);
    }
    const restored = await up("override removed");
    expect(restored.exitCode, restored.stdout + restored.stderr).toBe(0);
    const reverted = await novaInstaller(["preview-diff", "--stack", stack]);
    expect(reverted.exitCode, reverted.stderr).toBe(0);
    expect(reverted.stdout).toContain("No changes: every step is up to date.");
  });

  it("shows drift made by hand (a setting, an operator's addition, a mode, a unit, an endpoint, a flavor, a host mapping) and puts it back with up --refresh", async () => {
    const startedAt = async (host: string, unit: string) =>
      (await sh(host, `systemctl show -p ActiveEnterTimestampMonotonic --value ${unit}`)).trim();
    const before = {
      compute1: await startedAt("compute1", "nova-compute"),
      libvirtd: await startedAt("compute1", "libvirtd"),
      compute2: await startedAt("compute2", "nova-compute"),
    };
    const clean = await novaInstaller(["drift", "--stack", stack]);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain("no drift");

    // By hand, as an operator would: a managed setting edited and a key added outside
    // configOverrides, a credentials file opened to everyone, the scheduler stopped and disabled,
    // the compute endpoint's internal URL and the flavor deleted, compute2's host mapping removed.
    await sh("compute1", "sed -i 's/^my_ip = .*/my_ip = 10.9.9.9/; /^\\[DEFAULT\\]/a cpu_allocation_ratio = 8.0' /etc/nova/nova.conf");
    await sh("controller", "chmod 0644 /etc/nova/nova-database.cnf && systemctl disable --now nova-scheduler");
    await openstack("endpoint list --service compute --interface internal -f value -c ID | xargs -r openstack endpoint delete");
    await openstack("flavor delete m1.tiny");
    await sh(
      "controller",
      "cell=$(nova-manage cell_v2 list_cells | awk -F'|' '$2 ~ /cell1/ {gsub(/ /, \"\", $3); print $3}') && nova-manage cell_v2 delete_host --cell_uuid \"$cell\" --host compute2",
    );

    const drift = await novaInstaller(["drift", "--stack", stack]);
    expect(drift.exitCode, drift.stdout + drift.stderr).toBe(1);
    const found = drift.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s{2,}/))
      .filter((fields) => fields.length === 4 && fields[0] !== "WHAT")
      .map(([what, expected, found]) => `${what} | ${expected} | ${found}`);
    expect(found.sort()).toEqual(
      [
        `/etc/nova/nova.conf [DEFAULT] my_ip | ${inventory.hosts.find((host) => host.name === "compute1")!.address} | 10.9.9.9`,
        "/etc/nova/nova.conf [DEFAULT] cpu_allocation_ratio | (absent) | 8.0",
        "/etc/nova/nova-database.cnf mode | 0640 | 0644",
        "unit nova-scheduler | active | inactive",
        "unit nova-scheduler boot | enabled | disabled",
        "endpoint nova/internal | http://controller:8774/v2.1 | missing",
        "flavor m1.tiny | present | missing",
        "host mapping compute2 | present | missing",
      ].sort(),
    );
    const markdown = await novaInstaller(["drift", "--stack", stack, "--markdown"]);
    expect(markdown.exitCode).toBe(1);
    expect(markdown.stdout).toContain(
      "| controller | endpoint nova/internal | http://controller:8774/v2.1 | missing | controller-registration-keystone |",
    );
    expect(passwordsIn(drift.stdout + drift.stderr + markdown.stdout + markdown.stderr), "passwords in drift").toEqual([]);

    // A refresh records it: a preview then shows exactly the drifted steps as updates.
    const refresh = await pulumi(["refresh", "--yes", "--skip-preview"]);
    expect(refresh.exitCode, refresh.stdout + refresh.stderr).toBe(0);
    const preview = await pulumi(["preview"]);
    expect(preview.exitCode, preview.stdout + preview.stderr).toBe(0);
    expect([...preview.stdout.matchAll(/RemoteScript (\S+) update/g)].map((match) => match[1]).sort()).toEqual(
      [
        "compute1-compute-nova-conf",
        "controller-nova-database-credentials",
        "controller-nova-services",
        "controller-registration-keystone",
        "controller-flavors-create",
        "controller-discovery-discover",
      ].sort(),
    );

    const repair = await pulumi(["up", "--refresh", "--yes", "--skip-preview"]);
    expect(repair.exitCode, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/~ 6 updated/);
    const after = await novaInstaller(["drift", "--stack", stack]);
    expect(after.exitCode, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain("no drift");
    expect(await sh("compute1", "grep -c cpu_allocation_ratio /etc/nova/nova.conf || true")).toBe("0\n");
    // Exactly the units that read a repaired file restarted: compute1's nova-compute, not its libvirtd, not compute2's.
    expect(await startedAt("compute1", "nova-compute")).not.toBe(before.compute1);
    expect(await startedAt("compute1", "libvirtd")).toBe(before.libvirtd);
    expect(await startedAt("compute2", "nova-compute")).toBe(before.compute2);
    const verify = await verifyWithin(300);
    expect(
      parseCheckTable(verify).filter((row) => row.result !== "OK"),
      verify,
    ).toEqual([]);
    const exported = await pulumi(["stack", "export"]);
    expect(passwordsIn(exported.stdout), "passwords in the refreshed state").toEqual([]);
  });

  it("configures every Neutron model in each neutron-api worker before it serves: a fresh worker's first port listing answers", async () => {
    // The module is what each worker imports first, and it is what makes Port.port_forwardings exist.
    const ini = await sh("controller", "cat /etc/neutron/neutron-api-uwsgi.ini");
    expect(ini).toContain(`\nimport = ${neutronPreloadModule}\n`);
    expect(ini).toContain(`\npythonpath = ${neutronPreloadDirectory}\n`);
    const probe = [
      "import sys",
      `sys.path.insert(0, "${neutronPreloadDirectory}")`,
      "from neutron.db import models_v2",
      'print(hasattr(models_v2.Port, "port_forwardings"))',
      `import ${neutronPreloadModule}`,
      'print(hasattr(models_v2.Port, "port_forwardings"))',
    ].join("\n");
    expect((await sh("controller", `python3 - 2>/dev/null <<'PY'\n${probe}\nPY`)).trim().split("\n")).toEqual(["False", "True"]);
    // Fresh workers (lazy-apps: each loads the application on its first request), and a port
    // listing as the first request of each: without the module, HTTP 500.
    await sh(
      "controller",
      "systemctl restart neutron-api && for i in $(seq 60); do timeout 2 bash -c '</dev/tcp/127.0.0.1/9696' 2>/dev/null && break; sleep 1; done",
    );
    for (let request = 0; request < 4; request++) await openstack("port list -f value -c ID");
    const errors = await sh("controller", "grep -c \"has no attribute 'port_forwardings'\" /var/log/neutron/neutron-api.log || true");
    expect(errors.trim()).toBe("0");
  });

  it("runs a real guest through the libvirt driver: boot, console log, stop/start, soft and hard reboot, pause/unpause, suspend/resume, delete", async () => {
    const accelerator = inventory.accelerator.accelerator;
    try {
      const server = await createServer("e2e-server");
      expect(server.status).toBe("ACTIVE");
      expect(["compute1", "compute2"]).toContain(server.host);
      const { id, host } = server;
      const hypervisors = await openstack("hypervisor list -f value -c 'Hypervisor Hostname' -c 'Hypervisor Type'");
      expect(hypervisors).toMatch(new RegExp(`^${host} QEMU$`, "m"));
      console.log(`[e2e] guest ${id} on ${host}: ${await waitForMarker(id)}`);
      let runtime = await guestRuntime(host, id);
      expect(runtime, "the domain's virt_type and QEMU's accelerator are the lab's").toMatchObject({
        domainType: accelerator === "kvm" ? "kvm" : "qemu",
        state: "running",
        accelerator,
      });

      // Each start is a new QEMU process whose console log holds a new marker.
      const restarted = async (action: string, status = "ACTIVE") => {
        const before = runtime.pid;
        await openstack(`server ${action} ${id}`);
        await waitForStatus(id, status);
        runtime = await guestRuntime(host, id);
        expect(runtime.state, action).toBe("running");
        expect(runtime.pid, `${action}: a new QEMU process`).not.toBe(before);
        console.log(`[e2e] ${action}: ${await waitForMarker(id)}`);
      };

      await openstack(`server stop ${id}`);
      await waitForStatus(id, "SHUTOFF");
      expect((await guestRuntime(host, id)).state).toBe("shut off");
      await restarted("start");
      // Soft: an ACPI power-off the guest honours, then a start; Nova falls back to a hard reboot when the guest ignores it.
      const logLines = Number((await sh(host, "wc -l < /var/log/nova/nova-compute.log")).trim());
      await restarted("reboot --soft");
      const softLog = await sh(host, `tail -n +${logLines + 1} /var/log/nova/nova-compute.log`);
      expect(softLog).toMatch(/Instance shutdown successfully/);
      expect(softLog).not.toMatch(/Failed to soft reboot instance/);
      await restarted("reboot --hard");

      await openstack(`server pause ${id}`);
      await waitForStatus(id, "PAUSED");
      expect((await guestRuntime(host, id)).state).toBe("paused");
      await openstack(`server unpause ${id}`);
      await waitForStatus(id, "ACTIVE");
      expect((await guestRuntime(host, id)).state).toBe("running");

      // Suspend saves the guest's memory to disk and ends QEMU; resume restores it in a new one.
      await openstack(`server suspend ${id}`);
      await waitForStatus(id, "SUSPENDED");
      expect(await guestRuntime(host, id)).toMatchObject({ state: "shut off", pid: 0 });
      expect(await sh(host, `virsh -c qemu:///system dominfo $(virsh -c qemu:///system domname ${id}) | grep -i 'managed save'`)).toMatch(/yes/);
      await openstack(`server resume ${id}`);
      await waitForStatus(id, "ACTIVE");
      expect((await guestRuntime(host, id)).state).toBe("running");

      await deleteServer(id);
      expect(await sh(host, `virsh -c qemu:///system list --all --uuid | grep -c ${id} || true`)).toBe("0\n");
      expect(await sh(host, `test -e /var/lib/nova/instances/${id} && echo left || echo gone`)).toBe("gone\n");
    } finally {
      // Also when the boot failed: a server left behind would fail the checks that follow.
      for (const id of (await openstack("server list --all-projects --name e2e-server -f value -c ID")).trim().split("\n").filter(Boolean)) {
        await deleteServer(id);
      }
    }
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
      expect(change, "only compute3's resources and discovery change").toMatch(
        /^(create compute3-|update controller-discovery|update destroy-guard$)/,
      );
    }
    expect(changed).toContain("update controller-discovery-discover");
    expect(changed).toContain("create compute3-compute-services");

    await up("add compute3");
    const hypervisors = await openstack("hypervisor list -f value -c 'Hypervisor Hostname' -c State");
    expect(hypervisors.trim().split("\n").sort()).toEqual(["compute1 up", "compute2 up", "compute3 up"]);
    const after = await Promise.all(["compute1", "compute2"].map((host) => startTimes(host, ["nova-compute"])));
    expect(after, "existing computes were not restarted").toEqual(before);
    expect(await startTimes("controller", ["nova-api", "nova-scheduler", "nova-conductor"]), "the control plane was not restarted").toBe(
      controllerBefore,
    );
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
    expect((await sh("compute3", "systemctl is-enabled nova-compute || true")).trim()).toBe("disabled");
  });

  it("names the host and the step when a host's sshd dies or its host key changes mid-deploy; converges once sshd is back and the new key is trusted", async () => {
    // compute2 gets a new host key (as a reinstall would); the stack still pins the old one.
    await hostExec(context, "compute2", [
      "bash",
      "-c",
      "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh",
    ]);
    const newKey = (await hostExec(context, "compute2", ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"])).trim();
    const newFingerprint = fingerprint(publicKeyBlob(newKey));
    // A change every compute must apply, so the deploy has work on both.
    const set = await pulumi(["config", "set", "--path", "configOverrides.novaCompute.DEFAULT.debug", "true"]);
    expect(set.exitCode, set.stderr).toBe(0);

    const run = watchedUp();
    await run.waitFor(/Updating \(/, 120_000);
    // compute1's sshd dies with every session while the deploy runs.
    await hostExec(context, "compute1", ["bash", "-c", "systemctl stop ssh.service ssh.socket 2>/dev/null; pkill -KILL -x sshd; true"]);
    expect(await run.exited).not.toBe(0);
    expect(run.output).toMatch(
      /compute1 \(10\.244\.0\.\d+\): "write \/etc\/nova\/nova\.conf" \(update\) did not complete: cannot reach compute1 over SSH/,
    );
    expect(run.output).toMatch(/compute2 \(10\.244\.0\.\d+\): "write \/etc\/nova\/nova\.conf" \(update\) did not complete: host key of compute2/);
    expect(run.output).toContain(`nova-installer hosts trust compute2 --stack STACK --fingerprint ${newFingerprint}`);

    await hostExec(context, "compute1", ["systemctl", "start", "ssh"]);
    const refused = await novaInstaller(["hosts", "trust", "compute2", "--stack", stack]);
    expect(refused.exitCode, "trusting needs the fingerprint the operator verified").toBe(1);
    const trusted = await novaInstaller(["hosts", "trust", "compute2", "--stack", stack, "--fingerprint", newFingerprint]);
    expect(trusted.exitCode, trusted.stdout + trusted.stderr).toBe(0);
    await up("after compute1's sshd is back and compute2's new key is trusted");
    for (const host of ["compute1", "compute2"]) {
      expect(await sh(host, "grep -x 'debug = true' /etc/nova/nova.conf")).toContain("debug = true");
    }
    const rm = await pulumi(["config", "rm", "configOverrides"]);
    expect(rm.exitCode, rm.stderr).toBe(0);
    await up("override removed");
  });

  it("brings every service back by itself after the controller and a compute reboot, and the compute's guest with them", async () => {
    const guest = await createServer("e2e-survivor", "--availability-zone nova:compute1");
    expect(guest).toMatchObject({ status: "ACTIVE", host: "compute1" });
    await waitForMarker(guest.id);
    const before = await guestRuntime("compute1", guest.id);
    expect(before.state).toBe("running");
    await rebootHost(context, "controller");
    await rebootHost(context, "compute1");
    // Nothing is started by hand: wait (bounded) for the hosts' own boot to bring every unit up.
    const units: Record<string, string[]> = {
      controller: [
        "mariadb",
        "rabbitmq-server",
        "memcached",
        "keystone",
        "glance-api",
        "neutron-api",
        "placement-api",
        "nova-api",
        "nova-scheduler",
        "nova-conductor",
        "nova-novncproxy",
      ],
      compute1: ["nova-compute"],
    };
    for (const [host, names] of Object.entries(units)) {
      const states = await sh(
        host,
        `for i in $(seq 300); do [ -z "$(systemctl is-active ${names.join(" ")} | grep -vx active)" ] && break; sleep 1; done; systemctl is-active ${names.join(" ")} || true`,
      );
      expect(states.trim().split("\n"), `${host}: ${names.join(" ")}`).toEqual(names.map(() => "active"));
    }
    // Then the guide's verification, with heartbeats sent since the reboot.
    const verify = await verifyWithin(300);
    expect(
      parseCheckTable(verify).filter((row) => row.result !== "OK"),
      verify,
    ).toEqual([]);
    // resume_guests_state_on_host_boot: nova-compute started the guest again (a new QEMU, a new boot's marker).
    try {
      await waitForStatus(guest.id, "ACTIVE");
      const deadline = Date.now() + 300_000;
      let after = await guestRuntime("compute1", guest.id);
      while (after.state !== "running" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        after = await guestRuntime("compute1", guest.id);
      }
      expect(after.state, "the guest runs again after its compute rebooted").toBe("running");
      expect(after.pid).not.toBe(before.pid);
      console.log(`[e2e] after the compute's reboot: ${await waitForMarker(guest.id)}`);
      expect((await openstack(`server show ${guest.id} -f value -c OS-EXT-STS:power_state`)).trim()).toMatch(/^(Running|1)$/);
    } finally {
      await deleteServer(guest.id);
    }
  });

  it("rejoins a compute rebuilt from scratch under its name and address: one compute service, hypervisor and resource provider; its lost guest is in ERROR until rebuilt", async () => {
    const identityFile = "/var/lib/nova/compute_id";
    const guest = await createServer("e2e-orphan", "--availability-zone nova:compute1");
    expect(guest).toMatchObject({ status: "ACTIVE", host: "compute1" });
    const identity = (await sh("compute1", `cat ${identityFile}`)).trim();
    const records = async (table: string, column: string) =>
      (
        await sh(
          "controller",
          `mysql -N -B -e "SELECT uuid FROM ${table} WHERE ${column} = 'compute1'${table === "nova.compute_nodes" ? " AND deleted = 0" : ""}"`,
        )
      )
        .trim()
        .split("\n")
        .filter(Boolean);
    expect(await records("nova.compute_nodes", "host"), "nova's record of compute1 carries the written identity").toEqual([identity]);
    expect(await records("placement.resource_providers", "name")).toEqual([identity]);

    // A new root from the image: nothing installed, a new host key and machine id; same name and address.
    inventory = await rebuildHost(context, "compute1");
    cloud.inventory = inventory;
    const newKey = inventory.hosts.find((host) => host.name === "compute1")?.hostPublicKey ?? "";
    expect(await sh("compute1", `test -e ${identityFile} && echo kept || echo gone`)).toBe("gone\n");
    const trusted = await novaInstaller(["hosts", "trust", "compute1", "--stack", stack, "--fingerprint", fingerprint(publicKeyBlob(newKey))]);
    expect(trusted.exitCode, trusted.stdout + trusted.stderr).toBe(0);
    const rejoined = await up("compute1 rebuilt from scratch, its new key trusted");
    expect(rejoined.stdout, "every step on compute1 ran again").toMatch(/compute1-compute-packages updated/);
    expect(rejoined.stdout, "nothing else changed").not.toMatch(/(controller|compute2)-\S+ updated/);

    expect((await sh("compute1", `cat ${identityFile}`)).trim(), "the rebuilt host took over its identity").toBe(identity);
    expect(await records("nova.compute_nodes", "host"), "one compute node record, the same").toEqual([identity]);
    expect(await records("placement.resource_providers", "name"), "one resource provider, the same").toEqual([identity]);
    const verify = await verifyWithin(300);
    expect(
      parseCheckTable(verify).filter((row) => row.result !== "OK"),
      verify,
    ).toEqual([]);
    const services = await openstack("compute service list --service nova-compute -f value -c Host -c State");
    expect(services.trim().split("\n").sort()).toEqual(["compute1 up", "compute2 up"]);
    const hypervisors = await openstack("hypervisor list -f value -c 'Hypervisor Hostname' -c State");
    expect(hypervisors.trim().split("\n").sort()).toEqual(["compute1 up", "compute2 up"]);

    // The guest's disk went with the old root: nova-compute fails to resume it and marks it ERROR
    // (docs/compute-identity.md); rebuilding it from its image brings it back on the same host.
    try {
      await waitForStatus(guest.id, "ERROR").catch(() => undefined);
      expect((await openstack(`server show ${guest.id} -f value -c status -c OS-EXT-SRV-ATTR:host`)).trim().split("\n")).toEqual([
        "compute1",
        "ERROR",
      ]);
      expect(await sh("compute1", "cat /var/log/nova/nova-compute.log")).toContain(`[instance: ${guest.id}] Failed to resume instance`);
      await openstack(`server rebuild --image ${guestImageName} --wait ${guest.id}`);
      await waitForStatus(guest.id, "ACTIVE");
      cloud.log(`the lost guest rebuilt on compute1: ${await waitForMarker(guest.id)}`);
    } finally {
      await deleteServer(guest.id);
    }
  });

  it("refuses to destroy data unless the stack allows it; then drops the databases and the Keystone registration", async () => {
    const refused = await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/destroy-guard" cannot be deleted\s+because it is protected/);
    expect(refused.stdout + refused.stderr, "nothing was deleted").not.toMatch(/^\s+- \d+ deleted/m);
    const databases = "mysql -N -B -e 'SHOW DATABASES' | grep -E '^(nova_api|nova|nova_cell0|placement|keystone)$' | sort";
    expect((await sh("controller", databases)).trim().split("\n")).toEqual(["keystone", "nova", "nova_api", "nova_cell0", "placement"]);
    expect((await sh("controller", "systemctl is-active nova-api")).trim(), "the refused destroy stopped nothing").toBe("active");
    const services = await openstack("compute service list --service nova-compute -f value -c Host");
    expect(services.trim().split("\n").sort(), "the refused destroy removed no compute").toEqual(["compute1", "compute2"]);

    const allow = await pulumi(["config", "set", "allowDataDestruction", "true"]);
    expect(allow.exitCode, allow.stderr).toBe(0);
    await up("allow data destruction");
    expect(await sh("controller", ". /root/admin-openrc && openstack user list -f value -c Name")).toMatch(/^nova$/m);
    const destroyed = await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(destroyed.exitCode, destroyed.stdout + destroyed.stderr).toBe(0);
    expect((await sh("controller", `${databases} || true`)).trim()).toBe("");
  });
});
