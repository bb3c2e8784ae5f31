/**
 * The lab on real hosts: a 1+1 lab of its own (name, bridge, subnet and state directory apart
 * from the operator's default lab), checked over ssh with pinned keys, then torn down with
 * nothing left behind. Needs root; the image is built first when it is not cached (minutes).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgePorts } from "../../lab/bridge";
import { LabSpec } from "../../lab/config";
import { failedUnitNames, unitReportCommand } from "../../lab/failed-units";
import { Inventory, InventoryHost, inventoryEndpoint, readInventory } from "../../lab/inventory";
import { LabContext, labContext, labDown, labLeftovers, labUp } from "../../lab/lab";
import { labLayout } from "../../lab/paths";
import { closeAllConnections, HostKeyMismatchError, runCommand, withConnection } from "../../remote/ssh";

const spec: LabSpec = { name: "labtest", bridge: "nova-labt0", subnet: "10.242.0.0/24" };
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), "nova-lab-test-"));
const lines: string[] = [];
const context: LabContext = labContext({
  spec,
  stateDir: path.join(stateRoot, "lab"),
  write: (line) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  },
});

let inventory: Inventory;
let isDown = false;

/** Runs a command and fails the test with its output when it exits non-zero. */
async function sh(hostName: string, command: string): Promise<string> {
  const result = await runCommand(inventoryEndpoint(inventory, hostName), command);
  if (result.exitCode !== 0) {
    throw new Error(`${hostName}: "${command}" exited ${result.exitCode}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout.trim();
}

/** Each failed unit's status and journal lines ("" when none failed), for a failure message. */
async function failedUnitReports(host: InventoryHost, failedListing: string): Promise<string> {
  let reports = "";
  for (const unit of failedUnitNames(failedListing)) {
    const result = await runCommand(inventoryEndpoint(inventory, host.name), unitReportCommand(unit));
    reports += `\n${result.stdout.trimEnd()}${result.stderr.trim() === "" ? "" : `\n${result.stderr.trimEnd()}`}`;
  }
  return reports;
}

describe.runIf(process.getuid?.() === 0)("lab (1 controller + 1 compute)", () => {
  beforeAll(async () => {
    inventory = await labUp(context, 1);
  });

  afterAll(async () => {
    await closeAllConnections();
    if (!isDown) await labDown(context);
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it("writes the inventory the installer reads", () => {
    expect(readInventory(labLayout(context.stateDir).inventory)).toEqual(inventory);
    expect(inventory.hosts.map((host) => [host.name, host.role, host.address])).toEqual([
      ["controller", "controller", "10.242.0.10"],
      ["compute1", "compute", "10.242.0.11"],
    ]);
    for (const host of inventory.hosts) expect(host.hostPublicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(inventory.hosts[0].hostPublicKey).not.toBe(inventory.hosts[1].hostPublicKey);
  });

  it("answers ssh with each host's pinned key, under its own name", async () => {
    for (const host of inventory.hosts) expect(await sh(host.name, "hostname")).toBe(host.name);
  });

  it("refuses a host presenting another key than the pinned one", async () => {
    const controller = { ...inventoryEndpoint(inventory, "controller"), hostPublicKey: inventoryEndpoint(inventory, "compute1").hostPublicKey };
    const error = await withConnection(controller, () => Promise.resolve()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect((error as Error).message).toMatch(/^host key of controller \(10\.242\.0\.10:22\) does not match the pinned key/);
  });

  it("boots systemd as PID 1 to a running (or at worst degraded) system", async () => {
    for (const host of inventory.hosts) {
      expect(await sh(host.name, "cat /proc/1/comm")).toBe("systemd");
      const state = (await runCommand(inventoryEndpoint(inventory, host.name), "timeout 60 systemctl is-system-running --wait")).stdout.trim();
      const failed = await sh(host.name, "systemctl list-units --failed --plain --no-legend");
      const reports = await failedUnitReports(host, failed);
      expect(["running", "degraded"], `${host.name} is ${state}; failed units:\n${failed}${reports}`).toContain(state);
      expect(failed, `${host.name} failed units; their status and journal:${reports}`).toBe("");
      // The journal stays in memory (lab/host-files.ts): nothing was flushed out of /run.
      expect(await sh(host.name, "test -e /run/log/journal/$(cat /etc/machine-id)/system.journal && echo in-memory")).toBe("in-memory");
    }
  });

  it("resolves every lab host by name and reaches it", async () => {
    for (const host of inventory.hosts) {
      const hostsSeen = await sh(host.name, "getent hosts controller compute1");
      expect(hostsSeen).toMatch(/10\.242\.0\.10\s+controller/);
      expect(hostsSeen).toMatch(/10\.242\.0\.11\s+compute1/);
    }
    await sh("compute1", "ping -c 1 -W 2 controller");
  });

  it("installs a package from the offline cache and runs it", async () => {
    await sh("compute1", "ip route get 1.1.1.1 >/dev/null 2>&1 && exit 1 || true"); // no route out
    await sh("compute1", "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends memcached");
    expect(await sh("compute1", "systemctl is-active memcached")).toBe("active");
    expect(await sh("compute1", "ss -Htln 'sport = :11211' | wc -l")).not.toBe("0");
  });

  it("installs and starts MariaDB and RabbitMQ from the offline cache", async () => {
    await sh("controller", "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server rabbitmq-server");
    expect(await sh("controller", "systemctl is-active mariadb rabbitmq-server")).toBe("active\nactive");
    expect(await sh("controller", "mysql -N -e 'select 1'")).toBe("1");
    await sh("controller", "rabbitmqctl status >/dev/null");
  });

  it("keeps running hosts on a second up with the same count", async () => {
    lines.length = 0;
    const again = await labUp(context, 1);
    expect(again).toEqual(inventory);
    expect(lines.filter((line) => line.includes("ready in"))).toHaveLength(2);
    expect(lines.filter((line) => line.includes("(already running)"))).toHaveLength(2);
  });

  it("goes down leaving no process, mount, cgroup, bridge, veth or address", async () => {
    const veths = await bridgePorts(spec.bridge);
    expect(veths).toHaveLength(2);
    await closeAllConnections();
    await labDown(context);
    isDown = true;
    expect(await labLeftovers(spec, context.stateDir, veths)).toEqual([]);
    expect(fs.existsSync(context.stateDir)).toBe(false);
  });
});
