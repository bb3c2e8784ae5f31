import { execFileSync, spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { HostFacts, hostFactsScript, parseHostFacts } from "../../components/hostFacts";
import { osReleaseIdentities, profileFor } from "../../profiles/profiles";
import { recordResources, valueOf } from "../support/mocks";
import { testHostKey } from "../support/stacks";

const connection = {
  hostName: "compute1",
  address: "10.0.0.11",
  privateKeyPath: "/keys/lab",
  hostPublicKey: testHostKey,
};

/** The profile of this machine's own system (the suite runs on Debian 12), whose facts step passes here. */
const ownProfile = profileFor("debian-12", "zed");
const epoxy = profileFor("debian-13", "epoxy");

describe("host facts script", () => {
  it("prints facts this machine's own shell can produce and the parser reads", () => {
    const facts = parseHostFacts(execFileSync("/bin/sh", ["-c", hostFactsScript(ownProfile)], { encoding: "utf8" }));
    expect(facts.osId).toMatch(/^[a-z]+$/);
    expect(facts.virtualizationFlags).toBeGreaterThanOrEqual(0);
    expect(typeof facts.kvmUsable).toBe("boolean");
    expect(facts.kvmReason).toMatch(/\/dev\/kvm is/);
    expect(typeof facts.hostnameResolves).toBe("boolean");
  });

  it("refuses a compute that cannot meet the settings, after printing what it found", () => {
    const result = spawnSync("/bin/sh", ["-c", hostFactsScript(ownProfile, { kvm: true, tun: true })], { encoding: "utf8" });
    const facts = parseHostFacts(result.stdout);
    expect(result.status).toBe(facts.kvmUsable && facts.tunDevice ? 0 : 1);
    if (!facts.kvmUsable) expect(result.stderr).toContain(`nova-installer:virtType is kvm, but this host cannot run KVM guests: ${facts.kvmReason}`);
  });

  it("refuses a host of another system than the profile's, naming the host, the profile and what it runs", () => {
    expect(osReleaseIdentities["debian-12"].versionId).toBe("12");
    const result = spawnSync("/bin/sh", ["-c", hostFactsScript(epoxy)], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(parseHostFacts(result.stdout).osVersionId).toBe("12");
    const hostname = execFileSync("hostname", { encoding: "utf8" }).trim();
    expect(result.stderr).toContain(
      `${hostname}: the stack's profile is debian-13/epoxy (nova-installer:operatingSystem and nova-installer:openstackRelease)`,
    );
    expect(result.stderr).toContain(
      "needs ID=debian VERSION_ID=13 in /etc/os-release; this host runs ID=debian VERSION_ID=12 (Debian GNU/Linux 12 (bookworm))",
    );
  });

  it("refuses a host where Nova of another release is installed, and accepts the profile's own", () => {
    const run = (installed: string) =>
      spawnSync("/bin/sh", ["-c", hostFactsScript({ ...ownProfile, installedNovaQuery: `echo ${installed}` })], { encoding: "utf8" });
    const backports = run("2:31.0.0-6~bpo12+1");
    expect(backports.status).toBe(1);
    expect(backports.stderr).toContain("the stack's profile is debian-12/zed");
    expect(backports.stderr).toContain("whose Nova is 26.x, but Nova 2:31.0.0-6~bpo12+1 of another release is installed here");
    expect(run("2:26.2.2-1~deb12u2").stderr).not.toContain("another release");
    expect(run("").stderr).not.toContain("another release");
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

    const component = new HostFacts("compute1-facts", { connection, profile: ownProfile });
    const facts = await valueOf(component.facts);

    expect(recorded.map((resource) => [resource.type, resource.name])).toEqual([
      ["nova-installer:host:HostFacts", "compute1-facts"],
      ["pulumi-nodejs:dynamic/nova-installer:RemoteScript", "compute1-facts-probe"],
    ]);
    const probe = recorded[1].inputs;
    expect(probe.connection).toEqual(connection);
    expect(probe.create).toBe(hostFactsScript(ownProfile));
    expect(probe.description).toBe("read host facts");
    expect(facts).toEqual(JSON.parse(stdout));
  });
});
