/** The decisions of `nova-installer recover`: which locks may go, which steps were interrupted. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { lockDirectory, lockKeptBecause, pendingOperations, readLocks, StackLock } from "../../cli/recover";

const lock: StackLock = { file: "/x.json", pid: 4242, hostname: "ops1", username: "root", timestamp: "2026-11-21T10:00:00Z" };

describe("recover", () => {
  it("removes a lock only when its process is provably gone", () => {
    expect(lockKeptBecause(lock, { hostname: "ops1", alive: () => false, force: false })).toBeUndefined();
    expect(lockKeptBecause(lock, { hostname: "ops1", alive: (pid) => pid === 4242, force: false })).toMatch(/pid 4242\) .* is still running/);
    expect(lockKeptBecause(lock, { hostname: "ops1", alive: () => true, force: true }), "--force never breaks a live local run").toMatch(
      /still running/,
    );
    expect(lockKeptBecause(lock, { hostname: "ops2", alive: () => false, force: false })).toMatch(/another machine; .* --force/);
    expect(lockKeptBecause(lock, { hostname: "ops2", alive: () => false, force: true })).toBeUndefined();
  });

  it("reads the file backend's lock files", () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "recover-"));
    const directory = lockDirectory("lab", { NOVA_INSTALLER_STATE: state });
    expect(directory).toBe(path.join(state, "backend/.pulumi/locks/organization/nova-installer/lab"));
    expect(readLocks(directory)).toEqual([]);
    fs.mkdirSync(directory, { recursive: true });
    fs.writeFileSync(path.join(directory, "a.json"), JSON.stringify({ pid: 7, username: "root", hostname: "vm", timestamp: "t" }));
    fs.writeFileSync(path.join(directory, "a.json.attrs"), "{}");
    expect(readLocks(directory)).toEqual([{ file: path.join(directory, "a.json"), pid: 7, hostname: "vm", username: "root", timestamp: "t" }]);
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("lists the steps a killed deploy left pending", () => {
    const exported = JSON.stringify({
      version: 3,
      deployment: {
        resources: [],
        pending_operations: [
          { resource: { urn: "urn:pulumi:lab::nova-installer::x$nova-installer:index:RemoteScript::controller-databases-grants" }, type: "creating" },
        ],
      },
    });
    expect(pendingOperations(exported)).toEqual([{ urn: expect.stringMatching(/::controller-databases-grants$/), type: "creating" }]);
    expect(pendingOperations(JSON.stringify({ version: 3, deployment: { resources: [] } }))).toEqual([]);
  });
});
