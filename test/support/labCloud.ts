/**
 * A cloud the installer deployed on lab hosts, as the lab stories drive it: commands on its
 * hosts, the openstack client as admin, servers booted and waited for, pulumi and the
 * installer's own commands on its stack. Everything pulumi and the installer print is kept in
 * `printed`, so a story can check it for passwords.
 */
import { PulumiRun, runPulumi } from "../../cli/pulumiCli";
import { guestRuntimeScript, parseGuestRuntime } from "../../cli/verifyBoot";
import { guestImageName, markerPrefix } from "../../guest";
import { Inventory, inventoryEndpoint } from "../../lab/inventory";
import { runCommand, SshEndpoint } from "../../remote/ssh";
import { novaInstaller as runNovaInstaller } from "./novaInstallerCli";

/** Errors of an API that dropped a connection or answered 5xx (uwsgi workers on a loaded two-core machine): worth one more attempt. */
const droppedConnection = /Unable to establish connection|Connection reset by peer|Connection aborted|RemoteDisconnected/;

export class LabCloud {
  /** Set once the lab is up (and again when it grows or shrinks). */
  inventory: Inventory | undefined;
  /** Everything pulumi and the installer printed, checked for passwords. */
  readonly printed: string[] = [];

  constructor(
    readonly stack: string,
    /** "[e2e]": the prefix of the story's own log lines. */
    private readonly label: string,
  ) {}

  log(line: string): void {
    console.log(`${this.label} ${line}`);
  }

  endpoint = (name: string): SshEndpoint => {
    if (this.inventory === undefined) throw new Error("the lab is not up yet");
    return inventoryEndpoint(this.inventory, name);
  };

  /** Runs a command on a lab host; fails the test with its output when it exits non-zero. */
  sh = async (host: string, command: string): Promise<string> => {
    const result = await runCommand(this.endpoint(host), command);
    if (result.exitCode !== 0) throw new Error(`${host}: ${command}\nexit ${result.exitCode}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };

  /** The openstack client as admin on the controller, with the credentials file the installer wrote; a dropped connection is retried, twice. */
  openstack = async (args: string): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sh("controller", `. /root/admin-openrc && openstack ${args}`);
      } catch (error) {
        if (attempt === 3 || !droppedConnection.test(String(error))) throw error;
      }
    }
  };

  /** Deletes a server; "no such server" on a retry means the dropped attempt did delete it. */
  deleteServer = async (name: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sh("controller", `. /root/admin-openrc && openstack server delete --wait ${name}`);
        return;
      } catch (error) {
        if (attempt > 1 && /No server with a name or ID/.test(String(error))) return;
        if (attempt === 3 || !droppedConnection.test(String(error))) throw error;
      }
    }
  };

  /**
   * Boots a server of the test guest and waits for it. An API that answered 5xx or dropped the
   * connection gets one more attempt, after the failed server is deleted; the first error is
   * printed, so such retries stay visible.
   */
  createServer = async (name: string, extra = ""): Promise<{ id: string; host: string; status: string }> => {
    const create = `--os-compute-api-version 2.37 server create --flavor m1.tiny --image ${guestImageName} --nic none --wait -f json ${extra} ${name}`;
    const created = async () => {
      const server = JSON.parse(await this.openstack(create)) as Record<string, string>;
      return { id: server["id"], host: server["OS-EXT-SRV-ATTR:host"], status: server["status"] };
    };
    try {
      return await created();
    } catch (error) {
      // "Error creating server": it went to ERROR, for example when the build reached a
      // nova-compute still starting after a restart (its start sets BUILDING instances to ERROR).
      if (!/HTTP 5\d\d|Unexpected API Error|Error creating server/.test(String(error)) && !droppedConnection.test(String(error))) throw error;
      const ids = (await this.openstack(`server list --all-projects --name ${name} -f value -c ID`)).trim().split("\n").filter(Boolean);
      const faults = await Promise.all(ids.map((id) => this.openstack(`server show ${id} -f value -c fault`).catch(() => "?")));
      this.log(
        `server create failed, once more after cleaning up: ${String(error).split("\n").slice(2, 4).join(" ")}; fault: ${faults.join(" ").trim()}`,
      );
      for (const id of ids) await this.deleteServer(id);
      return created();
    }
  };

  /** Waits (bounded) until the server has `status`; fails with its last status and fault. */
  waitForStatus = async (id: string, status: string, seconds = 300): Promise<void> => {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const current = (await this.openstack(`server show ${id} -f value -c status`)).trim();
      if (current === status) return;
      if (current === "ERROR" || Date.now() > deadline) {
        throw new Error(`server ${id} is ${current}, not ${status}: ${await this.openstack(`server show ${id} -f value -c fault`)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  };

  /** The guest's libvirt domain and QEMU process on its compute (cli/verifyBoot.ts reads them as verify does). */
  guestRuntime = async (host: string, id: string) => parseGuestRuntime(await this.sh(host, guestRuntimeScript(id)));

  /**
   * Waits (bounded) until the guest's console log, as the API returns it, holds the marker only
   * this booted instance can write (its own UUID, from SMBIOS). QEMU truncates the log at each
   * start (libvirt `append='off'`), so after a start the marker is that start's.
   */
  waitForMarker = async (id: string, seconds = 300): Promise<string> => {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const log = await this.openstack(`console log show ${id}`);
      const line = log.split("\n").find((text) => text.includes(`${markerPrefix} uuid=${id}`));
      if (line !== undefined) return line.trim();
      if (Date.now() > deadline) throw new Error(`no marker of ${id} in its console log after ${seconds} s; its end:\n${log.slice(-600)}`);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  };

  pulumi = async (args: string[]): Promise<PulumiRun & { seconds: number }> => {
    const started = Date.now();
    const run = await runPulumi([...args, "--stack", this.stack, "--non-interactive", "--color", "never"]);
    this.printed.push(run.stdout, run.stderr);
    return { ...run, seconds: (Date.now() - started) / 1000 };
  };

  novaInstaller = async (args: string[]) => {
    const run = await runNovaInstaller(args);
    this.printed.push(run.stdout, run.stderr);
    return run;
  };

  /** `pulumi up`, logged with its duration; the caller checks the exit code (a failed up is data too). */
  up = async (label: string): Promise<PulumiRun & { seconds: number }> => {
    const run = await this.pulumi(["up", "--yes", "--skip-preview"]);
    this.log(`${label}: pulumi up ${run.exitCode === 0 ? "ok" : "FAILED"} in ${run.seconds.toFixed(1)} s`);
    return run;
  };

  /** Runs the install guide's verification until it passes, for a bounded time (services start after a reboot). */
  verifyWithin = async (seconds: number, extra: readonly string[] = []): Promise<string> => {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const verify = await this.novaInstaller(["verify", "--stack", this.stack, ...extra]);
      if (verify.exitCode === 0 || Date.now() > deadline) return verify.stdout + verify.stderr;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  };
}
