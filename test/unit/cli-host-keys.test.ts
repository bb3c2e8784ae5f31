/**
 * `hosts show|trust` without hosts: the trust decision, the messages and the table. Reading the
 * key a host presents is remote/ssh.ts's, tested with the client (test/unit/remote-ssh.test.ts).
 */
import { describe, expect, it } from "vitest";
import {
  decideTrust,
  findHost,
  formatHostKeyTable,
  hostKeyRow,
  hostKeyTableExitCode,
  isPinned,
  trustCommandLine,
  trustReport,
} from "../../cli/hostKeys";
import type { HostConfig } from "../../config/types";
import type { PresentedHostKey } from "../../remote/ssh";
import { fingerprintOf, testKeyPair, withoutComment } from "../support/sshKeys";

const hostKey = testKeyPair("ed25519", "root@server");
const otherHostKey = testKeyPair("ed25519", "root@reinstalled");

function host(overrides: Partial<HostConfig> = {}): HostConfig {
  return { name: "compute1", role: "compute", address: "192.0.2.11", port: 22, hostPublicKey: hostKey.publicKey, ...overrides };
}

const presentedBy = (publicKey: string): PresentedHostKey => ({ line: withoutComment(publicKey), fingerprint: fingerprintOf(publicKey) });

describe("the trust decision", () => {
  const pinned = host();
  const reinstalled = presentedBy(otherHostKey.publicKey);

  it("is 'already trusted' when the host presents the pinned key, whatever --fingerprint says", () => {
    for (const given of [undefined, "", "SHA256:whatever", fingerprintOf(hostKey.publicKey)]) {
      expect(decideTrust(pinned, presentedBy(hostKey.publicKey), given)).toEqual({
        outcome: "already trusted",
        pinnedFingerprint: fingerprintOf(hostKey.publicKey),
        presentedFingerprint: fingerprintOf(hostKey.publicKey),
      });
    }
  });

  it("compares key data, not the comment on the pinned line", () => {
    expect(isPinned(host({ hostPublicKey: `${withoutComment(hostKey.publicKey)} some other comment` }), presentedBy(hostKey.publicKey))).toBe(true);
    expect(isPinned(host({ hostPublicKey: "ssh-ed25519 AAAAbroken" }), presentedBy(hostKey.publicKey))).toBe(false);
  });

  it("writes nothing without --fingerprint", () => {
    for (const given of [undefined, "", "  "]) {
      const decision = decideTrust(pinned, reinstalled, given);
      expect(decision.outcome).toBe("fingerprint missing");
      expect(decision.newHostPublicKey).toBeUndefined();
    }
  });

  it("writes nothing when --fingerprint is not the presented key's", () => {
    for (const given of [
      fingerprintOf(hostKey.publicKey),
      fingerprintOf(otherHostKey.publicKey).replace("SHA256:", ""),
      fingerprintOf(otherHostKey.publicKey).toLowerCase(),
    ]) {
      const decision = decideTrust(pinned, reinstalled, given);
      expect(decision.outcome).toBe("fingerprint differs");
      expect(decision.newHostPublicKey).toBeUndefined();
    }
  });

  it("writes the presented key, without comment, when --fingerprint is the presented key's", () => {
    expect(decideTrust(pinned, reinstalled, ` ${fingerprintOf(otherHostKey.publicKey)}\n`)).toEqual({
      outcome: "trust",
      pinnedFingerprint: fingerprintOf(hostKey.publicKey),
      presentedFingerprint: fingerprintOf(otherHostKey.publicKey),
      newHostPublicKey: withoutComment(otherHostKey.publicKey),
    });
  });

  it("replaces a pinned key that cannot be read", () => {
    const decision = decideTrust(host({ hostPublicKey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==" }), reinstalled, fingerprintOf(otherHostKey.publicKey));
    expect(decision).toMatchObject({ outcome: "trust", pinnedFingerprint: "(unreadable pinned key)" });
  });
});

describe("what hosts trust prints", () => {
  const pinned = host();
  const old = fingerprintOf(hostKey.publicKey);
  const presented = fingerprintOf(otherHostKey.publicKey);
  const command = `nova-installer hosts trust compute1 --stack prod --fingerprint ${presented}`;
  const report = (given: string | undefined) =>
    trustReport(pinned, 1, "prod", decideTrust(pinned, presentedBy(otherHostKey.publicKey), given), given);

  it("already trusted: exit 0", () => {
    const text = trustReport(pinned, 1, "prod", decideTrust(pinned, presentedBy(hostKey.publicKey), undefined), undefined);
    expect(text).toEqual({ exitCode: 0, text: `compute1 (192.0.2.11:22) presents ${old}, the pinned key: already trusted; nothing changed\n` });
  });

  it("no --fingerprint: exit 1 with both fingerprints and the exact command", () => {
    const { exitCode, text } = report(undefined);
    expect(exitCode).toBe(1);
    expect(text).toContain(
      "compute1 (192.0.2.11:22) presents another key than the one pinned in nova-installer:hosts[1].hostPublicKey; nothing changed",
    );
    expect(text).toContain(`  pinned:    ${old}\n  presented: ${presented}\n`);
    expect(text).toContain(`\n  ${command}\n`);
  });

  it("another --fingerprint: exit 1, warns that something else may answer, and gives the command", () => {
    const { exitCode, text } = report("SHA256:verifiedOnTheConsole");
    expect(exitCode).toBe(1);
    expect(text).toContain(`presents ${presented}, not the --fingerprint given (SHA256:verifiedOnTheConsole); nothing changed`);
    expect(text).toContain(`  pinned:    ${old}\n  presented: ${presented}\n`);
    expect(text).toContain("something else answers at 192.0.2.11:22: do not trust it");
    expect(text).toContain(`\n  ${command}\n`);
  });

  it("trusted: exit 0, old -> new", () => {
    expect(report(presented)).toEqual({
      exitCode: 0,
      text: `compute1 (192.0.2.11:22): host key ${old} -> ${presented}, stored in nova-installer:hosts[1].hostPublicKey of stack prod\n`,
    });
  });

  it("quotes a stack name only when the shell needs it", () => {
    expect(trustCommandLine("compute1", "org/project/prod", "SHA256:a+b/c")).toBe(
      "nova-installer hosts trust compute1 --stack org/project/prod --fingerprint SHA256:a+b/c",
    );
    expect(trustCommandLine("compute1", "my stack", "SHA256:x")).toBe(
      "nova-installer hosts trust compute1 --stack 'my stack' --fingerprint SHA256:x",
    );
  });

  it("names the key and the known hosts for an unknown host", () => {
    const config = { hosts: [host({ name: "controller", role: "controller" }), host()] };
    expect(findHost(config, "compute1").index).toBe(1);
    expect(() => findHost(config, "compute9")).toThrow(
      'nova-installer:hosts has no host named "compute9"; the stack\'s hosts are controller, compute1',
    );
  });
});

describe("the hosts show table", () => {
  const controller = host({ name: "controller", role: "controller", address: "192.0.2.10" });
  const compute1 = host({ port: 2222 });
  const compute2 = host({ name: "compute2", address: "192.0.2.12" });

  it("shows MATCH, CHANGED and UNREACHABLE with the trust command of each changed host; exit 3 unless all match", () => {
    const rows = [
      hostKeyRow(controller, presentedBy(hostKey.publicKey)),
      hostKeyRow(compute1, presentedBy(otherHostKey.publicKey)),
      hostKeyRow(compute2, { error: "connect ECONNREFUSED 192.0.2.12:22" }),
    ];
    expect(rows.map((row) => row.state)).toEqual(["MATCH", "CHANGED", "UNREACHABLE"]);
    const old = fingerprintOf(hostKey.publicKey);
    const changed = fingerprintOf(otherHostKey.publicKey);
    const lines = formatHostKeyTable(rows, "prod").split("\n");
    expect(lines[0]).toMatch(/^HOST\s+ADDRESS\s+PINNED\s+PRESENTED\s+STATE$/);
    expect(lines[1]).toMatch(new RegExp(`^controller\\s+192\\.0\\.2\\.10:22\\s+${escape(old)}\\s+${escape(old)}\\s+MATCH$`));
    expect(lines[2]).toMatch(new RegExp(`^compute1\\s+192\\.0\\.2\\.11:2222\\s+${escape(old)}\\s+${escape(changed)}\\s+CHANGED$`));
    expect(lines[3]).toMatch(
      new RegExp(`^compute2\\s+192\\.0\\.2\\.12:22\\s+${escape(old)}\\s+-\\s+UNREACHABLE \\(connect ECONNREFUSED 192\\.0\\.2\\.12:22\\)$`),
    );
    expect(lines).toContain(`  nova-installer hosts trust compute1 --stack prod --fingerprint ${changed}`);
    expect(lines.filter((line) => line.includes("hosts trust"))).toHaveLength(1);
    expect(hostKeyTableExitCode(rows)).toBe(3);
    expect(hostKeyTableExitCode(rows.slice(0, 1))).toBe(0);
    expect(formatHostKeyTable(rows.slice(0, 1), "prod")).not.toContain("hosts trust");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
