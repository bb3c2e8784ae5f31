/**
 * Drift: a file read back and compared setting by setting (secrets never shown), the check
 * scripts run by bash against stand-in `systemctl` and `mysql` commands, a host's checks batched
 * into one script, the provider's read, diff and repair against a loopback SSH server that runs
 * bash on this machine, and the `drift` command's reports.
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkedSteps, driftMarkdown, driftText, StepDrift } from "../../cli/drift";
import { batchScript, FileCheck, fileDrift, fileProbeScript, scriptDrift, splitBatch } from "../../remote/drift";
import { readDrift, RemoteScriptOutputs, scriptProvider } from "../../remote/scriptProvider";
import { closeAllConnections } from "../../remote/ssh";
import {
  cellMappingsCheckScript,
  flavorsCheckScript,
  grantsCheckScript,
  hostMappingsCheckScript,
  packagesCheckScript,
  unitsCheckScript,
} from "../../steps/checks";
import { testKeyPair } from "../support/sshKeys";
import { LoopbackSshServer, startSshServer } from "../support/sshServer";

/** A password with the characters that break quoting, as the lab generates them. */
const hostile = `p'a"s$s\`w\\o;r|d&<>%!`;
const novaConf = `[DEFAULT]\nmy_ip = 10.0.0.31\ntransport_url = rabbit://openstack:${encodeURIComponent(hostile)}@controller:5672/\n\n[keystone_authtoken]\npassword = ${hostile}\n`;
const check: FileCheck = { kind: "file", path: "/etc/nova/nova.conf", owner: "root", group: "nova", mode: "0640" };

/** What fileProbeScript prints for a file. */
function probe(content: string, attributes = "root nova 640"): string {
  return `${attributes}\n${Buffer.from(content).toString("base64")}\n`;
}

