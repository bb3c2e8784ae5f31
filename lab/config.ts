/**
 * The lab's fixed choices, in one place: which subnet, bridge and names a lab uses.
 *
 * A lab is identified by its name; the bridge and subnet must not be shared with another lab
 * running on the same machine, so each lab spec carries all three.
 */

/** The operator's default lab. The subnet is private, unlikely to clash, and a /24. */
export const defaultLabSpec: LabSpec = {
  name: "nova",
  bridge: "nova-lab0",
  subnet: "10.241.0.0/24",
};

/** Computes brought up when `--computes` is not given. */
export const defaultComputeCount = 2;

/**
 * Upper bound on computes: addresses are `.10 + index` in a /24 and the machine has 2 cores;
 * the bound is about addresses, not capacity.
 */
const maxComputeCount = 200;

export interface LabSpec {
  /** Lab name: prefixes machine names so two labs on one machine never share a veth name. */
  readonly name: string;
  /** Linux bridge the hosts' veths join (at most 15 characters, an interface name). */
  readonly bridge: string;
  /** IPv4 /24 of the bridge, e.g. "10.241.0.0/24": .1 is the bridge, hosts from .10. */
  readonly subnet: string;
}

const labNamePattern = /^[a-z][a-z0-9]{0,9}$/;
const interfaceNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

/**
 * Checks a lab spec and returns it unchanged.
 * @throws Error naming the field, the value received and what was expected.
 */
export function validateLabSpec(spec: LabSpec): LabSpec {
  if (!labNamePattern.test(spec.name)) {
    // Short and plain because it is part of machine names and of veth names (15 characters max).
    throw new Error(`lab name "${spec.name}" is invalid: expected 1-10 lower-case letters or digits, starting with a letter`);
  }
  if (!interfaceNamePattern.test(spec.bridge)) {
    throw new Error(`lab bridge "${spec.bridge}" is invalid: expected an interface name of at most 15 characters (letters, digits, _ . -)`);
  }
  parseSubnet24(spec.subnet);
  return spec;
}

/**
 * The first three octets of an IPv4 /24 ("10.241.0.0/24" -> "10.241.0").
 * @throws Error naming the value when it is not a /24 network address.
 */
export function parseSubnet24(subnet: string): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (match === null || match.slice(1, 4).some((octet) => Number(octet) > 255)) {
    throw new Error(`lab subnet "${subnet}" is invalid: expected an IPv4 /24 network address such as "10.241.0.0/24"`);
  }
  return match.slice(1, 4).map(Number).join(".");
}

/**
 * Checks a compute count given on the command line or in code.
 * @throws Error naming `--computes` and the value.
 */
export function validateComputeCount(computes: number): number {
  if (!Number.isInteger(computes) || computes < 0 || computes > maxComputeCount) {
    throw new Error(`--computes ${computes} is invalid: expected an integer from 0 to ${maxComputeCount}`);
  }
  return computes;
}
