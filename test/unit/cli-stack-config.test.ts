/**
 * The CLI's view of a stack: `pulumi config --json` output turned into the raw values the Pulumi
 * program reads, validated by the same function; and `secrets init`'s report, which names keys only.
 */
import { describe, expect, it } from "vitest";
import { secretsInitReport } from "../../cli/secrets";
import { deployedVirtTypes, rawConfigFromPulumiJson, withStandInPasswords } from "../../cli/stackConfigReader";
import { rawStackConfig } from "../../config/rawConfig";
import { ConfigError } from "../../config/types";
import { resolveStackConfig } from "../../config/stackConfig";
import { requiredTestPasswords, testHostKey } from "../support/stacks";

const hosts = [
  { address: "192.0.2.10", hostPublicKey: testHostKey, name: "controller", role: "controller" },
  { address: "192.0.2.11", hostPublicKey: testHostKey, name: "compute1", role: "compute" },
];
const passwords = { ...requiredTestPasswords(), admin: 'adm$n"pass/wo:rd' };

/** `pulumi config --stack S --json --show-secrets` as Pulumi 3.248 prints it (project defaults included). */
const configJson = {
  "nova-installer:computeDriver": { value: "libvirt.LibvirtDriver", secret: false },
  "nova-installer:configOverrides": {
    value: '{"novaController":{"DEFAULT":{"debug":true}}}',
    objectValue: { novaController: { DEFAULT: { debug: true } } },
    secret: false,
  },
  "nova-installer:flavors": { value: "[]", objectValue: [], secret: false },
  "nova-installer:hosts": { value: JSON.stringify(hosts), objectValue: hosts, secret: false },
  "nova-installer:openstackRelease": { value: "zed", secret: false },
  "nova-installer:operatingSystem": { value: "debian-12", secret: false },
  "nova-installer:passwords": { value: JSON.stringify(passwords), objectValue: passwords, secret: true },
  "nova-installer:prerequisites": { value: "false", secret: false },
  "nova-installer:refreshPackageIndex": { value: "true", secret: false },
  "nova-installer:region": { value: "RegionOne", secret: false },
  "nova-installer:sshPrivateKeyPath": { value: "/root/.ssh/id_ed25519", secret: false },
  "nova-installer:sshUser": { value: "root", secret: false },
  "nova-installer:virtType": { value: "", secret: false },
  "aws:region": { value: "us-east-1", secret: false },
};

describe("stack config from pulumi config --json", () => {
  it("gives the raw values the Pulumi program gets, which validate the same way", () => {
    const raw = rawConfigFromPulumiJson(configJson);
    expect(raw).toMatchObject({
      prerequisites: false,
      refreshPackageIndex: true,
      virtType: "",
      hosts,
      passwords,
      configOverrides: { novaController: { DEFAULT: { debug: true } } },
    });
    const stack = resolveStackConfig(raw);
    expect(stack.controller.name).toBe("controller");
    expect(stack.virtType).toBeUndefined();
    expect(stack.passwords.admin).toBe('adm$n"pass/wo:rd');
  });

  it("reads the same as the program does from the same stored strings", () => {
    const stored = (name: string) => configJson[`nova-installer:${name}` as keyof typeof configJson]?.value;
    expect(rawConfigFromPulumiJson(configJson)).toEqual(rawStackConfig(stored));
  });

  it("leaves a secret read without --show-secrets unset, and stand-ins replace every password", () => {
    const withoutSecrets = { ...configJson, "nova-installer:passwords": { secret: true } };
    expect(() => resolveStackConfig(rawConfigFromPulumiJson(withoutSecrets))).toThrow(ConfigError);
    const stack = resolveStackConfig(withStandInPasswords(rawConfigFromPulumiJson(withoutSecrets)));
    expect(stack.passwords.admin).toBe("stand-in-password");
  });

  it("reports a key the installer does not read (a typo), even a secret one, without its value", () => {
    const typo = { ...configJson, "nova-installer:pasword": { secret: true }, "nova-installer:apiWorker": { value: "4", secret: false } };
    expect(() => resolveStackConfig(rawConfigFromPulumiJson(typo))).toThrow(
      /nova-installer:pasword: unknown key[^]*nova-installer:apiWorker: unknown key/,
    );
  });

  it("reports problems with the key, as pulumi up would", () => {
    const broken = { ...configJson, "nova-installer:prerequisites": { value: "yes", secret: false } };
    expect(() => resolveStackConfig(rawConfigFromPulumiJson(broken))).toThrow('nova-installer:prerequisites: expected true or false, got "yes"');
  });
});

describe("deployed virt types", () => {
  it("reads the stack output virtTypes, ignoring anything else", () => {
    expect(deployedVirtTypes({ virtTypes: { compute1: "kvm", compute2: "qemu", compute3: "xen" } })).toEqual({ compute1: "kvm", compute2: "qemu" });
    expect(deployedVirtTypes({})).toEqual({});
  });
});

describe("secrets init report", () => {
  it("names the passwords it set, or says none were missing", () => {
    expect(secretsInitReport("prod", ["admin", "rabbit"])).toBe("stack prod: generated and stored (encrypted) 2 passwords: admin, rabbit\n");
    expect(secretsInitReport("prod", [])).toBe("stack prod: every password is already set; nothing changed\n");
  });
});
