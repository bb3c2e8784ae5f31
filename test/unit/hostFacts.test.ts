import { execFileSync, spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { HostFacts, hostFactsScript, parseHostFacts } from "../../components/hostFacts";
import { recordResources, valueOf } from "../support/mocks";
import { testHostKey } from "../support/stacks";

const connection = {
  hostName: "compute1",
  address: "10.0.0.11",
  privateKeyPath: "/keys/lab",
  hostPublicKey: testHostKey,
};

describe("host facts script", () => {
  it("prints facts this machine's own shell can produce and the parser reads", () => {
    const facts = parseHostFacts(execFileSync("/bin/sh", ["-c", hostFactsScript()], { encoding: "utf8" }));
    expect(facts.osId).toMatch(/^[a-z]+$/);
    expect(facts.virtualizationFlags).toBeGreaterThanOrEqual(0);
    expect(typeof facts.kvmUsable).toBe("boolean");
    expect(facts.kvmReason).toMatch(/\/dev\/kvm is/);
    expect(typeof facts.hostnameResolves).toBe("boolean");
  });

  it("refuses a compute that cannot meet the settings, after printing what it found", () => {
    const result = spawnSync("/bin/sh", ["-c", hostFactsScript({ kvm: true, tun: true })], { encoding: "utf8" });
    const facts = parseHostFacts(result.stdout);
    expect(result.status).toBe(facts.kvmUsable && facts.tunDevice ? 0 : 1);
    if (!facts.kvmUsable) expect(result.stderr).toContain(`nova-installer:virtType is kvm, but this host cannot run KVM guests: ${facts.kvmReason}`);
  });

  it("rejects output that is not the script's", () => {
    expect(() => parseHostFacts("bash: hostname: command not found")).toThrow(/cannot read host facts/);
    expect(() => parseHostFacts('{"osId":"debian"}')).toThrow(/incomplete host facts/);
  });
});

describe("HostFacts component", () => {
  it("runs one probe on the host it is given, as a child named after it", async () => {
    const stdout =
      '{"osId":"debian","osVersionId":"12","hostname":"compute1","virtualizationFlags":0,"kvmDevice":false,"kvmModule":"","kvmUsable":false,"kvmReason":"/dev/kvm is absent and the CPU shows no vmx/svm","tunDevice":true,"hostnameResolves":true}\n';
    const recorded = recordResources((resource) => (resource.type.endsWith(":RemoteScript") ? { stdout } : undefined));

    const component = new HostFacts("compute1-facts", { connection });
    const facts = await valueOf(component.facts);

    expect(recorded.map((resource) => [resource.type, resource.name])).toEqual([
      ["nova-installer:host:HostFacts", "compute1-facts"],
      ["pulumi-nodejs:dynamic/nova-installer:RemoteScript", "compute1-facts-probe"],
    ]);
    const probe = recorded[1].inputs;
    expect(probe.connection).toEqual(connection);
    expect(probe.create).toBe(hostFactsScript());
    expect(probe.description).toBe("read host facts");
    expect(facts).toEqual(JSON.parse(stdout));
  });
});
