/**
 * The lab's address plan and the network files each host gets. Pure functions only.
 */
import { LabSpec, parseSubnet24, validateComputeCount } from "./config";

export type HostRole = "controller" | "compute";

export interface LabHost {
  /** Hostname inside the lab: "controller", "compute1", ... */
  readonly name: string;
  readonly role: HostRole;
  /** Static IPv4 address on the lab bridge. */
  readonly address: string;
  /**
   * nspawn machine name: the lab name is prepended so that two labs never derive the same
   * host-side veth name from it.
   */
  readonly machine: string;
}

/** Last octet of the controller; compute k gets `controllerOctet + k`. */
const controllerOctet = 10;
const bridgeOctet = 1;

/** The bridge's own address, with prefix length, e.g. "10.241.0.1/24". */
export function bridgeAddress(spec: LabSpec): string {
  return `${parseSubnet24(spec.subnet)}.${bridgeOctet}/24`;
}

/** The hosts of a lab with `computes` computes, controller first, computes in order. */
export function planHosts(spec: LabSpec, computes: number): LabHost[] {
  const prefix = parseSubnet24(spec.subnet);
  validateComputeCount(computes);
  const host = (name: string, role: HostRole, octet: number): LabHost => ({
    name,
    role,
    address: `${prefix}.${octet}`,
    machine: `${spec.name}-${name}`,
  });
  return [
    host("controller", "controller", controllerOctet),
    ...Array.from({ length: computes }, (_, index) => host(`compute${index + 1}`, "compute", controllerOctet + index + 1)),
  ];
}

/**
 * /etc/hosts for every lab host. Every host lists every other: Debian's nova-common postinst
 * fails when the host's own name does not resolve, and services address peers by name.
 */
export function renderEtcHosts(hosts: readonly LabHost[]): string {
  const lines = [
    "# Written by nova-installer lab; rewritten when the lab's hosts change.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
    ...hosts.map((host) => `${host.address}\t${host.name}`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * systemd-networkd config for the container side of the veth (nspawn names it host0). Static,
 * no gateway: the hosts have no route out, and a default route would only make failures slower.
 */
export function renderNetworkdConfig(host: LabHost): string {
  return [
    "# Written by nova-installer lab.",
    "[Match]",
    "Name=host0",
    "",
    "[Network]",
    `Address=${host.address}/24`,
    "LinkLocalAddressing=no",
    "IPv6AcceptRA=no",
    "",
  ].join("\n");
}
