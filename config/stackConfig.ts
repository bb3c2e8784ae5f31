/**
 * Stack configuration: defaults and validation, resolved once, before any resource exists.
 *
 * `resolveStackConfig` takes the raw values of the `nova-installer:*` keys and returns the typed
 * configuration, or throws one error listing every problem, each naming the key, the value
 * received and what was expected. It is pure but for `guestImage`, whose files it reads to check
 * them against their manifest. The parts: config/types.ts (what it returns),
 * config/reader.ts (each key read), config/passwords.ts (the passwords' names and policy),
 * config/overrides.ts (the operator's settings).
 */
import { isIPv4 } from "net";
import { OsProfile, defaultProfile, profileFor, supportedProfiles } from "../profiles/profiles";
import { overrideProblems, readOverrides } from "./overrides";
import { passwordNames, requiredPasswords } from "./passwords";
import { stackConfigKeys } from "./rawConfig";
import { flavorNamePattern, hostNamePattern, key, Reader, repeats, show, userNamePattern } from "./reader";
import { ComputeDriver, computeDrivers, virtTypes, configNamespace, ConfigError, RawStackConfig, StackConfig } from "./types";

export function resolveStackConfig(raw: RawStackConfig): StackConfig {
  const reader = new Reader(raw);
  for (const name of Object.keys(raw).filter((name) => raw[name] !== undefined && !stackConfigKeys.includes(name))) {
    const shown = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? key(name) : `${configNamespace}:${show(name)}`;
    reader.problems.push(`${shown}: unknown key; expected one of ${stackConfigKeys.join(", ")}`);
  }
  const operatingSystem = reader.string("operatingSystem", defaultProfile.operatingSystem);
  const openstackRelease = reader.string("openstackRelease", defaultProfile.release);
  const sshUser = reader.string("sshUser", "root");
  if (!userNamePattern.test(sshUser)) {
    reader.problems.push(
      `${key("sshUser")}: ${show(sshUser)} is not a user name (a lower-case letter or "_", then lower-case letters, digits, "_", "-"; at most 32)`,
    );
  }
  const sshPrivateKeyPath = reader.string("sshPrivateKeyPath");
  const hosts = reader.hosts();
  const region = reader.string("region", "RegionOne");
  const prerequisites = reader.boolean("prerequisites", false);
  const refreshPackageIndex = reader.boolean("refreshPackageIndex", true);
  const allowDataDestruction = reader.boolean("allowDataDestruction", false);
  const passwords = reader.passwords(prerequisites ? passwordNames : requiredPasswords(false));
  const configOverrides = readOverrides(reader);
  const secretSettings = reader.secretSettings();
  const computeDriver = reader.oneOf("computeDriver", computeDrivers, "libvirt.LibvirtDriver") as ComputeDriver;
  const virtType = reader.oneOf("virtType", virtTypes, undefined);
  const flavors = reader.flavors();
  const guestImage = reader.guestImage();
  const apiWorkersValue = raw["apiWorkers"];
  const apiWorkers = apiWorkersValue === undefined || apiWorkersValue === 0 ? undefined : apiWorkersValue;
  if (apiWorkers !== undefined && (typeof apiWorkers !== "number" || !Number.isInteger(apiWorkers) || apiWorkers < 1 || apiWorkers > 64)) {
    reader.problems.push(`${key("apiWorkers")}: ${show(apiWorkers)} is not a number of worker processes (1-64)`);
  }
  const problems = reader.problems;
  for (const [index, first] of repeats(
    flavors.map((flavor) => flavor.name),
    (name) => flavorNamePattern.test(name),
  )) {
    problems.push(
      `${key("flavors")}[${index}].name: ${show(flavors[index].name)} is already the name of flavors[${first}]; each flavor needs its own name`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(region)) {
    problems.push(`${key("region")}: ${show(region)} is not a region name (letters, digits, ".", "_", "-")`);
  }

  let profile: OsProfile | undefined;
  try {
    profile = profileFor(operatingSystem, openstackRelease);
  } catch {
    problems.push(
      `${key("operatingSystem")}/${key("openstackRelease")}: ${show(`${operatingSystem}/${openstackRelease}`)} is not supported; expected one of ${supportedProfiles.join(", ")}`,
    );
  }
  for (const [index, first] of repeats(
    hosts.map((host) => host.name),
    (name) => hostNamePattern.test(name),
  )) {
    problems.push(`${key("hosts")}[${index}].name: ${show(hosts[index].name)} is already the name of hosts[${first}]; each host needs its own name`);
  }
  for (const [index, first] of repeats(
    hosts.map((host) => host.address),
    isIPv4,
  )) {
    problems.push(
      `${key("hosts")}[${index}].address: ${show(hosts[index].address)} is already the address of hosts[${first}]; each host needs its own address`,
    );
  }
  const controllers = hosts.filter((host) => host.role === "controller");
  if (hosts.length > 0 && controllers.length !== 1) {
    problems.push(`${key("hosts")}: expected exactly one host with role "controller", found ${controllers.length}`);
  }
  if (profile !== undefined) {
    problems.push(...overrideProblems(profile, configOverrides));
  }
  if (problems.length > 0 || profile === undefined) {
    throw new ConfigError(problems);
  }
  return {
    operatingSystem,
    openstackRelease,
    profile,
    sshUser,
    sshPrivateKeyPath,
    hosts,
    controller: controllers[0],
    computes: hosts.filter((host) => host.role === "compute"),
    region,
    prerequisites,
    refreshPackageIndex,
    passwords,
    configOverrides,
    secretSettings,
    computeDriver,
    virtType,
    flavors,
    apiWorkers: apiWorkers as number | undefined,
    allowDataDestruction,
    guestImage,
  };
}
