/**
 * Stack configurations for tests: the raw values of the `nova-installer:*` keys and stacks
 * resolved from them by `resolveStackConfig`, as the Pulumi program resolves its own. Every
 * call returns new objects: tests change them in place.
 */
import { PasswordName, passwordsFrom, requiredPasswords } from "../../config/passwords";
import { resolveStackConfig } from "../../config/stackConfig";
import { StackConfig } from "../../config/types";

/** The host key every test host pins: a well-formed ed25519 key that belongs to no host. */
export const testHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx7c2V0dXBrZXlmb3J0ZXN0c29ubHkAAAAAAAAAAAAAAA";

/** An entry of the `hosts` key, pinning the test host key. */
export function testHost(name: string, role: "controller" | "compute", address: string): Record<string, unknown> {
  return { name, role, address, hostPublicKey: testHostKey };
}

/** The controller at 10.0.0.11, then `computes` computes: compute1 at 10.0.0.31, compute2 at 10.0.0.32... */
export function testHosts(computes = 1): Record<string, unknown>[] {
  return [
    testHost("controller", "controller", "10.0.0.11"),
    ...Array.from({ length: computes }, (_, index) => testHost(`compute${index + 1}`, "compute", `10.0.0.${31 + index}`)),
  ];
}

/** The stand-in for a password: `<name>-password`, valid, and told apart from every other. */
export function testPassword(name: PasswordName): string {
  return `${name}-password`;
}

/** Stand-ins for the passwords a stack without prerequisites needs, and for those only. */
export function requiredTestPasswords(): Record<string, string> {
  return Object.fromEntries(requiredPasswords(false).map((name) => [name, testPassword(name)]));
}

/** A raw configuration as the tests build it and change it. */
export interface RawTestStack {
  [key: string]: unknown;
  hosts: Record<string, unknown>[];
  passwords: Record<string, unknown>;
}

/**
 * The smallest valid raw configuration, then `overrides`: an SSH key file, the controller and
 * compute1 of `testHosts`, and the passwords of a stack without prerequisites.
 */
export function rawStack(overrides: Partial<RawTestStack> = {}): RawTestStack {
  return { sshPrivateKeyPath: "/keys/id_ed25519", hosts: testHosts(), passwords: requiredTestPasswords(), ...overrides };
}

/**
 * A resolved stack of one profile, with prerequisites or not: `rawStack` with a stand-in for
 * every password name; `extra` adds keys or replaces the hosts and passwords.
 */
export function stackFor(
  operatingSystem = "debian-12",
  openstackRelease = "zed",
  prerequisites = true,
  extra: Partial<RawTestStack> = {},
): StackConfig {
  return resolveStackConfig(rawStack({ passwords: passwordsFrom(testPassword), ...extra, operatingSystem, openstackRelease, prerequisites }));
}
