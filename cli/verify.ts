/**
 * `nova-installer verify`: the install guide's "Verify operation" on the controller, after a
 * deployment, as admin (`. /root/admin-openrc`): compute services, catalog, images, cells,
 * hypervisors and the upgrade checks. Each command's output is judged by a pure function
 * (test/unit/cli-verify.test.ts feeds them captured outputs).
 */
import type { HostConfig, StackConfig } from "../config/types";
import { shellQuote } from "../lib/shell";
import { adminOpenrcFile, hostPlan, managedUnits } from "../plan/hostPlan";
import { endpointOf } from "../remote/endpoint";
import { CommandResult, runCommand } from "../remote/ssh";
import { checkCommand, CheckRow, errorDetail, worst } from "./checkTable";
import { runBootChecks } from "./verifyBoot";

// ---- parsers -------------------------------------------------------------------------------

/** Rows of an `openstack ... -f json` listing. @throws Error quoting the output when it is not one. */
export function parseOpenstackJson(stdout: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`not the JSON listing the openstack client prints: ${JSON.stringify(stdout.slice(0, 120))}`);
  }
  if (!Array.isArray(parsed) || parsed.some((row) => typeof row !== "object" || row === null)) {
    throw new Error(`expected a JSON list of rows, got ${JSON.stringify(stdout.slice(0, 120))}`);
  }
  return parsed as Record<string, unknown>[];
}

/** Rows of a table drawn with `+---+` borders and `|` columns (nova-manage, nova-status), keyed by header. */
export function parseBoxTable(stdout: string): Record<string, string>[] {
  const lines = stdout.split("\n").filter((line) => line.trim().startsWith("|"));
  const cells = (line: string): string[] =>
    line
      .trim()
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((cell) => cell.trim());
  if (lines.length === 0) return [];
  const header = cells(lines[0]);
  return lines.slice(1).map((line) => Object.fromEntries(cells(line).map((cell, index) => [header[index] ?? `column${index}`, cell])));
}

/** The (check, result) pairs of `nova-status upgrade check` / `placement-status upgrade check`. */
export function parseUpgradeCheck(stdout: string): { check: string; result: string }[] {
  const results: { check: string; result: string }[] = [];
  let check: string | undefined;
  for (const line of stdout.split("\n")) {
    const text = line.trim().replace(/^\|/, "").replace(/\|$/, "").trim();
    const checkMatch = /^Check: (.*)$/.exec(text);
    const resultMatch = /^Result: (.*)$/.exec(text);
    if (checkMatch) check = checkMatch[1].trim();
    if (resultMatch && check !== undefined) {
      results.push({ check, result: resultMatch[1].trim() });
      check = undefined;
    }
  }
  return results;
}

// ---- rules ---------------------------------------------------------------------------------

/** A cell of `openstack ... -f json` as text: JSON values only, so an object or a list reads as JSON, not "[object Object]". */
const text = (value: unknown): string => (value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value));

/** Whether a name reported by Nova (short or fully qualified) is the stack's host. */
export function sameHost(reported: string, stackName: string): boolean {
  return reported === stackName || reported.startsWith(`${stackName}.`);
}

/**
 * `openstack compute service list`: every service up (and enabled), the scheduler and conductor
 * on the controller, nova-compute on every compute of the stack and on no other host.
 */