function bash(script: string, stdin = ""): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("/bin/bash", ["-c", script], { input: stdin, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("a file read back", () => {
  it("matches when present with its owner, mode and content", () => {
    expect(fileDrift(check, novaConf, probe(novaConf))).toEqual([]);
  });

  it("reports it missing, or its owner and mode", () => {
    expect(fileDrift(check, novaConf, "missing\n")).toEqual([{ object: "/etc/nova/nova.conf", expected: "present", found: "missing" }]);
    expect(fileDrift(check, novaConf, probe(novaConf, "root root 644"))).toEqual([
      { object: "/etc/nova/nova.conf owner", expected: "root:nova", found: "root:root" },
      { object: "/etc/nova/nova.conf mode", expected: "0640", found: "0644" },
    ]);
  });

  it("reports each edited setting with both values, an operator's addition too", () => {
    const edited = novaConf.replace("my_ip = 10.0.0.31", "my_ip = 10.9.9.9\ncpu_allocation_ratio = 8.0");
    expect(fileDrift(check, novaConf, probe(edited))).toEqual([
      { object: "/etc/nova/nova.conf [DEFAULT] my_ip", expected: "10.0.0.31", found: "10.9.9.9" },
      { object: "/etc/nova/nova.conf [DEFAULT] cpu_allocation_ratio", expected: "(absent)", found: "8.0" },
    ]);
  });

  it("reports a changed secret without either value, and a setting the operator marked secret likewise", () => {
    const edited = novaConf.replace(`password = ${hostile}`, "password = guessed").replace("my_ip = 10.0.0.31", "my_ip = 10.0.0.32");
    const items = fileDrift({ ...check, secretSettings: ["my_ip"] }, novaConf, probe(edited));
    expect(items).toEqual([
      { object: "/etc/nova/nova.conf [DEFAULT] my_ip", expected: "[secret]", found: "[secret] changed" },
      { object: "/etc/nova/nova.conf [keystone_authtoken] password", expected: "[secret]", found: "[secret] changed" },
    ]);
    const shown = JSON.stringify(items);
    for (const value of [hostile, encodeURIComponent(hostile), "guessed", "10.0.0.3"]) expect(shown).not.toContain(value);
  });

  it("reports an edit outside the settings (a comment) without showing the content", () => {
    expect(fileDrift(check, novaConf, probe(`# edited by hand\n${novaConf}`))).toEqual([
      { object: "/etc/nova/nova.conf content", expected: "as written", found: "edited outside its settings (comments, layout)" },
    ]);
  });

  it("is read by a probe that prints presence, owner, group, mode and content", () => {
    const directory = mkdtempSync(join(tmpdir(), "drift-probe-"));
    try {
      const path = join(directory, "nova.conf");
      writeFileSync(path, novaConf);
      chmodSync(path, 0o640);
      const user = bash("id -un").stdout.trim();
      const group = bash("id -gn").stdout.trim();
      const local: FileCheck = { ...check, path, owner: user, group };
      expect(fileDrift(local, novaConf, bash(fileProbeScript(local)).stdout)).toEqual([]);
      expect(fileDrift(local, novaConf, bash(fileProbeScript({ ...local, path: `${path}.absent` })).stdout)).toEqual([
        { object: path, expected: "present", found: "missing" },
      ]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("check scripts", () => {
  /** Runs a check with stand-ins for systemctl and mysql defined first. */
  function runCheck(script: string, standIns: string): ReturnType<typeof scriptDrift> {
    const result = bash(`set -euo pipefail\n${standIns}\n${script}`);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return scriptDrift(result.stdout);
  }

  it("finds a unit stopped and one disabled, and nothing when all run", () => {
    const systemctl = (stopped: string, disabled: string) =>
      `systemctl() { case "$1 $2" in "is-active ${stopped}") echo inactive; return 3;; "is-enabled ${disabled}") echo disabled; return 1;; is-active*) echo active;; *) echo enabled;; esac; }`;
    expect(runCheck(unitsCheckScript(["nova-api", "nova-scheduler", "nova-conductor"]), systemctl("nova-scheduler", "nova-conductor"))).toEqual([
      { object: "unit nova-scheduler", expected: "active", found: "inactive" },
      { object: "unit nova-conductor boot", expected: "enabled", found: "disabled" },
    ]);
    expect(runCheck(unitsCheckScript(["nova-api"]), systemctl("none", "none"))).toEqual([]);
  });

  it("finds a package removed, with dpkg and with rpm", () => {
    const dpkg = `dpkg-query() { [ "$3" = nova-api ] && { echo "deinstall ok config-files"; return 0; }; echo "install ok installed"; }`;
    expect(runCheck(packagesCheckScript("apt-get", ["nova-api", "nova-scheduler"]), dpkg)).toEqual([
      { object: "package nova-api", expected: "installed", found: "missing" },
    ]);
    const rpm = `rpm() { [ "$3" != openstack-nova-api ]; }`;
    expect(runCheck(packagesCheckScript("dnf", ["openstack-nova-api", "python3-nova"]), rpm)).toEqual([
      { object: "package openstack-nova-api", expected: "installed", found: "missing" },
    ]);
  });

  it("finds a missing grant, database, flavor, cell mapping and host mapping in what the databases hold", () => {
    const mysql = `mysql() { case "$*" in
      *"SHOW DATABASES"*) printf 'nova\\nnova_api\\n';;
      *mysql.db*) printf 'nova@localhost nova\\nnova@%% nova\\nnova@localhost nova_api\\n';;
      *flavors*) printf 'm1.small\\n';;
      *cell_mappings*) printf 'cell0\\n';;
      *host_mappings*) printf 'compute1\\n';;
    esac; }`;
    const grants = [
      { database: "nova", user: "nova" },
      { database: "nova_api", user: "nova" },
      { database: "nova_cell0", user: "nova" },
    ];
    expect(runCheck(grantsCheckScript(grants), mysql)).toEqual([
      { object: "grant on nova_api.* to 'nova'@'%'", expected: "present", found: "missing" },
      { object: "database nova_cell0", expected: "present", found: "missing" },
      { object: "grant on nova_cell0.* to 'nova'@'localhost'", expected: "present", found: "missing" },
      { object: "grant on nova_cell0.* to 'nova'@'%'", expected: "present", found: "missing" },
    ]);
    expect(runCheck(flavorsCheckScript(["m1.tiny", "m1.small"]), mysql)).toEqual([
      { object: "flavor m1.tiny", expected: "present", found: "missing" },
    ]);
    expect(runCheck(cellMappingsCheckScript(), mysql)).toEqual([{ object: "cell mapping cell1", expected: "present", found: "missing" }]);
    expect(runCheck(hostMappingsCheckScript(["compute1", "compute2"]), mysql)).toEqual([
      { object: "host mapping compute2", expected: "present", found: "missing" },
    ]);
  });
});

describe("a host's checks in one script", () => {
  it("runs each in its own subshell with its own variables, and reports each one's output and exit code", () => {
    const bodies = ["SECRET='one'\necho \"first $SECRET\"", "SECRET='two'\necho \"second $SECRET\"; echo oops >&2; exit 4", "printf 'a\\tb\\tc\\n'"];
    const { script, nonce } = batchScript(bodies);
    const result = bash(script);
    expect(result.status).toBe(0);
    expect(splitBatch(result.stdout, nonce, 3)).toEqual([
      { exitCode: 0, stdout: "first one\n", stderr: "" },
      { exitCode: 4, stdout: "second two\n", stderr: "oops\n" },
      { exitCode: 0, stdout: "a\tb\tc\n", stderr: "" },
    ]);
  });

  it("counts a check whose part is missing from the output as failed", () => {
    expect(splitBatch("", "abc", 1)).toEqual([{ exitCode: -1, stdout: "", stderr: "" }]);
  });
});

describe("RemoteScript provider: drift", () => {
  const hostKey = testKeyPair("ed25519", "root@drift");
  const clientKey = testKeyPair("ed25519", "operator");
  const workDirectory = mkdtempSync(join(tmpdir(), "script-provider-drift-"));
  const privateKeyPath = join(workDirectory, "id_ed25519");
  const path = join(workDirectory, "nova.conf");
  const marker = join(workDirectory, "repaired");
  let server: LoopbackSshServer;
  let step: RemoteScriptOutputs;

  beforeAll(async () => {
    writeFileSync(privateKeyPath, clientKey.privateKey, { mode: 0o600 });
    server = await startSshServer(hostKey.privateKey, clientKey.publicKey, { runBash: true });
    const owner = bash("id -un").stdout.trim();
    const group = bash("id -gn").stdout.trim();
    writeFileSync(path, novaConf, { mode: 0o640 });
    chmodSync(path, 0o640);
    step = {
      connection: { hostName: "compute1", address: "127.0.0.1", port: server.port, privateKeyPath, hostPublicKey: hostKey.publicKey },
      description: `write ${path}`,
      create: `printf '%s' "$FILE_CONTENT" >${path}`,
      update: `printf '%s' "$FILE_CONTENT" >${path}`,
      repair: `printf '%s' "$FILE_CONTENT" >${path}; chmod 0640 ${path}; echo repaired >${marker}`,
      secrets: { FILE_CONTENT: novaConf },
      check: { kind: "file", path, owner, group, mode: "0640" },
      stdout: "",
      stderr: "",
      drift: [],
    };
  });

  afterAll(async () => {
    await closeAllConnections();
    server.close();
    rmSync(workDirectory, { recursive: true, force: true });
  });

  it("reads a host's steps back in one SSH command, records what differs, shows it as a change, and repairs it", async () => {
    writeFileSync(path, novaConf.replace("my_ip = 10.0.0.31", "my_ip = 10.9.9.9"));
    chmodSync(path, 0o644);
    const unitsStep: RemoteScriptOutputs = {
      ...step,
      description: "start units",
      secrets: {},
      check: { kind: "script", script: "printf '%s\\t%s\\t%s\\n' 'unit nova-compute' active inactive" },
    };
    const commandsBefore = server.log.commands.length;
    const [fileRead, unitsRead] = await Promise.all([scriptProvider.read!("f", step), scriptProvider.read!("u", unitsStep)]);
    expect(server.log.commands.length - commandsBefore).toBe(1);
    const refreshed = fileRead.props as RemoteScriptOutputs;
    expect(refreshed.drift).toEqual([
      { object: `${path} mode`, expected: "0640", found: "0644" },
      { object: `${path} [DEFAULT] my_ip`, expected: "10.0.0.31", found: "10.9.9.9" },
    ]);
    expect((unitsRead.props as RemoteScriptOutputs).drift).toEqual([{ object: "unit nova-compute", expected: "active", found: "inactive" }]);
    // Nothing a refresh records holds a secret.
    expect(JSON.stringify(refreshed.drift)).not.toContain(hostile);

    const { stdout: _stdout, stderr: _stderr, drift: _drift, ...inputs } = step;
    expect((await scriptProvider.diff!("f", refreshed, inputs)).changes).toBe(true);
    const repaired = (await scriptProvider.update!("f", refreshed, inputs)).outs as RemoteScriptOutputs;
    expect(repaired.drift).toEqual([]);
    expect(readFileSync(marker, "utf8")).toBe("repaired\n");
    expect(readFileSync(path, "utf8")).toBe(novaConf);
    expect(await readDrift(repaired)).toEqual([]);
    expect((await scriptProvider.diff!("f", repaired, inputs)).changes).toBe(false);
  });

  it("fails a read whose check cannot run, naming the host and step, never a secret", async () => {
    const failing: RemoteScriptOutputs = {
      ...step,
      description: "register in Keystone",
      check: { kind: "script", script: 'echo "cannot reach Keystone with $FILE_CONTENT" >&2; exit 1' },
    };
    await expect(scriptProvider.read!("k", failing)).rejects.toThrow(
      /compute1 \(127\.0\.0\.1\): "register in Keystone" \(read back\) failed with exit code 1:\n.*\[secret\]/s,
    );
    await expect(scriptProvider.read!("k", failing)).rejects.not.toThrow(hostile);
  });

  it("records a new check without running the step", async () => {
    const { check: _check, ...recordedWithout } = step;
    const { stdout: _stdout, stderr: _stderr, drift: _drift, ...inputs } = step;
    expect((await scriptProvider.diff!("f", recordedWithout, inputs)).changes).toBe(true);
    const commandsBefore = server.log.commands.length;
    const outs = (await scriptProvider.update!("f", recordedWithout, inputs)).outs as RemoteScriptOutputs;
    expect(server.log.commands.length).toBe(commandsBefore);
    expect(outs.check).toEqual(step.check);
  });
});

describe("the drift command's reports", () => {
  const drift: StepDrift[] = [
    {
      host: "compute1",
      step: "compute1-compute-nova-conf",
      description: "write /etc/nova/nova.conf",
      items: [{ object: "/etc/nova/nova.conf [DEFAULT] my_ip", expected: "10.0.0.31", found: "10.9.9.9" }],
    },
    {
      host: "controller",
      step: "controller-nova-services",
      description: "start nova-api nova-scheduler",
      items: [{ object: "unit nova-scheduler", expected: "active", found: "inactive" }],
    },
  ];

  it("prints a table per host and says how to repair", () => {
    const text = driftText("prod", drift);
    expect(text).toContain("stack prod: 2 differences on 2 hosts");
    expect(text).toMatch(
      /compute1\nWHAT +EXPECTED +FOUND +STEP\n\/etc\/nova\/nova\.conf \[DEFAULT\] my_ip +10\.0\.0\.31 +10\.9\.9\.9 +compute1-compute-nova-conf\n/,
    );
    expect(text).toContain("pulumi up --refresh");
    expect(driftText("prod", [])).toBe("stack prod: no drift: every host matches the last deploy\n");
  });

  it("writes Markdown for a pull request", () => {
    expect(driftMarkdown("prod", drift)).toContain("| controller | unit nova-scheduler | active | inactive | controller-nova-services |");
    expect(driftMarkdown("prod", [])).toContain("No drift");
  });

  it("takes the steps that read something back from the exported state, secrets revealed", () => {
    const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(value) });
    const exported = {
      deployment: {
        resources: [
          {
            urn: "urn:pulumi:prod::nova-installer::nova-installer:compute:ComputeNode$pulumi-nodejs:dynamic/nova-installer:RemoteScript::compute1-compute-nova-conf",
            type: "pulumi-nodejs:dynamic/nova-installer:RemoteScript",
            outputs: {
              connection: { hostName: "compute1" },
              description: "write /etc/nova/nova.conf",
              check,
              secrets: secret({ FILE_CONTENT: novaConf }),
            },
          },
          {
            urn: "urn:pulumi:prod::nova-installer::pulumi-nodejs:dynamic/nova-installer:RemoteScript::compute1-facts-probe",
            type: "pulumi-nodejs:dynamic/nova-installer:RemoteScript",
            outputs: { connection: { hostName: "compute1" }, description: "read host facts" },
          },
        ],
      },
    };
    const steps = checkedSteps(exported);
    expect(steps.map((entry) => entry.properties.secrets)).toEqual([{ FILE_CONTENT: novaConf }]);
    const encrypted = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" };
    const locked = {
      deployment: {
        resources: [{ ...exported.deployment.resources[0], outputs: { ...exported.deployment.resources[0].outputs, secrets: encrypted } }],
      },
    };
    expect(() => checkedSteps(locked)).toThrow(/cannot be read: set the stack's passphrase/);
  });
});
