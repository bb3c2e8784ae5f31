/**
 * `nova-installer doctor`: pre-flight checks over SSH before (or after) a deployment: each host
 * answers with its pinned host key, runs the profile's OS, knows every host's name, keeps time,
 * has the memory, disk and (computes) virtualization it needs, and (controller) has the ports
 * its services listen on free, or in use by them once deployed.
 *
 * One probe script per host collects everything in one round trip; pure functions judge the
 * collected output, so every rule is tested without hosts (test/unit/cli-doctor.test.ts).
 */
import { accessSync, constants } from "fs";
import { ServicePart, serviceIds, serviceRecord } from "../catalog/services";
import type { HostConfig, StackConfig } from "../config/types";
import { shellQuote } from "../lib/shell";
import { fingerprint, publicKeyBlob } from "../lib/sshKeys";
import { OperatingSystem, osReleaseIdentities } from "../profiles/profiles";
import { hostPlan, plannedService } from "../plan/hostPlan";
import { endpointOf } from "../remote/endpoint";
import { runCommand } from "../remote/ssh";
import {
  VirtualizationFacts,
  describeVirtualization,
  parseVirtualizationReport,
  virtTypeFor,
  virtualizationReportScript,
  virtualizationRequirements,
} from "../steps/virtualization";
import { checkCommand, CheckResult, CheckRow, errorDetail, worst } from "./checkTable";

const gibibyteInKib = 1024 * 1024;

/** Minimum memory (MemTotal) and free space on / per role. */
export const minimumResources = {
  controller: { memoryKib: 2 * gibibyteInKib, diskKib: 5 * gibibyteInKib },
  compute: { memoryKib: 1 * gibibyteInKib, diskKib: 2 * gibibyteInKib },
} as const;

/** Largest clock difference to this machine, in seconds, that passes. */
export const clockToleranceSeconds = 5;

/** A port on the controller, and who binds it. */
export interface ControllerPort {
  readonly port: number;
  readonly service: string;
  /** Whether the installer runs what listens there, or (prerequisites off) the operator must. */
  readonly part: ServicePart;
  /** Clients find it through Keystone's catalog: the operator's may listen on another host. */
  readonly foundThroughCatalog: boolean;
}

/** Every port of the catalog's controller services, in the catalog's order. */
export const controllerPorts: readonly ControllerPort[] = serviceIds.flatMap((id) => {
  const record = serviceRecord(id);
  return record.role === "controller"
    ? record.ports.map((port) => ({
        port: port.port,
        service: port.listener,
        part: record.part,
        foundThroughCatalog: record.foundThroughCatalog ?? false,
      }))
    : [];
});

// ---- the probe -------------------------------------------------------------------------------

const sectionMarker = "@@@ nova-installer doctor:";

/**
 * The script run on each host: POSIX sh, each finding in its own marked section.
 * @param names every host name of the stack (each must resolve on every host)
 * @param novaApiUnit the profile's nova-api unit (whether the controller is deployed already)
 */
export function doctorProbeScript(names: readonly string[], novaApiUnit: string): string {
  const section = (name: string): string => `echo ${shellQuote(`${sectionMarker} ${name}`)}`;
  return [
    section("os-release"),
    "cat /etc/os-release 2>/dev/null",
    section("hostname"),
    "hostname",
    section("resolve"),
    `for name in ${names.map(shellQuote).join(" ")}; do printf '%s %s\\n' "$name" "$(getent hosts "$name" | awk '{print $1; exit}')"; done`,
    section("virtualization"),
    virtualizationReportScript(),
    section("memory"),
    "awk '/^MemTotal:/ {print $2}' /proc/meminfo",
    section("disk"),
    "df -Pk / | awk 'NR == 2 {print $4}'",
    section("listening"),
    // -H (no header) is newer than CentOS 7's iproute; the parser skips the header either way.
    "ss -ltn",
    section("nova-api"),
    `systemctl show -p LoadState -p ActiveState ${shellQuote(novaApiUnit)} 2>/dev/null || true`,
  ].join("\n");
}

/** The probe's output by section name. */
export function parseProbeSections(stdout: string): Record<string, string> {
  const sections: Record<string, string> = {};
  let current: string | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(sectionMarker)) {
      current = line.slice(sectionMarker.length).trim();
      sections[current] = "";
    } else if (current !== undefined) {
      sections[current] += `${line}\n`;
    }
  }
  return sections;
}

/** KEY=value lines (/etc/os-release, `systemctl show`), surrounding quotes removed. */
export function parseKeyValues(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) values[match[1]] = match[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return values;
}