export function checkComputeServices(rows: readonly Record<string, unknown>[], config: Pick<StackConfig, "controller" | "computes">): CheckRow[] {
  const services = rows.map((row) => ({
    binary: text(row["Binary"]),
    host: text(row["Host"]),
    status: text(row["Status"]),
    state: text(row["State"]),
  }));
  const controller = config.controller.name;
  const problems: CheckRow["result"][] = [];
  const notes: string[] = [];
  for (const binary of ["nova-scheduler", "nova-conductor"]) {
    if (!services.some((service) => service.binary === binary && sameHost(service.host, controller))) {
      problems.push("FAIL");
      notes.push(`no ${binary} on ${controller}`);
    }
  }
  const down = services.filter((service) => service.state !== "up");
  if (down.length > 0) {
    problems.push("FAIL");
    notes.push(`down: ${down.map((service) => `${service.binary}@${service.host}`).join(", ")}`);
  }
  const disabled = services.filter((service) => service.status !== "enabled");
  if (disabled.length > 0) {
    problems.push("WARN");
    notes.push(`disabled: ${disabled.map((service) => `${service.binary}@${service.host}`).join(", ")}`);
  }
  const strangers = services.filter(
    (service) => service.binary === "nova-compute" && !config.computes.some((host) => sameHost(service.host, host.name)),
  );
  if (strangers.length > 0) {
    problems.push("WARN");
    notes.push(`nova-compute on hosts not in the stack: ${strangers.map((service) => service.host).join(", ")}`);
  }
  const summary = `${services.length} services, ${services.filter((service) => service.state === "up").length} up`;
  const rowsOut: CheckRow[] = [
    {
      host: controller,
      check: "compute services",
      result: worst(...problems),
      detail:
        notes.length > 0
          ? `${summary}; ${notes.join("; ")}`
          : `${summary}: ${services
              .filter((service) => sameHost(service.host, controller))
              .map((service) => service.binary)
              .join(", ")}`,
    },
  ];
  for (const compute of config.computes) {
    const own = services.filter((service) => service.binary === "nova-compute" && sameHost(service.host, compute.name));
    rowsOut.push(
      own.length === 0
        ? { host: compute.name, check: "nova-compute", result: "FAIL", detail: "not registered" }
        : own.every((service) => service.state === "up")
          ? {
              host: compute.name,
              check: "nova-compute",
              result: own.every((service) => service.status === "enabled") ? "OK" : "WARN",
              detail: `up, ${own.map((service) => service.status).join(", ")}`,
            }
          : { host: compute.name, check: "nova-compute", result: "FAIL", detail: `state ${own.map((service) => service.state).join(", ")}` },
    );
  }
  return rowsOut;
}

/**
 * `openstack catalog list`: identity, compute and placement always; image and network too when
 * the installer set them up (prerequisites), and otherwise a warning without them: Nova needs
 * both to boot an instance.
 */
export function checkCatalog(rows: readonly Record<string, unknown>[], controller: string, prerequisites: boolean): CheckRow {
  const types = rows.map((row) => text(row["Type"]));
  const required = ["identity", "compute", "placement", ...(prerequisites ? ["image", "network"] : [])];
  const wanted = prerequisites ? [] : ["image", "network"];
  const missing = required.filter((type) => !types.includes(type));
  const missingWanted = wanted.filter((type) => !types.includes(type));
  if (missing.length > 0) {
    return { host: controller, check: "catalog", result: "FAIL", detail: `missing ${missing.join(", ")}; has ${types.join(", ") || "nothing"}` };
  }
  if (missingWanted.length > 0) {
    return {
      host: controller,
      check: "catalog",
      result: "WARN",
      detail: `no ${missingWanted.join(", ")} service: Nova cannot boot instances without it`,
    };
  }
  return { host: controller, check: "catalog", result: "OK", detail: types.join(", ") };
}

/** `openstack image list`: at least one image, every image active. */
export function checkImages(rows: readonly Record<string, unknown>[], controller: string): CheckRow {
  if (rows.length === 0) {
    return { host: controller, check: "images", result: "FAIL", detail: "no image (the installer uploads a test image with prerequisites)" };
  }
  const inactive = rows.filter((row) => text(row["Status"]) !== "active");
  return inactive.length > 0
    ? {
        host: controller,
        check: "images",
        result: "FAIL",
        detail: `not active: ${inactive.map((row) => `${text(row["Name"])} (${text(row["Status"])})`).join(", ")}`,
      }
    : { host: controller, check: "images", result: "OK", detail: rows.map((row) => text(row["Name"])).join(", ") };
}

/** `nova-manage cell_v2 list_cells`: cell0 and cell1 mapped, neither disabled. */
export function checkCells(rows: readonly Record<string, string>[], controller: string): CheckRow {
  const names = rows.map((row) => row["Name"]);
  const missing = ["cell0", "cell1"].filter((name) => !names.includes(name));
  const disabled = rows.filter((row) => /^true$/i.test(row["Disabled"] ?? "")).map((row) => row["Name"]);
  if (missing.length > 0 || disabled.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`missing ${missing.join(", ")}`] : []),
      ...(disabled.length > 0 ? [`disabled ${disabled.join(", ")}`] : []),
    ];
    return { host: controller, check: "cells", result: "FAIL", detail: `${problems.join("; ")}; mapped: ${names.join(", ") || "none"}` };
  }
  return { host: controller, check: "cells", result: "OK", detail: names.join(", ") };
}

