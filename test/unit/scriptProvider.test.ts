/** When the RemoteScript provider re-runs a step, and when it only records a change. */
import { describe, expect, it } from "vitest";
import { RemoteScriptOutputs, scriptProvider } from "../../remote/scriptProvider";

// An address nothing listens on: any attempt to run the step would fail the test.
const connection = { hostName: "compute2", address: "192.0.2.1", port: 1, privateKeyPath: "/nonexistent", hostPublicKey: "ssh-ed25519 AAAAold" };
const olds: RemoteScriptOutputs = { connection, description: "write /etc/nova/nova.conf", create: "true", stdout: "before", stderr: "" };

describe("RemoteScript provider", () => {
  it("records a newly trusted host key without running the step again", async () => {
    const news = { ...olds, connection: { ...connection, hostPublicKey: "ssh-ed25519 AAAAnew" }, stdout: undefined, stderr: undefined };
    expect((await scriptProvider.diff!("id", olds, news)).changes).toBe(true);
    const updated = await scriptProvider.update!("id", olds, news);
    expect(updated.outs.connection.hostPublicKey).toBe("ssh-ed25519 AAAAnew");
    expect(updated.outs.stdout).toBe("before");
  });

  it("records a new delete script without running the step again", async () => {
    const news = { ...olds, delete: "mysql -e 'DROP DATABASE nova'" };
    expect((await scriptProvider.diff!("id", olds, news)).changes).toBe(true);
    expect((await scriptProvider.update!("id", olds, news)).outs.stdout).toBe("before");
  });

  it("reports no change when nothing differs, and a change of address or script as one that re-runs", async () => {
    expect((await scriptProvider.diff!("id", olds, { ...olds })).changes).toBe(false);
    expect((await scriptProvider.diff!("id", olds, { ...olds, create: "false" })).changes).toBe(true);
    await expect(scriptProvider.update!("id", olds, { ...olds, connection: { ...connection, address: "192.0.2.2" } })).rejects.toThrow(/compute2/);
  }, 60_000);
});
