import { describe, expect, it } from "vitest";
import { defaultLabSpec } from "../../lab/config";
import { bridgeAddress, planHosts, renderEtcHosts, renderNetworkdConfig } from "../../lab/network";

describe("lab address plan", () => {
  it("puts the bridge on .1, the controller on .10 and compute k on .10+k", () => {
    expect(bridgeAddress(defaultLabSpec)).toBe("10.241.0.1/24");
    expect(planHosts(defaultLabSpec, 2)).toEqual([
      { name: "controller", role: "controller", address: "10.241.0.10", machine: "nova-controller" },
      { name: "compute1", role: "compute", address: "10.241.0.11", machine: "nova-compute1" },
      { name: "compute2", role: "compute", address: "10.241.0.12", machine: "nova-compute2" },
    ]);
  });

  it("follows the lab's subnet and name", () => {
    const hosts = planHosts({ name: "t", bridge: "t0", subnet: "10.9.8.0/24" }, 1);
    expect(hosts.map((host) => [host.address, host.machine])).toEqual([
      ["10.9.8.10", "t-controller"],
      ["10.9.8.11", "t-compute1"],
    ]);
  });

  it("has only the controller without computes and rejects a bad count", () => {
    expect(planHosts(defaultLabSpec, 0).map((host) => host.name)).toEqual(["controller"]);
    expect(() => planHosts(defaultLabSpec, -2)).toThrow(/--computes -2/);
  });

  it("lists every host in /etc/hosts", () => {
    const text = renderEtcHosts(planHosts(defaultLabSpec, 2));
    expect(text).toContain("127.0.0.1\tlocalhost\n");
    expect(text).toContain("10.241.0.10\tcontroller\n");
    expect(text).toContain("10.241.0.11\tcompute1\n");
    expect(text).toContain("10.241.0.12\tcompute2\n");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("gives host0 a static address and no gateway", () => {
    const [controller] = planHosts(defaultLabSpec, 0);
    const text = renderNetworkdConfig(controller);
    expect(text).toContain("Name=host0");
    expect(text).toContain("Address=10.241.0.10/24");
    expect(text).not.toMatch(/Gateway|DHCP=yes/);
  });
});