/** `openstack hypervisor list`: one hypervisor per compute of the stack, up. */
export function checkHypervisors(rows: readonly Record<string, unknown>[], computes: readonly HostConfig[]): CheckRow[] {
  return computes.map((compute) => {
    const own = rows.filter((row) => sameHost(text(row["Hypervisor Hostname"]), compute.name));
    if (own.length === 0) {
      return { host: compute.name, check: "hypervisor", result: "FAIL", detail: "not listed (not discovered into a cell?)" };
    }
    const states = own.map((row) => text(row["State"]));
    const type = own
      .map((row) => text(row["Hypervisor Type"]))
      .filter(Boolean)
      .join(", ");
    return states.every((state) => state === "up")
      ? { host: compute.name, check: "hypervisor", result: "OK", detail: `up${type ? `, ${type}` : ""}` }
      : { host: compute.name, check: "hypervisor", result: "FAIL", detail: `state ${states.join(", ")}` };
  });
}

/**
 * An upgrade check's exit code, as the tools define it: 0 every check passed, 1 a warning worth
 * a look (the guide's deployment still works), 2 a failure, anything else an error.
 */
export function checkUpgradeStatus(tool: string, result: CommandResult, controller: string): CheckRow {
  const checks = parseUpgradeCheck(result.stdout);
  const notable = checks.filter((entry) => entry.result !== "Success");
  const summary = notable.length > 0 ? notable.map((entry) => `${entry.check}: ${entry.result}`).join("; ") : `${checks.length} checks passed`;
  if (result.exitCode === 0) return { host: controller, check: tool, result: "OK", detail: summary };
  if (result.exitCode === 1) return { host: controller, check: tool, result: "WARN", detail: `exit 1 (warning): ${summary}` };
  return {
    host: controller,
    check: tool,
    result: "FAIL",
    detail: `exit ${result.exitCode}: ${notable.length > 0 ? summary : lastLine(result.stderr || result.stdout)}`,
  };
}

/** Prints `unit active-state enabled-state` per unit (what checkUnits reads). */
export function unitStatesCommand(units: readonly string[]): string {
  return `for unit in ${units.map(shellQuote).join(" ")}; do printf '%s %s %s\\n' "$unit" "$(systemctl is-active "$unit" 2>/dev/null)" "$(systemctl is-enabled "$unit" 2>/dev/null)"; done`;
}

/** The managed units of a host: each active and enabled (Nova's API sees a stopped nova-compute only once its heartbeat expires). */
export function checkUnits(host: string, units: readonly string[], stdout: string): CheckRow {
  const states = new Map(
    stdout
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .map(([unit, active = "", enabled = ""]) => [unit, { active, enabled }]),
  );
  const wrong = units.flatMap((unit) => {
    const state = states.get(unit);
    if (state === undefined) return [`${unit}: not reported`];
    const problems = [
      state.active === "active" ? "" : state.active || "unknown",
      state.enabled === "enabled" ? "" : state.enabled || "not enabled",
    ].filter(Boolean);
    return problems.length === 0 ? [] : [`${unit}: ${problems.join(", ")}`];
  });
  return wrong.length === 0
    ? { host, check: "units", result: "OK", detail: `${units.length} active and enabled: ${units.join(" ")}` }
    : { host, check: "units", result: "FAIL", detail: `${wrong.join("; ")} (pulumi up --refresh starts and enables them)` };
}

/** Every host's managed units, read on each host (in parallel). */
export async function runUnitChecks(config: StackConfig): Promise<CheckRow[]> {
  return Promise.all(
    config.hosts.map(async (host) => {
      const units = managedUnits(config, hostPlan(config, host.name));
      try {
        const result = await runCommand(endpointOf(config, host), unitStatesCommand(units), { timeoutMs: 60_000 });
        return checkUnits(host.name, units, result.stdout);
      } catch (error) {
        return { host: host.name, check: "units", result: "FAIL" as const, detail: `cannot read them: ${errorDetail(error)}` };
      }
    }),
  );
}

function lastLine(output: string): string {
  return output.trim().split("\n").pop()?.trim() || "no output";
}

// ---- commands on the controller ------------------------------------------------------------

/** A command run as root: directly for root, through passwordless sudo for another user. */
export function asRoot(command: string, sshUser: string): string {
  return sshUser === "root" ? command : `sudo -n sh -c ${shellQuote(command)}`;
}

/** An openstack client listing as admin, with the credentials file the installer wrote. */
export function adminClient(args: string): string {
  return `. ${adminOpenrcFile.path} && openstack ${args} -f json`;
}

interface Verification {
  readonly command: string;
  /** Judges a successful (or, with `anyExitCode`, any) run of the command. */
  readonly judge: (result: CommandResult) => CheckRow[];
  /** The check names reported when the command cannot run (on the controller unless said). */
  readonly checks: readonly { readonly host: string; readonly check: string }[];
  readonly anyExitCode?: boolean;
}

