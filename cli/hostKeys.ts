/**
 * `nova-installer hosts show|trust`: the SSH host keys pinned in the stack
 * (`nova-installer:hosts[i].hostPublicKey`) against the keys the hosts present.
 *
 * Every deployment connection refuses a host whose key differs from the pinned one
 * (remote/ssh.ts, HostKeyMismatchError). Trusting a new key is this explicit command, and it
 * only writes a key whose fingerprint the operator typed after checking it out of band: the
 * installer never learns a key on its own.
 *
 * The presented key is read only as far as the key exchange (remote/ssh.ts, fetchPresentedHostKey):
 * nothing authenticates and nothing runs on the host. The decision and the messages are pure
 * functions, tested without hosts (test/unit/cli-host-keys.test.ts).
 */
import type { Argv, CommandModule } from "yargs";
import { configNamespace, HostConfig, StackConfig } from "../config/types";
import { shellQuote } from "../lib/shell";
import { fingerprint, publicKeyBlob } from "../lib/sshKeys";
import { fetchPresentedHostKey, PresentedHostKey } from "../remote/ssh";
import { checksFailedExitCode, errorDetail } from "./checkTable";
import { pulumiOrThrow } from "./pulumiCli";
import { readStackConfig, stackOption } from "./stackConfigReader";

/** The fingerprint of a pinned key line, or why it has none (a malformed pin can still be replaced). */
export function pinnedFingerprint(host: Pick<HostConfig, "name" | "hostPublicKey">): string {
  try {
    return fingerprint(publicKeyBlob(host.hostPublicKey, host.name));
  } catch {
    return "(unreadable pinned key)";
  }
}

/** Whether the presented key is the pinned one (key data compared; a comment on the pin does not count). */
export function isPinned(host: Pick<HostConfig, "name" | "hostPublicKey">, presented: PresentedHostKey): boolean {
  try {
    return publicKeyBlob(host.hostPublicKey, host.name).equals(publicKeyBlob(presented.line));
  } catch {
    return false;
  }
}

/** The command that trusts a key, as the operator would type it. */
export function trustCommandLine(hostName: string, stack: string, presentedFingerprint: string): string {
  const word = (value: string): string => (/^[A-Za-z0-9._/:@+=-]+$/.test(value) ? value : shellQuote(value));
  return `nova-installer hosts trust ${word(hostName)} --stack ${word(stack)} --fingerprint ${word(presentedFingerprint)}`;
}

/** The stack config key that pins host `index`'s key. */
function hostPublicKeyConfigPath(index: number): string {
  return `${configNamespace}:hosts[${index}].hostPublicKey`;
}

// ---- trust -----------------------------------------------------------------------------------

export type TrustOutcome =
  /** The host presents the pinned key: nothing to write. */
  | "already trusted"
  /** The key changed and no --fingerprint was given: the operator has not vouched for it. */
  | "fingerprint missing"
  /** --fingerprint is not the presented key's: the host answering is not the one checked. */
  | "fingerprint differs"
  /** --fingerprint is the presented key's: write it. */
  | "trust";

export interface TrustDecision {
  readonly outcome: TrustOutcome;
  readonly pinnedFingerprint: string;
  readonly presentedFingerprint: string;
  /** The line to store in hostPublicKey; only for "trust". */
  readonly newHostPublicKey?: string;
}

/**
 * What `hosts trust` does with the key a host presents. Pure: the only inputs are the pinned
 * key, the presented key and the fingerprint the operator gave (verbatim, surrounding blanks aside).
 */
export function decideTrust(
  host: Pick<HostConfig, "name" | "hostPublicKey">,
  presented: PresentedHostKey,
  givenFingerprint: string | undefined,
): TrustDecision {
  const fingerprints = { pinnedFingerprint: pinnedFingerprint(host), presentedFingerprint: presented.fingerprint };
  if (isPinned(host, presented)) {
    return { outcome: "already trusted", ...fingerprints };
  }
  const given = givenFingerprint?.trim() ?? "";
  if (given === "") {
    return { outcome: "fingerprint missing", ...fingerprints };
  }
  if (given !== presented.fingerprint) {
    return { outcome: "fingerprint differs", ...fingerprints };
  }
  return { outcome: "trust", ...fingerprints, newHostPublicKey: presented.line };
}

export interface TrustReport {
  readonly text: string;
  /** 0: trusted now or already; 1: nothing written. */
  readonly exitCode: 0 | 1;
}

const verifyHint = "verify it out of band (for example on the host's console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)";