/** name -> first address `getent hosts` gave, undefined where the name does not resolve. */
export function parseResolution(text: string): Record<string, string | undefined> {
  const resolved: Record<string, string | undefined> = {};
  for (const line of text.split("\n")) {
    const [name, address] = line.trim().split(/\s+/);
    if (name) resolved[name] = address || undefined;
  }
  return resolved;
}

/** Ports with a listening TCP socket, from `ss -ltn` (header or not; IPv4, IPv6, `%interface`). */
export function parseListeningPorts(ssOutput: string): Set<number> {
  const ports = new Set<number>();
  for (const line of ssOutput.split("\n")) {
    const columns = line.trim().split(/\s+/);
    if (columns[0] !== "LISTEN" || columns.length < 4) continue;
    const port = Number(columns[3].slice(columns[3].lastIndexOf(":") + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return ports;
}

export type ControllerState = "not deployed" | "installed, not running" | "running";

/** Whether the controller runs Nova already, from `systemctl show -p LoadState -p ActiveState <nova-api>`. */
export function parseControllerState(text: string): ControllerState {
  const properties = parseKeyValues(text);
  if (properties["LoadState"] !== "loaded") return "not deployed";
  return properties["ActiveState"] === "active" ? "running" : "installed, not running";
}

// ---- the rules -------------------------------------------------------------------------------

export function checkOs(operatingSystem: OperatingSystem, osRelease: Record<string, string>): Omit<CheckRow, "host"> {
  const expected = osReleaseIdentities[operatingSystem];
  const found = `ID=${osRelease["ID"] ?? "?"} VERSION_ID=${osRelease["VERSION_ID"] ?? "?"}`;
  const pretty = osRelease["PRETTY_NAME"] ? ` (${osRelease["PRETTY_NAME"]})` : "";
  if (osRelease["ID"] === expected.id && osRelease["VERSION_ID"] === expected.versionId) {
    return { check: "os", result: "OK", detail: `${found}${pretty}` };
  }
  return {
    check: "os",
    result: "FAIL",
    detail: `${found}${pretty}; the stack's operatingSystem ${operatingSystem} needs ID=${expected.id} VERSION_ID=${expected.versionId}`,
  };
}

export function checkHostname(host: HostConfig, hostname: string): Omit<CheckRow, "host"> {
  const actual = hostname.trim();
  // Nova registers the compute service and hypervisor under the host's own name.
  return actual === host.name
    ? { check: "hostname", result: "OK", detail: actual }
    : {
        check: "hostname",
        result: "FAIL",
        detail: `the host calls itself ${JSON.stringify(actual)}; the stack names it ${host.name} (Nova registers it under its own name)`,
      };
}

export function checkResolution(hosts: readonly HostConfig[], resolved: Record<string, string | undefined>): Omit<CheckRow, "host"> {
  const missing = hosts.filter((host) => resolved[host.name] === undefined).map((host) => host.name);
  const elsewhere = hosts
    .filter((host) => resolved[host.name] !== undefined && resolved[host.name] !== host.address)
    .map((host) => `${host.name} -> ${resolved[host.name]} (stack: ${host.address})`);
  if (missing.length > 0) {
    return {
      check: "resolve",
      result: "FAIL",
      detail: `does not resolve ${missing.join(", ")} (add them to /etc/hosts or DNS)${elsewhere.length > 0 ? `; ${elsewhere.join(", ")}` : ""}`,
    };
  }
  if (elsewhere.length > 0) {
    return { check: "resolve", result: "WARN", detail: elsewhere.join(", ") };
  }
  return { check: "resolve", result: "OK", detail: `resolves ${hosts.map((host) => host.name).join(", ")} to the stack's addresses` };
}

/** @param offsetSeconds host clock minus local clock; @param uncertaintySeconds half the round trip */
export function checkClock(offsetSeconds: number, uncertaintySeconds: number, toleranceSeconds = clockToleranceSeconds): Omit<CheckRow, "host"> {
  const direction = offsetSeconds >= 0 ? "ahead of" : "behind";
  const detail = `${Math.abs(offsetSeconds).toFixed(2)} s ${direction} this machine (±${uncertaintySeconds.toFixed(2)} s)`;
  if (Math.abs(offsetSeconds) - uncertaintySeconds > toleranceSeconds) {
    return {
      check: "clock",
      result: "FAIL",
      detail: `${detail}; tolerance ${toleranceSeconds} s (Keystone tokens and service heartbeats need synchronized clocks)`,
    };
  }
  return { check: "clock", result: "OK", detail };
}

export function checkMemory(role: HostConfig["role"], memoryKib: number): Omit<CheckRow, "host"> {
  const minimum = minimumResources[role].memoryKib;
  const detail = `${(memoryKib / gibibyteInKib).toFixed(1)} GiB; ${role} needs ${minimum / gibibyteInKib} GiB`;
  return { check: "memory", result: Number.isFinite(memoryKib) && memoryKib >= minimum ? "OK" : "FAIL", detail };
}

export function checkDisk(role: HostConfig["role"], availableKib: number): Omit<CheckRow, "host"> {
  const minimum = minimumResources[role].diskKib;
  const detail = `${(availableKib / gibibyteInKib).toFixed(1)} GiB free on /; ${role} needs ${minimum / gibibyteInKib} GiB`;
  return { check: "disk", result: Number.isFinite(availableKib) && availableKib >= minimum ? "OK" : "FAIL", detail };
}

/**
 * The compute's virtualization: what the host can run (both the install guide's CPU flags and
 * what /dev/kvm offers), the virt_type that follows and whether the settings can work there.
 * FAIL where the facts step would refuse the host; WARN where guests would run emulated
 * without the operator having asked for it (nova-installer:virtType qemu).
 */
export function checkVirtualization(config: Pick<StackConfig, "computeDriver" | "virtType">, facts: VirtualizationFacts): Omit<CheckRow, "host"> {
  const found = describeVirtualization(facts);
  const fromHost = virtTypeFor(facts);
  if (config.computeDriver === "fake.FakeDriver") {
    return { check: "virtualization", result: "OK", detail: `fake.FakeDriver runs no guests (the host would give ${fromHost}): ${found}` };
  }
  const requirements = virtualizationRequirements(config.computeDriver, config.virtType);
  if (requirements.tun && !facts.tunDevice) {
    return { check: "virtualization", result: "FAIL", detail: `libvirt.LibvirtDriver needs /dev/net/tun (nova-installer:computeDriver): ${found}` };
  }
  if (requirements.kvm && !facts.kvmUsable) {
    return { check: "virtualization", result: "FAIL", detail: `kvm (nova-installer:virtType) but this host cannot run KVM guests: ${found}` };
  }
  const virtType = virtTypeFor(facts, config.virtType);
  const source = config.virtType ? "nova-installer:virtType" : "what the host can run";
  if (virtType === "qemu" && !config.virtType) {
    // Chosen, not asked for: guests will run, slowly; the operator should know (or set qemu).
    return { check: "virtualization", result: "WARN", detail: `qemu (${source}; software emulation, slow): ${found}` };
  }
  return { check: "virtualization", result: "OK", detail: `${virtType} (${source}${virtType === "qemu" ? "; software emulation" : ""}): ${found}` };
}

/**
 * The controller's ports, judged by what runs there: before deployment the installer's ports
 * must be free; once Nova runs they must be listening. Without `prerequisites` the operator's
 * MariaDB, RabbitMQ, memcached, Keystone and Glance must already listen on the controller, where
 * the rendered files point (database and transport URLs, [glance] api_servers, auth URLs); the
 * Networking API, found through Keystone's catalog, may run elsewhere.
 */
export function checkPorts(state: ControllerState, listening: ReadonlySet<number>, prerequisites: boolean): Omit<CheckRow, "host"> {
  const problems: { result: CheckResult; text: string }[] = [];
  for (const { port, service, part, foundThroughCatalog } of controllerPorts) {
    const installers = part === "nova" || prerequisites;
    const open = listening.has(port);
    if (!installers && foundThroughCatalog) {
      continue;
    }
    if (!installers) {
      if (!open)
        problems.push({
          result: "FAIL",
          text: `${port} (${service}) not listening: prerequisites is off, so the operator's ${service} must run here`,
        });
    } else if (state === "not deployed" && open) {
      problems.push({ result: "FAIL", text: `${port} (${service}) already in use by another program` });
    } else if (state === "running" && !open) {
      problems.push({ result: "FAIL", text: `${port} (${service}) not listening` });
    } else if (state === "installed, not running" && !open) {
      problems.push({ result: "WARN", text: `${port} (${service}) not listening yet` });
    }
  }
  const ports = controllerPorts.map((entry) => entry.port);
  const summary = `${state}; listening: ${ports.filter((port) => listening.has(port)).join(" ") || "none"}; free: ${ports.filter((port) => !listening.has(port)).join(" ") || "none"}`;
  if (problems.length === 0) {
    return { check: "ports", result: "OK", detail: summary };
  }
  return {
    check: "ports",
    result: worst(...problems.map((problem) => problem.result)),
    detail: `${state}: ${problems.map((problem) => problem.text).join("; ")}`,
  };
}

// ---- putting it together ---------------------------------------------------------------------

/** What was collected from one host. */
export type HostProbe =
  | { readonly reachable: false; readonly error: string }
  | {
      readonly reachable: true;
      /** `doctorProbeScript` output by section. */
      readonly sections: Record<string, string>;
      /** Host clock minus local clock, and half the round trip, in seconds. */
      readonly clockOffsetSeconds: number;
      readonly clockUncertaintySeconds: number;
    };

/** The unit of nova-api in the controller's plan: whether it is loaded and active tells how far a deployment got. */
function novaApiUnit(config: StackConfig): string {
  const units = plannedService(hostPlan(config, config.controller.name), "nova").units;
  return units.find((unit) => unit.endsWith("nova-api")) ?? units[0];
}

/** Every check of one host from its probe. */
export function hostChecks(config: StackConfig, host: HostConfig, probe: HostProbe): CheckRow[] {
  const row = (check: Omit<CheckRow, "host">): CheckRow => ({ host: host.name, ...check });
  const keyFingerprint = (() => {
    try {
      return fingerprint(publicKeyBlob(host.hostPublicKey, host.name));
    } catch {
      return "an unreadable key";
    }
  })();
  if (!probe.reachable) {
    return [row({ check: "ssh", result: "FAIL", detail: probe.error })];
  }
  const sections = probe.sections;
  const rows: CheckRow[] = [
    row({ check: "ssh", result: "OK", detail: `${config.sshUser}@${host.address}:${host.port}, host key ${keyFingerprint} as pinned` }),
    row(checkOs(config.profile.operatingSystem, parseKeyValues(sections["os-release"] ?? ""))),
    row(checkHostname(host, sections["hostname"] ?? "")),
    row(checkResolution(config.hosts, parseResolution(sections["resolve"] ?? ""))),
    row(checkClock(probe.clockOffsetSeconds, probe.clockUncertaintySeconds)),
    row(checkMemory(host.role, Number((sections["memory"] ?? "").trim() || NaN))),
    row(checkDisk(host.role, Number((sections["disk"] ?? "").trim() || NaN))),
  ];
  if (host.role === "compute") {
    rows.push(row(checkVirtualization(config, parseVirtualizationReport(sections["virtualization"] ?? ""))));
  } else {
    rows.push(
      row(checkPorts(parseControllerState(sections["nova-api"] ?? ""), parseListeningPorts(sections["listening"] ?? ""), config.prerequisites)),
    );
  }
  return rows;
}

/** Runs the probe and the clock reading on one host; connection problems become an unreachable probe. */
async function probeHost(config: StackConfig, host: HostConfig): Promise<HostProbe> {
  const endpoint = endpointOf(config, host);
  try {
    const probe = await runCommand(
      endpoint,
      doctorProbeScript(
        config.hosts.map((entry) => entry.name),
        novaApiUnit(config),
      ),
      { timeoutMs: 60_000 },
    );
    const before = Date.now() / 1000;
    const clock = await runCommand(endpoint, "date +%s.%N", { timeoutMs: 30_000 });
    const after = Date.now() / 1000;
    return {
      reachable: true,
      sections: parseProbeSections(probe.stdout),
      clockOffsetSeconds: Number(clock.stdout.trim()) - (before + after) / 2,
      clockUncertaintySeconds: (after - before) / 2,
    };
  } catch (error) {
    return { reachable: false, error: errorDetail(error) };
  }
}

/** Every check of every host, hosts probed in parallel; rows in the stack's host order. */
export async function runDoctor(config: StackConfig): Promise<CheckRow[]> {
  try {
    accessSync(config.sshPrivateKeyPath, constants.R_OK);
  } catch (error) {
    return [
      {
        host: "(local)",
        check: "ssh key",
        result: "FAIL",
        detail: `cannot read nova-installer:sshPrivateKeyPath ${config.sshPrivateKeyPath}: ${errorDetail(error)}`,
      },
    ];
  }
  const probes = await Promise.all(config.hosts.map((host) => probeHost(config, host)));
  return config.hosts.flatMap((host, index) => hostChecks(config, host, probes[index]));
}

export const doctorCommand = checkCommand({
  command: "doctor",
  describe: "Pre-flight checks of every host over SSH (pinned host keys): OS, names, clocks, resources, virtualization, ports",
  example: "one line per check and host; exit code 3 when a check fails",
  epilog: "Needs no passwords: runs before `secrets init` and without the stack passphrase.",
  run: runDoctor,
});
