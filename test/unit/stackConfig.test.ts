import { describe, expect, it } from "vitest";
import { ConfigError, RawStackConfig } from "../../config/types";
import { resolveStackConfig } from "../../config/stackConfig";
import { rawStack, requiredTestPasswords, testHost } from "../support/stacks";

const passwords = requiredTestPasswords();

function problemsOf(raw: RawStackConfig): readonly string[] {
  try {
    resolveStackConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("resolveStackConfig", () => {
  it("applies the documented defaults", () => {
    const config = resolveStackConfig(rawStack());
    expect(config.operatingSystem).toBe("debian-13");
    expect(config.openstackRelease).toBe("epoxy");
    expect(config.sshUser).toBe("root");
    expect(config.hosts.map((host) => host.port)).toEqual([22, 22]);
    expect(config.profile.packageManager).toBe("apt-get");
  });

  it.each([
    ["missing key file", { sshPrivateKeyPath: undefined }, "nova-installer:sshPrivateKeyPath is required"],
    ["no hosts", { hosts: [] }, "nova-installer:hosts: expected a non-empty list"],
    ["unknown profile", { operatingSystem: "ubuntu-24.04" }, `"ubuntu-24.04/epoxy" is not supported`],
    ["release of another OS", { operatingSystem: "centos-7", openstackRelease: "zed" }, `"centos-7/zed" is not supported`],
  ])("rejects %s naming the key", (_case, overrides, message) => {
    expect(problemsOf(rawStack(overrides)).join("\n")).toContain(message);
  });

  it.each([
    ["address", { address: "10.0.0.300" }, `nova-installer:hosts[1].address: "10.0.0.300" is not an IPv4 address`],
    ["name with shell metacharacters", { name: "compute1;reboot" }, `nova-installer:hosts[1].name: "compute1;reboot" is not a valid hostname`],
    ["name with a space", { name: "compute 1" }, `nova-installer:hosts[1].name: "compute 1"`],
    ["role", { role: "network" }, `nova-installer:hosts[1].role: "network" is not a role`],
    ["port", { port: 70000 }, "nova-installer:hosts[1].port: 70000 is not a TCP port"],
    ["host key", { hostPublicKey: "not a key" }, "nova-installer:hosts[1].hostPublicKey"],
  ])("rejects a bad host %s naming the key and the value", (_case, override, message) => {
    const raw = rawStack();
    expect(problemsOf({ ...raw, hosts: [raw.hosts[0], { ...raw.hosts[1], ...override }] }).join("\n")).toContain(message);
  });

  it("requires the prerequisites' passwords only when the installer runs them", () => {
    expect(resolveStackConfig(rawStack()).prerequisites).toBe(false);
    expect(problemsOf(rawStack({ prerequisites: true }))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^nova-installer:passwords.keystoneDatabase is required/)]),
    );
  });

  it.each([
    ["too short", "short", "expected 8 to 128 characters, got 5"],
    ["with a line break", "multi\nline-password", "line break"],
    ["padded", " padded-password", "white space"],
    ["quoted", "'quoted-password'", "quote character"],
  ])("rejects a password %s without showing it", (_case, password, message) => {
    const problems = problemsOf(rawStack({ passwords: { ...passwords, nova: password } })).join("\n");
    expect(problems).toMatch(new RegExp(`nova-installer:passwords.nova: .*${message}`));
    expect(problems).not.toContain(password);
  });

  it("accepts hostile but representable passwords", () => {
    const hostile = `' " $ @ : / % & = ! # ; \\ and spaces`;
    expect(resolveStackConfig(rawStack({ passwords: { ...passwords, nova: hostile } })).passwords.nova).toBe(hostile);
  });

  it("rejects overrides of keys the installer owns and unknown files, naming them", () => {
    const problems = problemsOf(
      rawStack({ configOverrides: { novaController: { database: { connection: "sqlite://" }, DEFAULT: { debug: true } }, httpd: {} } }),
    );
    expect(problems).toEqual([
      "nova-installer:configOverrides.httpd: unknown file; expected one of placement, novaController, novaCompute",
      "nova-installer:configOverrides.novaController.database.connection: /etc/nova/nova.conf: these keys are set by the installer and cannot be overridden: [database] connection",
    ]);
  });

  it("takes settings marked secret as key or [section] key, and names a malformed one", () => {
    expect(resolveStackConfig({ ...rawStack(), secretSettings: ["[libvirt] rbd_secret_uuid", "my_token"] }).secretSettings).toEqual([
      "[libvirt] rbd_secret_uuid",
      "my_token",
    ]);
    expect(resolveStackConfig(rawStack()).secretSettings).toEqual([]);
    expect(problemsOf({ ...rawStack(), secretSettings: ["[libvirt]rbd", 3] }).join("\n")).toContain(
      `nova-installer:secretSettings[0]: "[libvirt]rbd" is not "key" or "[section] key"`,
    );
    expect(problemsOf({ ...rawStack(), secretSettings: "password" }).join("\n")).toContain("nova-installer:secretSettings: expected a list");
  });

  it("rejects a region name with quotes", () => {
    expect(problemsOf(rawStack({ region: `Region"One` })).join("\n")).toContain(`nova-installer:region: "Region\\"One" is not a region name`);
  });

  it("rejects duplicate names and addresses and a missing controller, all at once", () => {
    const hosts = [testHost("compute1", "compute", "10.0.0.11"), testHost("compute1", "compute", "10.0.0.11")];
    const problems = problemsOf(rawStack({ hosts }));
    expect(problems).toEqual(
      expect.arrayContaining([
        `nova-installer:hosts[1].name: "compute1" is already the name of hosts[0]; each host needs its own name`,
        `nova-installer:hosts[1].address: "10.0.0.11" is already the address of hosts[0]; each host needs its own address`,
        `nova-installer:hosts: expected exactly one host with role "controller", found 0`,
      ]),
    );
  });
});