/** The verifications for a stack, in the guide's order. */
export function verifications(config: StackConfig): Verification[] {
  const controller = config.controller.name;
  const json = (judge: (rows: Record<string, unknown>[]) => CheckRow[]) => (result: CommandResult) => judge(parseOpenstackJson(result.stdout));
  const onController = (check: string) => [{ host: controller, check }];
  return [
    {
      command: adminClient("compute service list"),
      judge: json((rows) => checkComputeServices(rows, config)),
      checks: [...onController("compute services"), ...config.computes.map((host) => ({ host: host.name, check: "nova-compute" }))],
    },
    {
      command: adminClient("catalog list"),
      judge: json((rows) => [checkCatalog(rows, controller, config.prerequisites)]),
      checks: onController("catalog"),
    },
    ...(config.prerequisites
      ? [{ command: adminClient("image list"), judge: json((rows) => [checkImages(rows, controller)]), checks: onController("images") }]
      : []),
    {
      command: "nova-manage cell_v2 list_cells",
      judge: (result: CommandResult) => [checkCells(parseBoxTable(result.stdout), controller)],
      checks: onController("cells"),
    },
    {
      command: adminClient("hypervisor list"),
      judge: json((rows) => checkHypervisors(rows, config.computes)),
      checks: config.computes.map((host) => ({ host: host.name, check: "hypervisor" })),
    },
    {
      command: "nova-status upgrade check",
      judge: (result) => [checkUpgradeStatus("nova-status", result, controller)],
      checks: onController("nova-status"),
      anyExitCode: true,
    },
    // Queens and Rocky serve Placement from Nova: nova-status covers it, there is no placement-status.
    ...(!config.profile.services.placement.sharesDatabase
      ? [
          {
            command: "placement-status upgrade check",
            judge: (result: CommandResult) => [checkUpgradeStatus("placement-status", result, controller)],
            checks: onController("placement-status"),
            anyExitCode: true,
          },
        ]
      : []),
  ];
}

/** Judges one command's run: its checks, or FAIL on each of them with why the command failed. */
export function judgeRun(verification: Verification, result: CommandResult): CheckRow[] {
  const failAll = (detail: string): CheckRow[] => verification.checks.map(({ host, check }) => ({ host, check, result: "FAIL" as const, detail }));
  if (result.exitCode !== 0 && !verification.anyExitCode) {
    return failAll(`${verification.command.replace(/^\. \S+ && /, "")}: exit ${result.exitCode}: ${lastLine(result.stderr || result.stdout)}`);
  }
  try {
    return verification.judge(result);
  } catch (error) {
    return failAll(errorDetail(error));
  }
}

/** Runs every verification on the controller (in parallel over one connection). */
export async function runVerify(config: StackConfig): Promise<CheckRow[]> {
  const endpoint = endpointOf(config, config.controller);
  const results = await Promise.all(
    verifications(config).map(async (verification) => {
      try {
        return judgeRun(verification, await runCommand(endpoint, asRoot(verification.command, config.sshUser), { timeoutMs: 300_000 }));
      } catch (error) {
        return verification.checks.map(({ host, check }) => ({
          host,
          check,
          result: "FAIL" as const,
          detail: `cannot run on ${config.controller.name}: ${errorDetail(error)}`,
        }));
      }
    }),
  );
  // Controller rows first, then each compute's, in the stack's order.
  const rows = [...results.flat(), ...(await runUnitChecks(config))];
  return config.hosts.flatMap((host) => rows.filter((row) => row.host === host.name));
}

export const verifyCommand = checkCommand({
  command: "verify",
  describe:
    "After a deployment: the install guide's verification on the controller (services, catalog, images, cells, hypervisors, upgrade checks) and each host's managed units (active, enabled)",
  example: "one line per check and host; exit code 3 when a check fails",
  epilog:
    "Needs no passwords locally: the client uses /root/admin-openrc, which the installer wrote on the controller. " +
    "--boot also boots the test guest on each compute (one at a time), waits for its marker in the console log and deletes it.",
  flags: { boot: "Also boot a test guest on each compute and report driver, virt_type and seconds to its console marker" },
  run: async (config, flags) => {
    const rows = await runVerify(config);
    if (!flags["boot"]) return rows;
    const boots = await runBootChecks(config);
    return config.hosts.flatMap((host) => [...rows, ...boots].filter((row) => row.host === host.name));
  },
});