/** What `hosts trust` prints for a decision (for "trust": once the key is stored). */
export function trustReport(
  host: HostConfig,
  hostIndex: number,
  stack: string,
  decision: TrustDecision,
  givenFingerprint: string | undefined,
): TrustReport {
  const where = `${host.name} (${host.address}:${host.port})`;
  const both = [`  pinned:    ${decision.pinnedFingerprint}`, `  presented: ${decision.presentedFingerprint}`];
  const command = `  ${trustCommandLine(host.name, stack, decision.presentedFingerprint)}`;
  const lines = (...text: string[]): string => text.join("\n") + "\n";
  switch (decision.outcome) {
    case "already trusted":
      return { exitCode: 0, text: lines(`${where} presents ${decision.presentedFingerprint}, the pinned key: already trusted; nothing changed`) };
    case "fingerprint missing":
      return {
        exitCode: 1,
        text: lines(
          `${where} presents another key than the one pinned in ${hostPublicKeyConfigPath(hostIndex)}; nothing changed (no --fingerprint given)`,
          ...both,
          `If the host was reinstalled or its keys regenerated, ${verifyHint}, then run:`,
          command,
        ),
      };
    case "fingerprint differs":
      return {
        exitCode: 1,
        text: lines(
          `${where} presents ${decision.presentedFingerprint}, not the --fingerprint given (${givenFingerprint?.trim()}); nothing changed`,
          ...both,
          `If ${givenFingerprint?.trim()} is what you verified on the host, something else answers at ${host.address}:${host.port}: do not trust it.`,
          `If the host's key changed since, ${verifyHint} again, then run:`,
          command,
        ),
      };
    case "trust":
      return {
        exitCode: 0,
        text: lines(
          `${where}: host key ${decision.pinnedFingerprint} -> ${decision.presentedFingerprint}, stored in ${hostPublicKeyConfigPath(hostIndex)} of stack ${stack}`,
        ),
      };
  }
}

/** The host named `name` and its index in `nova-installer:hosts`. */
export function findHost(config: Pick<StackConfig, "hosts">, name: string): { host: HostConfig; index: number } {
  const index = config.hosts.findIndex((host) => host.name === name);
  if (index < 0) {
    throw new Error(
      `${configNamespace}:hosts has no host named ${JSON.stringify(name)}; the stack's hosts are ${config.hosts.map((host) => host.name).join(", ")}`,
    );
  }
  return { host: config.hosts[index], index };
}

/** Pins a key with `pulumi config set --path`, which keeps `hosts` a list of objects (other fields and types untouched). */
async function storeHostPublicKey(stack: string, hostIndex: number, hostPublicKey: string): Promise<void> {
  await pulumiOrThrow(["config", "set", "--stack", stack, "--path", "--type", "string", hostPublicKeyConfigPath(hostIndex), "--", hostPublicKey]);
}

/** `hosts trust`: reads the stack and the host's key, decides, stores when told to, and reports. */
async function trustHostKey(stack: string, name: string, givenFingerprint: string | undefined): Promise<TrustReport> {
  const { host, index } = findHost(await readStackConfig(stack, { passwords: "stand-in" }), name);
  const presented = await fetchPresentedHostKey(host.address, host.port).catch((error: unknown) => {
    throw new Error(`cannot read the host key of ${host.name} at ${host.address}:${host.port}: ${errorDetail(error)}; nothing changed`);
  });
  const decision = decideTrust(host, presented, givenFingerprint);
  if (decision.outcome === "trust" && decision.newHostPublicKey !== undefined) {
    await storeHostPublicKey(stack, index, decision.newHostPublicKey);
    // Read back the way `pulumi up` reads it: the write must leave a stack that validates and pins the new key.
    const stored = findHost(await readStackConfig(stack, { passwords: "stand-in" }), name).host;
    if (!isPinned(stored, presented)) {
      throw new Error(
        `${hostPublicKeyConfigPath(index)} of stack ${stack} does not hold the new key after writing it (it reads ${JSON.stringify(stored.hostPublicKey)})`,
      );
    }
  }
  return trustReport(host, index, stack, decision, givenFingerprint);
}

// ---- show ------------------------------------------------------------------------------------

export type HostKeyState = "MATCH" | "CHANGED" | "UNREACHABLE";

export interface HostKeyRow {
  readonly host: string;
  /** "address:port". */
  readonly endpoint: string;
  readonly pinned: string;
  /** The presented key's fingerprint, "-" when unreachable. */
  readonly presented: string;
  readonly state: HostKeyState;
  /** Why a host is unreachable. */
  readonly detail?: string;
}

