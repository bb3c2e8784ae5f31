/**
 * Hostile stack configuration: every case turns a valid configuration into one that must be
 * refused by `resolveStackConfig` (pure, before any host is touched), with a problem that names
 * the full key and never shows a password. docs/hostile-input.md summarizes this table.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, RawStackConfig } from "../../config/types";
import { resolveStackConfig } from "../../config/stackConfig";
import { rawStack, testHost, testHostKey } from "../support/stacks";

type Entry = Record<string, unknown>;

/** A mutable copy of a valid raw configuration; cases change it in place. */
interface Config {
  [key: string]: unknown;
  hosts: Entry[];
  passwords: Record<string, unknown>;
  flavors: Entry[];
}

/** The smallest valid configuration, its hosts at the addresses the cases name (10.0.0.10, 10.0.0.11), and a flavor. */
function validConfig(): Config {
  return {
    ...rawStack({ hosts: [testHost("controller", "controller", "10.0.0.10"), testHost("compute1", "compute", "10.0.0.11")] }),
    flavors: [{ name: "m1.small", vcpus: 1, ramMb: 2048, diskGb: 20 }],
  };
}

interface HostileCase {
  readonly name: string;
  /** Turns the valid configuration into the hostile one. */
  readonly mutate: (config: Config) => void;
  /** A problem that must be reported: the full key path, then what is wrong. */
  readonly problem: RegExp;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A problem naming `keyPath` (written as the message writes it), followed by `rest`. */
function at(keyPath: string, rest: RegExp): RegExp {
  return new RegExp(`^${escapeRegExp(keyPath)}${rest.source}`);
}

const compute = (config: Config) => config.hosts[1];
const setCompute = (field: string, value: unknown) => (config: Config) => {
  compute(config)[field] = value;
};
const setPassword = (name: string, value: unknown) => (config: Config) => {
  config.passwords[name] = value;
};
const setKey = (name: string, value: unknown) => (config: Config) => {
  config[name] = value;
};
const override = (file: string, section: string, name: string, value: unknown) => (config: Config) => {
  config.configOverrides = { [file]: { [section]: { [name]: value } } };
};

// A table, one case a line: left as it is by Prettier.
// prettier-ignore
const hostileCases: readonly HostileCase[] = [
  // Addresses: the SSH target, [DEFAULT] my_ip, and what every other host reaches the host at.
  { name: "address out of range", mutate: setCompute("address", "999.1.1.1"), problem: at("nova-installer:hosts[1].address", /: "999\.1\.1\.1" is not an IPv4 address/) },
  { name: "address with a shell command", mutate: setCompute("address", "10.0.0.1; rm -rf /"), problem: at("nova-installer:hosts[1].address", /: "10\.0\.0\.1; rm -rf \/" is not an IPv4 address/) },
  { name: "empty address", mutate: setCompute("address", ""), problem: at("nova-installer:hosts[1].address", /: "" is not an IPv4 address/) },
  { name: "missing address", mutate: (config) => delete compute(config).address, problem: at("nova-installer:hosts[1].address", /: undefined is not an IPv4 address/) },
  { name: "IPv6 address (unsupported)", mutate: setCompute("address", "fd00::11"), problem: at("nova-installer:hosts[1].address", /: "fd00::11" is not an IPv4 address/) },
  { name: "address with a leading zero (octal to inet_aton)", mutate: setCompute("address", "010.0.0.11"), problem: at("nova-installer:hosts[1].address", /: "010\.0\.0\.11" is not an IPv4 address/) },
  { name: "address as a number", mutate: setCompute("address", 167772171), problem: at("nova-installer:hosts[1].address", /: 167772171 is not an IPv4 address/) },
  { name: "wildcard address 0.0.0.0", mutate: setCompute("address", "0.0.0.0"), problem: at("nova-installer:hosts[1].address", /: "0\.0\.0\.0" is in 0\.0\.0\.0\/8/) },
  { name: "broadcast address", mutate: setCompute("address", "255.255.255.255"), problem: at("nova-installer:hosts[1].address", /: "255\.255\.255\.255" is reserved/) },
  { name: "multicast address", mutate: setCompute("address", "224.0.0.1"), problem: at("nova-installer:hosts[1].address", /: "224\.0\.0\.1" is a multicast address/) },
  { name: "duplicate address", mutate: setCompute("address", "10.0.0.10"), problem: at("nova-installer:hosts[1].address", /: "10\.0\.0\.10" is already the address of hosts\[0\]/) },

  // Host names: hostnames, resource names, nova's host names, interpolated into remote scripts.
  { name: "host name with $(id)", mutate: setCompute("name", "$(id)"), problem: at("nova-installer:hosts[1].name", /: "\$\(id\)" is not a valid hostname/) },
  { name: "host name with ;", mutate: setCompute("name", "compute1;reboot"), problem: at("nova-installer:hosts[1].name", /: "compute1;reboot" is not a valid hostname/) },
  { name: "host name with backticks", mutate: setCompute("name", "`reboot`"), problem: at("nova-installer:hosts[1].name", /: "`reboot`" is not a valid hostname/) },
  { name: "host name with a double quote", mutate: setCompute("name", 'compute"1'), problem: at("nova-installer:hosts[1].name", /: "compute\\"1" is not a valid hostname/) },
  { name: "host name with a single quote", mutate: setCompute("name", "compute'1"), problem: at("nova-installer:hosts[1].name", /: "compute'1" is not a valid hostname/) },
  { name: "host name with a space", mutate: setCompute("name", "compute 1"), problem: at("nova-installer:hosts[1].name", /: "compute 1" is not a valid hostname/) },
  { name: "host name in upper case", mutate: setCompute("name", "Compute1"), problem: at("nova-installer:hosts[1].name", /: "Compute1" is not a valid hostname/) },
  { name: "host name of 64 characters", mutate: setCompute("name", "c".repeat(64)), problem: at("nova-installer:hosts[1].name", /: "c{64}" is not a valid hostname/) },
  { name: "host name that reads as an option", mutate: setCompute("name", "-oProxyCommand"), problem: at("nova-installer:hosts[1].name", /: "-oProxyCommand" is not a valid hostname/) },
  { name: "duplicate host name", mutate: setCompute("name", "controller"), problem: at("nova-installer:hosts[1].name", /: "controller" is already the name of hosts\[0\]/) },
  { name: "compute listed twice (name)", mutate: (config) => config.hosts.push({ ...compute(config) }), problem: at("nova-installer:hosts[2].name", /: "compute1" is already the name of hosts\[1\]/) },
  { name: "compute listed twice (address)", mutate: (config) => config.hosts.push({ ...compute(config) }), problem: at("nova-installer:hosts[2].address", /: "10\.0\.0\.11" is already the address of hosts\[1\]/) },

  // Roles and the shape of the host list.
  { name: "role other than controller or compute", mutate: setCompute("role", "network"), problem: at("nova-installer:hosts[1].role", /: "network" is not a role/) },
  { name: "two controllers", mutate: setCompute("role", "controller"), problem: at("nova-installer:hosts", /: expected exactly one host with role "controller", found 2/) },
  { name: "no controller", mutate: (config) => (config.hosts[0].role = "compute"), problem: at("nova-installer:hosts", /: expected exactly one host with role "controller", found 0/) },
  { name: "hosts not a list", mutate: setKey("hosts", "controller,compute1"), problem: at("nova-installer:hosts", /: expected a non-empty list of hosts/) },
  { name: "host not an object", mutate: (config) => (config.hosts[1] = ["compute1"] as unknown as Entry), problem: at("nova-installer:hosts[1]", /: expected an object/) },
  { name: "misspelt host field", mutate: setCompute("Port", 2222), problem: at("nova-installer:hosts[1].Port", /: unknown field; expected name, role, address, port, hostPublicKey/) },

  // SSH ports.
  { name: "port 0", mutate: setCompute("port", 0), problem: at("nova-installer:hosts[1].port", /: 0 is not a TCP port \(1-65535\)/) },
  { name: "port 65536", mutate: setCompute("port", 65536), problem: at("nova-installer:hosts[1].port", /: 65536 is not a TCP port/) },
  { name: "port -1", mutate: setCompute("port", -1), problem: at("nova-installer:hosts[1].port", /: -1 is not a TCP port/) },
  { name: "port 22.5", mutate: setCompute("port", 22.5), problem: at("nova-installer:hosts[1].port", /: 22\.5 is not a TCP port/) },
  { name: "port as a string", mutate: setCompute("port", "22"), problem: at("nova-installer:hosts[1].port", /: "22" is not a TCP port/) },

  // Pinned host keys.
  { name: "host key that is not a key", mutate: setCompute("hostPublicKey", "not a key"), problem: at("nova-installer:hosts[1].hostPublicKey", /: "not a key" is not an OpenSSH public key/) },
  { name: "host key with a second line", mutate: setCompute("hostPublicKey", `${testHostKey}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA`), problem: at("nova-installer:hosts[1].hostPublicKey", /: "ssh-ed25519 [^"]*\\n[^"]*" is not an OpenSSH public key/) },
  { name: "host key with a terminal escape in its comment", mutate: setCompute("hostPublicKey", `${testHostKey} root@\u001b[2Jcompute1`), problem: at("nova-installer:hosts[1].hostPublicKey", /: .* is not an OpenSSH public key/) },
  { name: "truncated host key", mutate: setCompute("hostPublicKey", "ssh-ed25519 AAAA"), problem: at("nova-installer:hosts[1].hostPublicKey", /: "ssh-ed25519 AAAA" is not an OpenSSH public key: its data does not start with its type/) },
  { name: "mislabelled host key", mutate: setCompute("hostPublicKey", testHostKey.replace("ssh-ed25519", "ssh-rsa")), problem: at("nova-installer:hosts[1].hostPublicKey", /: "ssh-rsa AAAA[^"]*" is not an OpenSSH public key: its data does not start with its type/) },

  // Secrets: required, an object of strings, representable in oslo.config, a shell and a URL.
  { name: "rabbit password missing", mutate: (config) => delete config.passwords.rabbit, problem: at("nova-installer:passwords.rabbit", / is required/) },
  { name: "nova database password missing", mutate: (config) => delete config.passwords.novaDatabase, problem: at("nova-installer:passwords.novaDatabase", / is required/) },
  { name: "no passwords at all", mutate: setKey("passwords", undefined), problem: at("nova-installer:passwords.admin", / is required/) },
  { name: "passwords as one string", mutate: setKey("passwords", "one-password-for-all"), problem: at("nova-installer:passwords", /: expected an object of passwords/) },
  { name: "passwords as a list", mutate: setKey("passwords", ["list-password-1", "list-password-2"]), problem: at("nova-installer:passwords", /: expected an object of passwords/) },
  { name: "password not a string", mutate: setPassword("nova", 12345678901), problem: at("nova-installer:passwords.nova", /: expected a string$/) },
  { name: "password too short", mutate: setPassword("nova", "Sh0rt!x"), problem: at("nova-installer:passwords.nova", /: expected 8 to 128 characters, got 7/) },
  { name: "password too long", mutate: setPassword("nova", "L".repeat(129)), problem: at("nova-installer:passwords.nova", /: expected 8 to 128 characters, got 129/) },
  { name: "password with a newline", mutate: setPassword("nova", "first-line\nsecond-line"), problem: at("nova-installer:passwords.nova", /: a password cannot contain a line break or NUL/) },
  { name: "password with NUL", mutate: setPassword("nova", "before-nul\u0000after-nul"), problem: at("nova-installer:passwords.nova", /: a password cannot contain a line break or NUL/) },
  { name: "password with a leading space", mutate: setPassword("nova", " leading-space-pw"), problem: at("nova-installer:passwords.nova", /: a password cannot start or end with white space/) },
  { name: "password with a backslash before a dollar", mutate: setPassword("neutron", "pass\\$word-1"), problem: at("nova-installer:passwords.neutron", /: a password cannot contain a backslash directly followed by "\$"/) },
  { name: "rabbit password with /", mutate: setPassword("rabbit", "rabbit/slash-pw"), problem: at("nova-installer:passwords.rabbit", /: cannot contain "\/"/) },
  { name: "unknown password name", mutate: setPassword("root", "root-password-1"), problem: at("nova-installer:passwords.root", /: unknown password/) },
  { name: "prerequisites without their passwords", mutate: setKey("prerequisites", true), problem: at("nova-installer:passwords.keystoneDatabase", / is required/) },

  // Operating system and release: one table of profiles, nothing guessed.
  { name: "debian-13 with queens", mutate: setKey("openstackRelease", "queens"), problem: at("nova-installer:operatingSystem/nova-installer:openstackRelease", /: "debian-13\/queens" is not supported/) },
  { name: "ubuntu-22.04 with epoxy", mutate: setKey("operatingSystem", "ubuntu-22.04"), problem: at("nova-installer:operatingSystem/nova-installer:openstackRelease", /: "ubuntu-22\.04\/epoxy" is not supported/) },
  { name: "operating system with a shell command", mutate: setKey("operatingSystem", "debian-12;curl x|sh"), problem: at("nova-installer:operatingSystem/nova-installer:openstackRelease", /: "debian-12;curl x\|sh\/epoxy" is not supported/) },
  { name: "operating system not a string", mutate: setKey("operatingSystem", 12), problem: at("nova-installer:operatingSystem", /: expected a string, got 12/) },

  // Overrides of keys the installer sets (found by the renderer, per file and profile).
  { name: "override of [DEFAULT] transport_url", mutate: override("novaController", "DEFAULT", "transport_url", "rabbit://evil"), problem: at("nova-installer:configOverrides.novaController.DEFAULT.transport_url", /: .*cannot be overridden: \[DEFAULT\] transport_url/) },
  { name: "override of [database] connection", mutate: override("novaController", "database", "connection", "sqlite://"), problem: at("nova-installer:configOverrides.novaController.database.connection", /: .*cannot be overridden: \[database\] connection/) },
  { name: "override of [api_database] connection", mutate: override("novaController", "api_database", "connection", "sqlite://"), problem: at("nova-installer:configOverrides.novaController.api_database.connection", /: .*cannot be overridden/) },
  { name: "override of [keystone_authtoken] password", mutate: override("novaController", "keystone_authtoken", "password", "other-password"), problem: at("nova-installer:configOverrides.novaController.keystone_authtoken.password", /: .*cannot be overridden/) },
  { name: "override of [placement] password", mutate: override("novaController", "placement", "password", "other-password"), problem: at("nova-installer:configOverrides.novaController.placement.password", /: .*cannot be overridden/) },
  { name: "override of the compute's [DEFAULT] my_ip", mutate: override("novaCompute", "DEFAULT", "my_ip", "10.9.9.9"), problem: at("nova-installer:configOverrides.novaCompute.DEFAULT.my_ip", /: .*cannot be overridden: \[DEFAULT\] my_ip/) },
  { name: "override of placement's [placement_database] connection", mutate: override("placement", "placement_database", "connection", "sqlite://"), problem: at("nova-installer:configOverrides.placement.placement_database.connection", /: .*cannot be overridden/) },
  { name: "override through an upper-case section", mutate: override("novaController", "Database", "connection", "sqlite://"), problem: at("nova-installer:configOverrides.novaController.Database", /: "Database" would be read as \[database\]/) },
  { name: "override in a lower-case default section", mutate: override("novaController", "default", "debug", true), problem: at("nova-installer:configOverrides.novaController.default", /: "default" is not how oslo\.config names the default section/) },
  { name: "override of an unknown file", mutate: (config) => (config.configOverrides = { httpd: { DEFAULT: { debug: true } } }), problem: at("nova-installer:configOverrides.httpd", /: unknown file/) },

  // Config injection: nothing an override holds may start a line of its own.
  { name: "override value with a section header", mutate: override("novaController", "DEFAULT", "debug", "x\n[database]\nconnection=evil"), problem: at("nova-installer:configOverrides.novaController.DEFAULT.debug", /: a value cannot contain a line break/) },
  { name: "override value with a carriage return", mutate: override("novaController", "DEFAULT", "debug", "true\r[database]"), problem: at("nova-installer:configOverrides.novaController.DEFAULT.debug", /: a value cannot contain a line break/) },
  { name: "override key with a section header", mutate: override("novaController", "DEFAULT", "x\n[database]\nconnection", "evil"), problem: at('nova-installer:configOverrides.novaController.DEFAULT["x\\n[database]\\nconnection"]', /: .* is not an option name/) },
  { name: "override key with =", mutate: override("novaController", "DEFAULT", "debug = true\nconnection", "x"), problem: at('nova-installer:configOverrides.novaController.DEFAULT["debug = true\\nconnection"]', /: .* is not an option name/) },
  { name: "override section that closes itself", mutate: override("novaController", "DEFAULT]\n[database", "connection", "evil"), problem: at('nova-installer:configOverrides.novaController["DEFAULT]\\n[database"]', /: .* is not a section name/) },
  { name: "override section __proto__", mutate: (config) => (config.configOverrides = JSON.parse('{"novaController": {"__proto__": {"debug": true}}}')), problem: at("nova-installer:configOverrides.novaController.__proto__", /: "__proto__" is not a section name/) },
  { name: "override value that is an object", mutate: override("novaController", "DEFAULT", "debug", { nested: true }), problem: at("nova-installer:configOverrides.novaController.DEFAULT.debug", /: expected a string, number or boolean/) },

  // Region: in openrc files, service catalogs and nova.conf.
  { name: "region with a single quote", mutate: setKey("region", "Region'One"), problem: at("nova-installer:region", /: "Region'One" is not a region name/) },
  { name: "region with a double quote", mutate: setKey("region", 'Region"One'), problem: at("nova-installer:region", /: "Region\\"One" is not a region name/) },
  { name: "region with a space", mutate: setKey("region", "Region One"), problem: at("nova-installer:region", /: "Region One" is not a region name/) },
  { name: "region with $(id)", mutate: setKey("region", "$(id)"), problem: at("nova-installer:region", /: "\$\(id\)" is not a region name/) },

  // SSH user: passed to ssh as the login name.
  { name: "ssh user with a shell command", mutate: setKey("sshUser", "root; rm -rf /"), problem: at("nova-installer:sshUser", /: "root; rm -rf \/" is not a user name/) },
  { name: "ssh user that reads as an option", mutate: setKey("sshUser", "-oProxyCommand=id"), problem: at("nova-installer:sshUser", /: "-oProxyCommand=id" is not a user name/) },
  { name: "ssh user with $(id)", mutate: setKey("sshUser", "$(id)"), problem: at("nova-installer:sshUser", /: "\$\(id\)" is not a user name/) },
  { name: "ssh user in upper case", mutate: setKey("sshUser", "Admin"), problem: at("nova-installer:sshUser", /: "Admin" is not a user name/) },
  { name: "ssh user of 33 characters", mutate: setKey("sshUser", "u".repeat(33)), problem: at("nova-installer:sshUser", /: "u{33}" is not a user name/) },

  // Keys the installer does not read (a typo would otherwise be dropped in silence).
  { name: "unknown top-level key", mutate: setKey("hsots", []), problem: at("nova-installer:hsots", /: unknown key; expected one of/) },
  { name: "top-level key in the wrong case", mutate: setKey("apiworkers", 4), problem: at("nova-installer:apiworkers", /: unknown key/) },

  // API workers.
  { name: "apiWorkers above 64", mutate: setKey("apiWorkers", 65), problem: at("nova-installer:apiWorkers", /: 65 is not a number of worker processes \(1-64\)/) },
  { name: "negative apiWorkers", mutate: setKey("apiWorkers", -1), problem: at("nova-installer:apiWorkers", /: -1 is not a number of worker processes/) },
  { name: "fractional apiWorkers", mutate: setKey("apiWorkers", 2.5), problem: at("nova-installer:apiWorkers", /: 2\.5 is not a number of worker processes/) },
  { name: "apiWorkers as a string", mutate: setKey("apiWorkers", "4"), problem: at("nova-installer:apiWorkers", /: "4" is not a number of worker processes/) },

  // Flavors.
  { name: "flavor name with a space", mutate: (config) => (config.flavors[0].name = "m1 small"), problem: at("nova-installer:flavors[0].name", /: "m1 small" is not a flavor name/) },
  { name: "flavor name with $(id)", mutate: (config) => (config.flavors[0].name = "$(id)"), problem: at("nova-installer:flavors[0].name", /: "\$\(id\)" is not a flavor name/) },
  { name: "duplicate flavor", mutate: (config) => config.flavors.push({ ...config.flavors[0] }), problem: at("nova-installer:flavors[1].name", /: "m1\.small" is already the name of flavors\[0\]/) },
  { name: "flavor with no vCPU", mutate: (config) => (config.flavors[0].vcpus = 0), problem: at("nova-installer:flavors[0].vcpus", /: 0 is not a positive whole number/) },
  { name: "flavor memory as a string", mutate: (config) => (config.flavors[0].ramMb = "2048"), problem: at("nova-installer:flavors[0].ramMb", /: "2048" is not a positive whole number/) },
  { name: "misspelt flavor field", mutate: (config) => (config.flavors[0].ramMB = 4096), problem: at("nova-installer:flavors[0].ramMB", /: unknown field/) },

  // Other settings.
  { name: "prerequisites as text", mutate: setKey("prerequisites", "yes"), problem: at("nova-installer:prerequisites", /: expected true or false, got "yes"/) },
  { name: "compute driver with a shell command", mutate: setKey("computeDriver", "libvirt.LibvirtDriver;id"), problem: at("nova-installer:computeDriver", /: "libvirt\.LibvirtDriver;id" is not one of/) },
  { name: "unknown virt type", mutate: setKey("virtType", "xen"), problem: at("nova-installer:virtType", /: "xen" is not one of "kvm", "qemu"/) },
  { name: "no SSH key file", mutate: setKey("sshPrivateKeyPath", undefined), problem: at("nova-installer:sshPrivateKeyPath", / is required/) },
];

/** Every password string a configuration holds, however malformed its passwords key is. */
function passwordValues(config: Config): string[] {
  const passwords: unknown = config.passwords;
  const values = typeof passwords === "string" ? [passwords] : Object.values((passwords ?? {}) as Record<string, unknown>);
  return values.flat().filter((value): value is string => typeof value === "string" && value.length > 0);
}

function rejection(raw: RawStackConfig): ConfigError {
  try {
    resolveStackConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("hostile stack configuration", () => {
  it("starts from a valid configuration", () => {
    expect(resolveStackConfig(validConfig()).computes.map((host) => host.name)).toEqual(["compute1"]);
  });

  it("has a case for each kind of hostile input", () => {
    expect(hostileCases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(hostileCases.map((hostileCase) => hostileCase.name)).size).toBe(hostileCases.length);
  });

  it.each(hostileCases)("rejects $name, naming the key", ({ mutate, problem }) => {
    const config = validConfig();
    mutate(config);
    const error = rejection(config);
    expect(error.problems, error.message).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    for (const password of passwordValues(config)) {
      expect(error.message).not.toContain(password);
    }
  });

  it("reports many problems at once, in one error", () => {
    const config = validConfig();
    const chosen = [
      "address with a shell command",
      "host name with $(id)",
      "port 65536",
      "truncated host key",
      "rabbit password with /",
      "password with a newline",
      "ubuntu-22.04 with epoxy",
      "region with a single quote",
      "ssh user with a shell command",
      "apiWorkers above 64",
      "duplicate flavor",
      "override value with a section header",
      "unknown top-level key",
    ].map((name) => hostileCases.find((hostileCase) => hostileCase.name === name)!);
    for (const hostileCase of chosen) {
      hostileCase.mutate(config);
    }
    const error = rejection(config);
    for (const hostileCase of chosen) {
      expect(error.problems, `${hostileCase.name}\n${error.message}`).toEqual(expect.arrayContaining([expect.stringMatching(hostileCase.problem)]));
    }
    expect(error.message).toMatch(new RegExp(`^invalid stack configuration \\(${error.problems.length} problems\\)`));
    for (const password of passwordValues(config)) {
      expect(error.message).not.toContain(password);
    }
  });

  it.each([
    ["a loopback address (a host behind a forwarded port)", setCompute("address", "127.0.0.11")],
    ["a host key with a comment", setCompute("hostPublicKey", `${testHostKey} root@compute1 (pinned 2025-01-01)`)],
    ["an ssh user with digits, _ and -", setKey("sshUser", "_nova-installer2")],
    ["an override of a key the installer leaves alone", override("novaCompute", "DEFAULT", "cpu_allocation_ratio", 4.0)],
    ["an override in a dynamic section", override("novaCompute", "mdev_nvidia-35", "device_addresses", "0000:84:00.0")],
    ["an override value with quotes and % inside", override("novaController", "DEFAULT", "instance_name_template", "vm-'%(uuid)s'")],
    ["an override value referring to another option", override("novaCompute", "libvirt", "live_migration_inbound_addr", "$my_ip")],
  ])("still accepts %s", (_case, mutate) => {
    const config = validConfig();
    mutate(config);
    expect(() => resolveStackConfig(config)).not.toThrow();
  });
});
