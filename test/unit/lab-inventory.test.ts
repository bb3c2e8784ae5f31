import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { defaultLabSpec } from "../../lab/config";
import { buildInventory, inventoryEndpoint, parseInventory, readInventory, renderInventory } from "../../lab/inventory";
import { planHosts } from "../../lab/network";

const key = (name: string): string => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${name} root@${name}`;

describe("lab inventory", () => {
  const hosts = planHosts(defaultLabSpec, 1);
  const accelerator = { accelerator: "tcg" as const, reason: "/dev/kvm is absent and the CPU shows no vmx/svm" };
  const inventory = buildInventory(hosts, { controller: key("controller"), compute1: key("compute1") }, "/state/lab/id_ed25519", accelerator);

  it("has the documented shape", () => {
    expect(inventory).toEqual({
      sshUser: "root",
      privateKeyPath: "/state/lab/id_ed25519",
      hosts: [
        { name: "controller", role: "controller", address: "10.241.0.10", hostPublicKey: key("controller") },
        { name: "compute1", role: "compute", address: "10.241.0.11", hostPublicKey: key("compute1") },
      ],
      accelerator,
    });
  });

  it("round-trips through the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inventory-"));
    const file = path.join(dir, "inventory.json");
    fs.writeFileSync(file, renderInventory(inventory));
    expect(readInventory(file)).toEqual(inventory);
    fs.rmSync(dir, { recursive: true });
  });

  it("refuses a host without a key", () => {
    expect(() => buildInventory(hosts, { controller: key("controller") }, "/k", accelerator)).toThrow(/no host public key for lab host "compute1"/);
  });

  it("names the offending field of a malformed file", () => {
    const bad = JSON.parse(renderInventory(inventory)) as { hosts: { address: string }[] };
    bad.hosts[1].address = "nowhere";
    expect(() => parseInventory(JSON.stringify(bad), "x.json")).toThrow(
      'lab inventory x.json: hosts[1].address is "nowhere", expected an IPv4 address',
    );
    expect(() => parseInventory("{", "x.json")).toThrow(/x.json is not JSON/);
    const older = JSON.parse(renderInventory(inventory)) as { accelerator?: unknown };
    delete older.accelerator;
    expect(() => parseInventory(JSON.stringify(older), "x.json")).toThrow(
      "lab inventory x.json: accelerator is undefined, expected an object (written by lab up)",
    );
    expect(() => readInventory("/nonexistent/inventory.json")).toThrow(/run "nova-installer lab up" first/);
  });

  it("gives a host's SSH endpoint by name, and lists the known hosts otherwise", () => {
    expect(inventoryEndpoint(inventory, "compute1")).toEqual({
      hostName: "compute1",
      address: "10.241.0.11",
      user: "root",
      privateKeyPath: "/state/lab/id_ed25519",
      hostPublicKey: key("compute1"),
    });
    expect(() => inventoryEndpoint(inventory, "compute9")).toThrow('lab host "compute9" is not in the inventory; hosts: controller, compute1');
  });
});