/** One host's row from its pinned key and what reading its key gave. */
export function hostKeyRow(host: HostConfig, presented: PresentedHostKey | { readonly error: string }): HostKeyRow {
  const common = { host: host.name, endpoint: `${host.address}:${host.port}`, pinned: pinnedFingerprint(host) };
  if ("error" in presented) {
    return { ...common, presented: "-", state: "UNREACHABLE", detail: presented.error };
  }
  return { ...common, presented: presented.fingerprint, state: isPinned(host, presented) ? "MATCH" : "CHANGED" };
}

/** The `hosts show` table, then the trust command of every changed host. */
export function formatHostKeyTable(rows: readonly HostKeyRow[], stack: string): string {
  const header = ["HOST", "ADDRESS", "PINNED", "PRESENTED", "STATE"];
  const cells = rows.map((row) => [row.host, row.endpoint, row.pinned, row.presented, row.detail ? `${row.state} (${row.detail})` : row.state]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column].length)));
  const line = (cell: readonly string[]): string =>
    cell
      .map((text, column) => text.padEnd(widths[column]))
      .join("  ")
      .trimEnd();
  const changed = rows.filter((row) => row.state === "CHANGED");
  const advice =
    changed.length === 0
      ? []
      : [
          "",
          "A changed key stops every deployment to its host. Verify each presented fingerprint out of band (for example on the host's console: " +
            "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then trust it:",
          ...changed.map((row) => `  ${trustCommandLine(row.host, stack, row.presented)}`),
        ];
  return [line(header), ...cells.map(line), ...advice].join("\n") + "\n";
}

/** 0 when every host presents its pinned key. */
export function hostKeyTableExitCode(rows: readonly HostKeyRow[]): number {
  return rows.every((row) => row.state === "MATCH") ? 0 : checksFailedExitCode;
}

/** Every host's row, keys read in parallel; rows in the stack's host order. */
async function hostKeyRows(config: Pick<StackConfig, "hosts">): Promise<HostKeyRow[]> {
  return Promise.all(
    config.hosts.map(async (host) =>
      hostKeyRow(host, await fetchPresentedHostKey(host.address, host.port).catch((error: unknown) => ({ error: errorDetail(error) }))),
    ),
  );
}

// ---- the commands ----------------------------------------------------------------------------

const showCommand: CommandModule<object, { stack: string }> = {
  command: "show",
  describe: "Each host's pinned host key fingerprint against the one it presents: MATCH, CHANGED or UNREACHABLE",
  builder: (args) =>
    args
      .option("stack", stackOption)
      .example("$0 hosts show --stack prod", "one line per host; exit code 3 when a key changed or a host is unreachable")
      .epilog("Reads each key without logging in (no private key, no passwords needed)."),
  handler: async (options) => {
    const rows = await hostKeyRows(await readStackConfig(options.stack, { passwords: "stand-in" }));
    process.stdout.write(formatHostKeyTable(rows, options.stack));
    process.exitCode = hostKeyTableExitCode(rows);
  },
};

const trustCommand: CommandModule<object, { stack: string; name: string; fingerprint?: string }> = {
  command: "trust <name>",
  describe: "Pin the host key a host presents now, once its fingerprint has been verified out of band",
  builder: (args) =>
    args
      .positional("name", { type: "string", demandOption: true, describe: "the host's name in nova-installer:hosts" })
      .option("stack", stackOption)
      .option("fingerprint", { type: "string", describe: "the SHA256:... fingerprint verified on the host; must equal the presented key's" })
      .example("$0 hosts trust compute1 --stack prod --fingerprint SHA256:...", "stores compute1's presented key in the stack")
      .epilog("Without --fingerprint, or with another one, prints both fingerprints and the command to run, and changes nothing (exit 1)."),
  handler: async (options) => {
    const report = await trustHostKey(options.stack, options.name, options.fingerprint);
    (report.exitCode === 0 ? process.stdout : process.stderr).write(report.text);
    process.exitCode = report.exitCode;
  },
};

export const hostsCommand: CommandModule = {
  command: "hosts <command>",
  describe: "The SSH host keys pinned in the stack: compare them with the hosts', trust a verified new one",
  builder: (args: Argv) =>
    args
      .command(showCommand as unknown as CommandModule)
      .command(trustCommand as unknown as CommandModule)
      .demandCommand(1, "give a hosts command; see nova-installer hosts --help"),
  handler: () => undefined,
};
