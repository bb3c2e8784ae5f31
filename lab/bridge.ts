/**
 * The lab's Linux bridge: the hosts' veths join it, and its address is how this machine reaches
 * them. No forwarding or NAT is set up: the hosts have no route out, by design.
 */
import { LabSpec } from "./config";
import { run } from "./exec";
import { bridgeAddress } from "./network";

interface IpAddressInfo {
  readonly ifname: string;
  readonly addr_info?: readonly { readonly family: string; readonly local: string; readonly prefixlen: number }[];
}

async function ipJson<T>(args: readonly string[]): Promise<T> {
  const result = await run("ip", ["-j", ...args], { allowFailure: true });
  return (result.exitCode === 0 && result.stdout.trim() !== "" ? JSON.parse(result.stdout) : []) as T;
}

export async function bridgeExists(bridge: string): Promise<boolean> {
  return (await run("ip", ["link", "show", "dev", bridge], { allowFailure: true })).exitCode === 0;
}

/**
 * Interfaces other than `exceptInterface` holding an IPv4 address in the lab's /24: another lab
 * or network on the same subnet would make the hosts unreachable or reach the wrong ones.
 */
export async function interfacesOnSubnet(spec: LabSpec, exceptInterface?: string): Promise<string[]> {
  const prefix = `${bridgeAddress(spec).split(".").slice(0, 3).join(".")}.`;
  const interfaces = await ipJson<IpAddressInfo[]>(["-4", "address", "show"]);
  return interfaces
    .filter((info) => info.ifname !== exceptInterface)
    .filter((info) => (info.addr_info ?? []).some((address) => address.local.startsWith(prefix)))
    .map((info) => `${info.ifname} (${(info.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).join(", ")})`);
}

/** Creates the bridge with its address and brings it up; leaves a correct bridge as it is. */
export async function ensureBridge(spec: LabSpec): Promise<void> {
  const clashes = await interfacesOnSubnet(spec, spec.bridge);
  if (clashes.length > 0) {
    throw new Error(`lab subnet ${spec.subnet} is already in use on ${clashes.join("; ")}: choose another subnet for lab "${spec.name}"`);
  }
  if (!(await bridgeExists(spec.bridge))) {
    await run("ip", ["link", "add", "name", spec.bridge, "type", "bridge"]);
  }
  const [info] = await ipJson<IpAddressInfo[]>(["-4", "address", "show", "dev", spec.bridge]);
  const wanted = bridgeAddress(spec);
  const present = (info?.addr_info ?? []).some((address) => `${address.local}/${address.prefixlen}` === wanted);
  if (!present) await run("ip", ["address", "add", wanted, "dev", spec.bridge]);
  await run("ip", ["link", "set", "dev", spec.bridge, "up"]);
}

/** Names of the interfaces enslaved to the bridge (the hosts' veths), for the teardown check. */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const links = await ipJson<{ ifname: string }[]>(["link", "show", "master", bridge]);
  return links.map((link) => link.ifname);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run("ip", ["link", "show", "dev", name], { allowFailure: true })).exitCode === 0;
}

/** Deletes the bridge (its address goes with it). */
export async function removeBridge(bridge: string): Promise<void> {
  if (await bridgeExists(bridge)) await run("ip", ["link", "delete", "dev", bridge, "type", "bridge"]);
}
