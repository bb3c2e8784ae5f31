/**
 * The benchmark: the installer against the install guide run by hand (bench/guide-baseline.sh)
 * and against the floor (package installation and database syncs alone), on fresh lab hosts,
 * in one run, side by side. Writes bench/RESULTS.md and bench/results.json.
 *
 *   bash bench/run.sh [--runs 3] [--quick]
 *
 * Full mode: every figure from `runs` runs (default 3), labs of 2 and 4 computes, hosts bare.
 * Quick mode (what CI runs): one run of each on labs of 1 and 2 computes whose hosts start from
 * the "packages installed" layers (lab/installedLayer.ts), so package installation is a no-op
 * in every figure: proves the script works end to end; its figures are not results.
 * At each lab size, `pulumi refresh` and `nova-installer drift` alternate on the converged lab
 * (5 runs each, 2 in quick mode).
 * Last, on the lab left converged, a real guest's boot through libvirt beside the fake driver's
 * create (5 of each, 2 in quick mode).
 * Needs root (the lab) and the bootstrapped engine (bin/pulumi).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { pulumiOrThrow, runPulumi } from "../cli/pulumiCli";
import { generatePassword } from "../cli/secrets";
import { readStackConfig } from "../cli/stackConfigReader";
import { bootGuest, createServerToActive } from "../cli/verifyBoot";
import type { ComputeDriver } from "../config/types";
import { ensureGuestImage, guestImageCacheDir } from "../guest";
import type { LabSpec } from "../lab/config";
import type { Inventory } from "../lab/inventory";
import type { HostStart } from "../lab/installedLayer";
import { inventoryEndpoint } from "../lab/inventory";
import { LabContext, labContext, labDown, labUp } from "../lab/lab";
import { installedServices, serviceCatalog, serviceIds, serviceRecord } from "../catalog/services";
import { LabStackOptions, writeLabStack } from "../lab/stack";
import { computeDriverClass, rolePackages } from "../profiles/profiles";
import { defaultLabProfile, labProfileFor } from "../lab/image-recipe";
import { frameScript } from "../remote/script";
import { closeAllConnections, runCommand, SshEndpoint } from "../remote/ssh";
import { passwordNames } from "../config/passwords";
import { databaseGrantsScript, passwordVariable } from "../steps/mariadb";
import { installPackagesScript } from "../steps/packages";
import { parseProcessCpu, readProcesses, readStalls, ticksPerSecond, topConsumers } from "./cpu";
import { readCpuTimes, untilQuiet } from "./quiet";
import { buildReport, GuestBootSamples, Measurement, renderMarkdown, Target } from "./report";

/** The repository: the operator CLI (bin/nova-installer) runs from here. */
const projectRoot = path.resolve(__dirname, "..");

const spec: LabSpec = { name: "bench", bridge: "nova-bench0", subnet: "10.245.0.0/24" };
/** The lab's default profile: what an operator installs today (the guide baseline uses its package names too). */
const profile = labProfileFor(defaultLabProfile);

/**
 * The compute driver of every deployment the figures compare: the installer's stacks and the
 * guide baseline (its BENCH_COMPUTE_DRIVER) get this one value. The fake driver starts no
 * libvirtd and boots nothing, so the figures time the installation, on computes many enough for
 * two cores. The guest boot figure switches its lab to libvirt.LibvirtDriver and back itself.
 */
const computeDriver: ComputeDriver = "fake.FakeDriver";

interface Options {
  readonly runs: number;
  readonly quick: boolean;
  /** Computes of the converge, baseline and floor labs, and of the first scale-out lab. */
  readonly computes: number;
  /** Computes of the second scale-out lab. */
  readonly moreComputes: number;
  /** Only the adds and their floors, on a lab converged once first (its converge is not a figure). */
  readonly addsOnly: boolean;
  /** Only refresh and drift, on labs converged once first (hosts with their packages installed). */
  readonly readBacksOnly: boolean;
  /** Guests booted through libvirt, and servers created with the fake driver, for the guest boot figure. */
  readonly guestBoots: number;
  /** Runs of `pulumi refresh` and of `nova-installer drift` at each lab size. */
  readonly readBackRuns: number;
}

/** The guest boot figure's samples as they are taken. */
type GuestBootRecord = {
  -readonly [key in keyof GuestBootSamples]: GuestBootSamples[key] extends readonly (infer T)[] ? T[] : GuestBootSamples[key];
};

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * CPU seconds so far, in clock ticks (USER_HZ, 100 on Linux): of the whole machine (busy, lab
 * hosts included: they share its kernel), and of this process's finished children (a `pulumi`
 * run counts with the language host, the program and the providers it waited for).
 */
function cpuTicks(): { machine: number; children: number } {
  return {
    machine: readCpuTimes().busy,
    children: parseProcessCpu(fs.readFileSync("/proc/self/stat", "utf8")).children,
  };
}

/** Guide-style passwords (letters and digits): the hand-run guide pastes them verbatim, so both tools get the same. */
const passwords: Record<string, string> = Object.fromEntries(passwordNames.map((name) => [name, generatePassword(name, 24, false)]));

class Bench {
  readonly stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "nova-bench-"));
  readonly context: LabContext;
  readonly stack = `bench-${process.pid}`;
  inventory!: Inventory;
  readonly cpuLog: string;

  /**
   * @param hostStart "installed" in quick mode: hosts start with their packages installed.
   * @param logDir where each timed `pulumi up` and preview leaves its output (each step's
   *   duration is in it), and each added compute its journal and nova-compute log: a slow
   *   sample can be explained after the run.
   */
  constructor(
    hostStart: HostStart,
    readonly logDir: string,
  ) {
    this.cpuLog = path.join(logDir, "cpu.tsv");
    fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(
      this.cpuLog,
      "label\tseconds\tmachine_cpu_seconds\tpulumi_cpu_seconds\tcpu_wait_seconds\tdisk_wait_seconds\tdisk_stall_seconds\n",
    );
    process.env.NOVA_INSTALLER_STATE = this.stateDir;
    this.context = labContext({ spec, stateDir: path.join(this.stateDir, "lab"), write: (line) => log(line.trim()), hostStart, profile });
  }

  endpoint(name: string): SshEndpoint {
    return inventoryEndpoint(this.inventory, name);
  }

  async run(host: string, body: string, secrets: Record<string, string> = {}): Promise<void> {
    // The failing command is named: these scripts are the benchmark's own, not the installer's steps.
    const named = `set -E\ntrap 'echo "failed (exit $?): $BASH_COMMAND" >&2' ERR\n${body}`;
    const result = await runCommand(this.endpoint(host), "/bin/bash -s", { stdin: frameScript(named, secrets), timeoutMs: 3_600_000 });
    if (result.exitCode !== 0) throw new Error(`${host}: exit ${result.exitCode}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }

  /** A lab of fresh hosts (a previous lab and stack are dropped: nothing is reused). */
  async freshLab(computes: number): Promise<void> {
    await closeAllConnections();
    await labDown(this.context);
    await runPulumi(["stack", "rm", "--yes", "--force", "--stack", this.stack]);
    this.inventory = await labUp(this.context, computes);
    await this.settled();
    await this.checkHostStart();
  }

  /**
   * The services a measurement uses at once have finished starting (`lab up` returns once sshd
   * answers): hosts from the installed layers start their services at boot, and a measurement
   * must not race them (RabbitMQ still starting fails the guide's `rabbitmqctl add_user`). Only
   * those: the packaged APIs, started with their packaged workers, take minutes to settle on
   * two cores, and every measurement restarts them anyway. Bounded.
   */
  async settled(): Promise<void> {
    const units = installedServices("controller", true)
      .filter((id) => serviceCatalog[id].part === "infrastructure")
      .flatMap((id) => profile.services[id].units)
      .join(" ");
    const wait = `for unit in ${units}; do systemctl is-enabled -q "$unit" 2>/dev/null || continue; until systemctl is-active -q "$unit" || systemctl is-failed -q "$unit"; do sleep 1; done; done`;
    await Promise.all(
      this.inventory.hosts.map((host) => runCommand(this.endpoint(host.name), `timeout 300 bash -c '${wait}' || true`, { timeoutMs: 330_000 })),
    );
  }

  /** Each host is as `hostStart` says: its role's packages installed, or not one of them. */
  async checkHostStart(): Promise<void> {
    const installed = this.context.hostStart === "installed";
    await Promise.all(
      this.inventory.hosts.map(async (host) => {
        const packages = rolePackages(profile, host.role);
        const query = `dpkg-query -W -f '\${db:Status-Status}\\n' ${packages.join(" ")} 2>/dev/null | grep -c '^installed$' || true`;
        const result = await runCommand(this.endpoint(host.name), query, { timeoutMs: 60_000 });
        const count = Number(result.stdout.trim());
        if (count !== (installed ? packages.length : 0)) {
          throw new Error(
            `${host.name}: ${count} of its ${packages.length} packages installed, expected ${installed ? "all" : "none"} (hosts start ${this.context.hostStart})`,
          );
        }
      }),
    );
  }

  /**
   * Waits (bounded) until the machine is quiet: hosts just booted, services just started or
   * files still being written back on the same cores and disk would otherwise be timed with the
   * measurement that follows. The lab's own steady load (a converged controller and its
   * computes, idle) stays under the threshold.
   */
  async quiet(): Promise<void> {
    // What the previous measurement wrote (and the blocks of a host it removed) reaches the disk
    // now, not during the next measurement.
    const synced = await timed(() => new Promise<void>((resolve, reject) => execFile("sync", (error) => (error ? reject(error) : resolve()))));
    log(`sync took ${synced.toFixed(1)} s`);
    const result = await untilQuiet({ atMostBusy: 0.2, windowSeconds: 5, timeoutSeconds: 240 });
    const busy = `${(result.busy * 100).toFixed(0)}% of the cores busy or waiting on the disk`;
    log(
      result.quiet
        ? `quiet after ${result.waitedSeconds.toFixed(0)} s (${busy})`
        : `still ${busy} after ${result.waitedSeconds.toFixed(0)} s; measuring anyway`,
    );
  }

  /**
   * Times `action` and records, in `${logDir}/cpu.tsv` and the log, the CPU time spent meanwhile
   * by the whole machine (lab hosts included) and by this process's children (a timed `pulumi`
   * run: the engine, the language host, the program and the providers), how long tasks waited for
   * a core or on the disk meanwhile (/proc/pressure), and in `${logDir}/${label}.top.tsv` the
   * processes that used the most: an add slower than its floor shows whether the engine's own
   * processes, or something else, took the cores from dpkg.
   */
  async measured(label: string, action: () => Promise<unknown>): Promise<number> {
    const [before, processesBefore, stallsBefore] = [cpuTicks(), readProcesses(), readStalls()];
    const seconds = await timed(action);
    const [after, processesAfter, stallsAfter] = [cpuTicks(), readProcesses(), readStalls()];
    const commandLine = (pid: number) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim().slice(0, 160);
      } catch {
        return "";
      }
    };
    const top = topConsumers(processesBefore, processesAfter, { byCpu: 15, byWrites: 5 }).map(
      (consumer) =>
        `${consumer.seconds.toFixed(1)}\t${consumer.writtenMiB.toFixed(1)}\t${consumer.pid}\t${consumer.name}\t${commandLine(consumer.pid)}`,
    );
    fs.writeFileSync(path.join(this.logDir, `${label}.top.tsv`), ["cpu_seconds\twritten_mib\tpid\tname\tcommand", ...top, ""].join("\n"));
    const [machine, children] = [after.machine - before.machine, after.children - before.children].map((ticks) => ticks / ticksPerSecond);
    // Seconds some task waited for a core, some waited on the disk, and all waited on the disk.
    const waits = [
      stallsAfter.cpu.some - stallsBefore.cpu.some,
      stallsAfter.io.some - stallsBefore.io.some,
      stallsAfter.io.full - stallsBefore.io.full,
    ].map((wait) => wait.toFixed(1));
    fs.appendFileSync(this.cpuLog, [label, seconds.toFixed(1), machine.toFixed(1), children.toFixed(1), ...waits].join("\t") + "\n");
    log(`${label}: ${seconds.toFixed(1)} s; CPU meanwhile: the machine ${machine.toFixed(1)} s, pulumi and its plugins ${children.toFixed(1)} s`);
    return seconds;
  }

  async writeStack(inventory: Inventory = this.inventory): Promise<void> {
    const select = await runPulumi(["stack", "select", this.stack]);
    if (select.exitCode !== 0) await pulumiOrThrow(["stack", "init", this.stack]);
    for (const [name, value] of Object.entries(passwords)) {
      await pulumiOrThrow(["config", "set", "--stack", this.stack, "--secret", "--path", "--raw", `passwords.${name}`], { stdin: value });
    }
    await writeLabStack(this.stack, inventory, this.stackOptions());
  }

  /** The settings the bench gives its stack: guide-style passwords and the baseline's compute driver, unless a figure says otherwise. */
  stackOptions(options: LabStackOptions = {}): LabStackOptions {
    return { hostilePasswords: false, computeDriver, profile, ...options };
  }

  /** `pulumi up`, its output kept as `${logDir}/${label}.log` whether it succeeds or not. */
  async up(label: string): Promise<void> {
    await this.pulumiLogged(label, ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack]);
  }

  async pulumiLogged(label: string, args: readonly string[]): Promise<void> {
    const run = await runPulumi(args);
    const logFile = path.join(this.logDir, `${label}.log`);
    fs.writeFileSync(logFile, `$ pulumi ${args.join(" ")}\n${run.stdout}${run.stderr}`);
    if (run.exitCode !== 0)
      throw new Error(`pulumi ${args[0]} failed (exit ${run.exitCode}); its output is in ${logFile}:\n${run.stderr || run.stdout.slice(-3000)}`);
  }

  /**
   * What the added compute logged since it booted (its whole journal: sshd's logins, systemd's
   * jobs, nova-compute), kept next to the add's output.
   */
  async keepComputeLog(label: string, name: string): Promise<void> {
    const result = await runCommand(this.endpoint(name), "journalctl -b --no-pager -o short-precise; tail -n 400 /var/log/nova/nova-compute.log", {
      timeoutMs: 60_000,
    });
    fs.writeFileSync(path.join(this.logDir, `${label}.journal.log`), result.stdout + result.stderr);
  }

  /** 1. Cold converge from bare hosts with `pulumi up` (the stack written first, not timed). */
  async converge(computes: number, label: string): Promise<number> {
    await this.freshLab(computes);
    await this.writeStack();
    return this.measured(label, () => this.up(label));
  }

  /** 2. The same hosts converged by the install guide's steps, literally and sequentially. */
  async baseline(computes: number, label: string): Promise<number> {
    await this.freshLab(computes);
    const passwordsFile = path.join(this.stateDir, "guide-passwords.json");
    fs.writeFileSync(passwordsFile, JSON.stringify(passwords), { mode: 0o600 });
    const inventoryFile = path.join(this.context.stateDir, "inventory.json");
    return this.measured(
      label,
      () =>
        new Promise<void>((resolve, reject) =>
          execFile(
            "bash",
            [path.join(__dirname, "guide-baseline.sh"), inventoryFile],
            {
              env: { ...process.env, BENCH_PASSWORDS_FILE: passwordsFile, BENCH_COMPUTE_DRIVER: computeDriverClass(profile, computeDriver) },
              maxBuffer: 256 * 1024 * 1024,
            },
            (error, _stdout, stderr) => (error ? reject(new Error(`guide baseline failed: ${stderr.slice(-3000)}`)) : resolve()),
          ),
        ),
    );
  }

  /** 3. The floor: package installation on every host at once, then the database syncs. */
  async floor(computes: number, label: string): Promise<number> {
    await this.freshLab(computes);
    const computeNames = this.inventory.hosts.filter((host) => host.role === "compute").map((host) => host.name);
    return this.measured(label, () => Promise.all([this.controllerFloor(), ...computeNames.map((name) => this.computeFloor(name))]));
  }

  async computeFloor(name: string): Promise<void> {
    await this.run(name, installPackagesScript(profile.packageManager, rolePackages(profile, "compute"), { refreshIndex: false }));
  }

  async controllerFloor(): Promise<void> {
    await this.run("controller", installPackagesScript(profile.packageManager, rolePackages(profile, "controller"), { refreshIndex: false }));
    // Package installation leaves services stopped (steps/packages.ts); the syncs need the database server.
    await this.run("controller", `systemctl start ${profile.services.mariadb.units.join(" ")}`);
    const databases = serviceIds.flatMap((id) => {
      const database = serviceRecord(id).database;
      return database ? [database] : [];
    });
    const secrets = Object.fromEntries(databases.map((database) => [passwordVariable(database.user), passwords[database.password]]));
    // 127.0.0.1: the packaged MariaDB listens on loopback only (the installer opens it to the network).
    const url = (user: string, database: string) => `mysql+pymysql://${user}:$${passwordVariable(user)}@127.0.0.1/${database}`;
    // Only what the syncs read: each service's database URL (passwords are letters and digits).
    const settings: [string, string, string, string][] = [
      ["/etc/keystone/keystone.conf", "database", "connection", url("keystone", "keystone")],
      ["/etc/glance/glance-api.conf", "database", "connection", url("glance", "glance")],
      ["/etc/neutron/neutron.conf", "database", "connection", url("neutron", "neutron")],
      ["/etc/placement/placement.conf", "placement_database", "connection", url("placement", "placement")],
      ["/etc/nova/nova.conf", "api_database", "connection", url("nova", "nova_api")],
      ["/etc/nova/nova.conf", "database", "connection", url("nova", "nova")],
    ];
    const setOption = [
      "set_option() {",
      `  printf '%s' "$4" | python3 -c 'import configparser, sys
path, section, key = sys.argv[1:4]
config = configparser.RawConfigParser(strict=False, interpolation=None)
config.read(path)
if section != "DEFAULT" and not config.has_section(section): config.add_section(section)
config.set(section, key, sys.stdin.read())
with open(path, "w") as file: config.write(file)' "$1" "$2" "$3"`,
      "}",
    ].join("\n");
    await this.run(
      "controller",
      [
        databaseGrantsScript(databases.flatMap((access) => access.databases.map((database) => ({ database: database.name, user: access.user })))),
        setOption,
        ...settings.map(([file, section, key, value]) => `set_option ${file} ${section} ${key} "${value}"`),
        'su -s /bin/sh -c "keystone-manage db_sync" keystone',
        'su -s /bin/sh -c "glance-manage db_sync" glance',
        'su -s /bin/sh -c "neutron-db-manage --config-file /etc/neutron/neutron.conf upgrade head" neutron',
        'su -s /bin/sh -c "placement-manage db sync" placement',
        'su -s /bin/sh -c "nova-manage api_db sync" nova',
        'su -s /bin/sh -c "nova-manage cell_v2 map_cell0" nova',
        'su -s /bin/sh -c "nova-manage db sync" nova',
      ].join("\n"),
      secrets,
    );
  }

  /** 4. No-op `pulumi up` on the converged lab. */
  async noop(label: string): Promise<number> {
    await this.quiet();
    return this.measured(label, () => this.up(label));
  }

  /** 4b. `pulumi refresh` on the converged lab: every step reads back what it owns (one SSH batch per host). */
  async refresh(label: string): Promise<number> {
    await this.quiet();
    return this.measured(label, () => this.pulumiLogged(label, ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack]));
  }

  /** 4c. `nova-installer drift` on the converged lab: the same reads, nothing written; it must find none. */
  async drift(label: string): Promise<number> {
    await this.quiet();
    return this.measured(label, async () => {
      const run = await new Promise<{ code: number; output: string }>((resolve) =>
        execFile(
          path.join(projectRoot, "bin", "nova-installer"),
          ["drift", "--stack", this.stack],
          { cwd: projectRoot, env: process.env },
          (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        ),
      );
      const logFile = path.join(this.logDir, `${label}.log`);
      fs.writeFileSync(logFile, `$ nova-installer drift --stack ${this.stack}\n${run.output}`);
      if (run.code !== 0) throw new Error(`nova-installer drift exited ${run.code} on the converged lab; its output is in ${logFile}`);
    });
  }

  /** 5. `pulumi preview --diff` after a one-key change (reverted afterwards). */
  async previewAfterOneKey(runs: number): Promise<number[]> {
    await pulumiOrThrow(["config", "set", "--stack", this.stack, "--path", "configOverrides.novaController.DEFAULT.debug", "true"]);
    const samples: number[] = [];
    for (let run = 0; run < runs; run++) {
      await this.quiet();
      samples.push(
        await this.measured(`preview-${run + 1}`, () =>
          this.pulumiLogged(`preview-${run + 1}`, ["preview", "--diff", "--non-interactive", "--stack", this.stack]),
        ),
      );
    }
    await pulumiOrThrow(["config", "rm", "--stack", this.stack, "configOverrides"]);
    return samples;
  }

  /**
   * 6. Adding one compute to the converged lab of `computes` with `pulumi up`, on a fresh host,
   * side by side with its floor: a twin host from the same image, booted with it next to the same
   * lab (which the twin does not join), installs the same packages alone in the same seconds.
   * Identical work on this machine takes from 70 to 100 s from one minute to the next (bench/README):
   * only a floor measured in the same seconds as its add is that host's own. The added host is
   * removed again after (the stack forgets it, then the lab drops both).
   */
  async addOneCompute(computes: number, run: number): Promise<{ add: number; floor: number }> {
    const [name, twin] = [`compute${computes + 1}`, `compute${computes + 2}`];
    const [addLabel, floorLabel] = [`add-${computes}-${run}`, `host-floor-${computes}-${run}`];
    this.inventory = await labUp(this.context, computes + 2);
    const without = (...names: string[]): Inventory => ({
      ...this.inventory,
      hosts: this.inventory.hosts.filter((host) => !names.includes(host.name)),
    });
    await this.writeStack(without(twin));
    await this.quiet();
    let add = 0;
    let floor = 0;
    await this.measured(`pair-${computes}-${run}`, () =>
      Promise.all([
        timed(() => this.up(addLabel)).then((seconds) => (add = seconds)),
        timed(() => this.computeFloor(twin)).then((seconds) => (floor = seconds)),
      ]),
    );
    log(`${addLabel}: ${add.toFixed(1)} s; ${floorLabel} (${twin}, alongside): ${floor.toFixed(1)} s; ratio ${(add / floor).toFixed(2)}`);
    await this.keepComputeLog(addLabel, name);
    await writeLabStack(this.stack, without(name, twin), this.stackOptions());
    await this.up(`${addLabel}-removed`);
    await closeAllConnections();
    this.inventory = await labUp(this.context, computes);
    return { add, floor };
  }

  async growTo(computes: number): Promise<void> {
    this.inventory = await labUp(this.context, computes);
    await this.writeStack();
    await this.up(`grow-to-${computes}`);
  }

  /**
   * 7. A real guest's boot beside the fake driver's create, on the converged lab, one server at
   * a time on its first compute. The stack switches to libvirt.LibvirtDriver with the test guest
   * in Glance (`pulumi up`, not timed): `boots` guests, each created, timed to the marker on its
   * serial console and deleted (cli/verifyBoot.ts). Then back to the fake driver (`pulumi up`):
   * `boots` servers of the same image and flavor, each timed to ACTIVE and deleted. Same lab,
   * same compute, same client path: only the driver differs. Each sample goes into `taken` as it
   * is measured, so a failure keeps those before it.
   */
  async guestBoot(boots: number, taken: GuestBootRecord): Promise<void> {
    const started = process.hrtime.bigint();
    // Reused from the cache (built once, about half a minute).
    const guestImage = await ensureGuestImage(guestImageCacheDir(process.env), (line) => log(line.trim()));
    await writeLabStack(this.stack, this.inventory, this.stackOptions({ computeDriver: "libvirt.LibvirtDriver", guestImageDir: guestImage.dir }));
    await this.up("guest-libvirt");
    const config = await readStackConfig(this.stack, { passwords: "stand-in" });
    const compute = config.computes[0];
    taken.compute = compute.name;
    await this.quiet();
    for (let run = 1; run <= boots; run++) {
      const boot = await bootGuest(config, compute, `bench-${process.pid}-${run}`);
      taken.libvirtMarker.push(boot.markerSeconds);
      taken.libvirtActive.push(boot.activeSeconds);
      taken.virtTypes.push(boot.domainType);
      taken.accelerators.push(boot.accelerator);
      log(
        `guest-boot-${run} on ${compute.name}: marker ${boot.markerSeconds.toFixed(1)} s, ACTIVE ${boot.activeSeconds.toFixed(1)} s (virt_type ${boot.domainType}, ${boot.accelerator})`,
      );
    }
    await writeLabStack(this.stack, this.inventory, this.stackOptions({ computeDriver: "fake.FakeDriver" }));
    await this.up("guest-fake");
    await this.quiet();
    for (let run = 1; run <= boots; run++) {
      const { activeSeconds } = await createServerToActive(config, compute, `bench-${process.pid}-fake-${run}`);
      taken.fakeActive.push(activeSeconds);
      log(`fake-create-${run} on ${compute.name}: ACTIVE ${activeSeconds.toFixed(1)} s`);
    }
    taken.wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    log(`guest boot figure: ${taken.wallSeconds.toFixed(0)} s, both pulumi up included`);
  }

  async dispose(): Promise<void> {
    await closeAllConnections();
    await labDown(this.context);
    await runPulumi(["stack", "rm", "--yes", "--force", "--stack", this.stack]);
    fs.rmSync(path.join(__dirname, "..", "stacks", `Pulumi.${this.stack}.yaml`), { force: true });
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** What a run measured, and why it stopped early when it did (what it measured before is kept). */
async function measure(options: Options, logDir: string): Promise<{ measurements: Measurement[]; guestBoot?: GuestBootSamples; stoppedBy?: string }> {
  const bench = new Bench(options.quick || options.readBacksOnly ? "installed" : "bare", logDir);
  const { runs, computes, moreComputes } = options;
  const samples = (id: string) => (all[id] ??= []);
  const all: Record<string, number[]> = {};
  let stoppedBy: string | undefined;
  const guestBoot: GuestBootRecord = { compute: "", libvirtMarker: [], libvirtActive: [], fakeActive: [], virtTypes: [], accelerators: [] };
  // Each value was logged as it was measured.
  const record = (id: string, value: number) => samples(id).push(value);
  // Each add next to its own host's floor, in the same seconds: the pair's ratio is the figure.
  const addsWithTheirFloors = async (count: number) => {
    for (let run = 1; run <= runs; run++) {
      const { add, floor } = await bench.addOneCompute(count, run);
      record(`add-${count}`, add);
      record(`host-floor-${count}`, floor);
    }
  };
  // Refresh and drift, alternating, on the converged lab of `count` computes.
  const readBacks = async (count: number) => {
    for (let run = 1; run <= options.readBackRuns; run++) {
      record(`refresh-${count}`, await bench.refresh(`refresh-${count}-${run}`));
      record(`drift-${count}`, await bench.drift(`drift-${count}-${run}`));
    }
  };
  try {
    if (options.readBacksOnly) {
      log(`read-backs only: converging a lab of 1 controller + ${computes} computes first (not a figure)`);
      await bench.converge(computes, "converge-setup");
      await readBacks(computes);
      await bench.growTo(moreComputes);
      await readBacks(moreComputes);
    } else if (options.addsOnly) {
      log(`adds only: converging a lab of 1 controller + ${computes} computes first (not a figure)`);
      await bench.converge(computes, "converge-setup");
      await addsWithTheirFloors(computes);
      await bench.growTo(moreComputes);
      await addsWithTheirFloors(moreComputes);
    } else {
      for (let run = 1; run <= runs; run++) {
        log(`run ${run}/${runs}: guide baseline, floor, installer, each on fresh hosts (1 controller + ${computes})`);
        record("baseline", await bench.baseline(computes, `baseline-${run}`));
        record("floor", await bench.floor(computes, `floor-${run}`));
        // Last, so the lab stays converged for what follows.
        record("converge", await bench.converge(computes, `converge-${run}`));
      }
      for (let run = 1; run <= runs; run++) record(`noop-${computes}`, await bench.noop(`noop-${computes}-${run}`));
      await readBacks(computes);
      for (const value of await bench.previewAfterOneKey(runs)) record("preview", value);
      await addsWithTheirFloors(computes);
      await bench.growTo(moreComputes);
      for (let run = 1; run <= runs; run++) record(`noop-${moreComputes}`, await bench.noop(`noop-${moreComputes}-${run}`));
      await readBacks(moreComputes);
      await addsWithTheirFloors(moreComputes);
      // Last: it switches the lab's driver, which no other figure may see.
      await bench.guestBoot(options.guestBoots, guestBoot);
    }
  } catch (error) {
    stoppedBy = messageOf(error);
    log(`stopped early: ${stoppedBy}`);
  } finally {
    try {
      await bench.dispose();
    } catch (error) {
      const message = `clean-up failed: ${messageOf(error)}`;
      log(message);
      stoppedBy ??= message;
    }
  }
  const lab = (count: number) => `1 controller + ${count} computes`;
  const measurement = (id: string, label: string, bound: string): Measurement => ({ id, label, samples: all[id] ?? [], bound });
  const measurements = [
    measurement(
      "converge",
      `cold converge, pulumi up (${lab(computes)})`,
      "the controller's chain: its package installation (sharing the cores with the computes'), Keystone's bootstrap and registration, then the service starts; the other config and schema steps run alongside",
    ),
    measurement("baseline", `the install guide by hand, sequential (${lab(computes)})`, "every step one after another, each host in turn"),
    measurement(
      "floor",
      `floor: packages on every host at once + database syncs (${lab(computes)})`,
      "apt/dpkg on the controller and the syncs' schema migrations",
    ),
    measurement(`noop-${computes}`, `no-op pulumi up (${lab(computes)})`, "engine start, the program and one diff per step; no SSH"),
    measurement(`noop-${moreComputes}`, `no-op pulumi up (${lab(moreComputes)})`, "as above, a few more steps"),
    measurement(
      `refresh-${computes}`,
      `pulumi refresh (${lab(computes)})`,
      "engine start, then every step's read-back: one SSH batch per host, the controller's longest (Keystone's check through its API)",
    ),
    measurement(`refresh-${moreComputes}`, `pulumi refresh (${lab(moreComputes)})`, "as above; each compute adds one batch, in parallel"),
    measurement(
      `drift-${computes}`,
      `nova-installer drift (${lab(computes)})`,
      "the state's export (engine start), then the same read-backs; the controller's Keystone check",
    ),
    measurement(`drift-${moreComputes}`, `nova-installer drift (${lab(moreComputes)})`, "as above"),
    measurement("preview", "pulumi preview --diff after a one-key change", "engine start and the program; no SSH"),
    measurement(
      `add-${computes}`,
      `add one compute to ${lab(computes)}`,
      "the new host's package installation (its floor), then about 14 s that do not shrink: engine and program, facts, nova-compute's first start, discover_hosts",
    ),
    measurement(`add-${moreComputes}`, `add one compute to ${lab(moreComputes)}`, "as above"),
    measurement(
      `host-floor-${computes}`,
      `floor of the compute added to ${lab(computes)}: its packages alone, on a twin host, alongside the add`,
      "apt/dpkg",
    ),
    measurement(
      `host-floor-${moreComputes}`,
      `floor of the compute added to ${lab(moreComputes)}: its packages alone, on a twin host, alongside the add`,
      "apt/dpkg",
    ),
  ];
  return { measurements, ...(guestBoot.compute === "" ? {} : { guestBoot }), ...(stoppedBy === undefined ? {} : { stoppedBy }) };
}

function targets(options: Options): Target[] {
  return [
    { label: "cold converge / guide baseline", of: ["converge", "baseline"], atMost: 0.8, unit: "x" },
    { label: `no-op pulumi up, ${options.computes} computes`, of: [`noop-${options.computes}`], atMost: 10, unit: "s" },
    {
      label: `no-op growth, ${options.computes} -> ${options.moreComputes} computes`,
      of: [`noop-${options.moreComputes}`, `noop-${options.computes}`],
      atMost: 1.2,
      unit: "x",
    },
    { label: "preview after a one-key change", of: ["preview"], atMost: 8, unit: "s" },
    ...[options.computes, options.moreComputes].flatMap((count): Target[] => [
      { label: `pulumi refresh, ${count} computes`, of: [`refresh-${count}`], atMost: 10, unit: "s" },
      { label: `nova-installer drift, ${count} computes`, of: [`drift-${count}`], atMost: 10, unit: "s" },
    ]),
    ...["refresh", "drift"].map((what): Target => ({
      label: `${what} growth, ${options.computes} -> ${options.moreComputes} computes`,
      of: [`${what}-${options.moreComputes}`, `${what}-${options.computes}`],
      atMost: 1.3,
      unit: "x",
    })),
    {
      label: `add one compute (to ${options.computes}) / that host's floor`,
      of: [`add-${options.computes}`, `host-floor-${options.computes}`],
      atMost: 1.2,
      unit: "x",
      paired: true,
    },
    {
      label: `add one compute (to ${options.moreComputes}) / that host's floor`,
      of: [`add-${options.moreComputes}`, `host-floor-${options.moreComputes}`],
      atMost: 1.2,
      unit: "x",
      paired: true,
    },
  ];
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("runs", { type: "number", default: 3, describe: "Runs of each measurement (at least 3 for results)" })
    .option("quick", { type: "boolean", default: false, describe: "One run each on labs of 1 and 2 computes: proves the script works" })
    .option("adds-only", {
      type: "boolean",
      default: false,
      describe: "Only the adds and their host floors (a lab converged once first, not timed as a figure): the faster loop for that figure",
    })
    .option("read-backs-only", {
      type: "boolean",
      default: false,
      describe: "Only pulumi refresh and nova-installer drift at both lab sizes (labs converged once first, not timed as a figure)",
    })
    .option("out", {
      type: "string",
      default: path.join(__dirname),
      describe: "Directory for RESULTS.md, results.json and logs/ (each timed pulumi run's output)",
    })
    .strict()
    .parseAsync();
  // The guest boot figure takes 5 boots and 5 creates in both modes (about 4 minutes): a median of
  // 5 is the figure the project reports, and CI's quick run reports it on every change.
  const sizes = argv.quick
    ? { runs: 1, quick: true, computes: 1, moreComputes: 2, guestBoots: 5, readBackRuns: 2 }
    : { runs: argv.runs, quick: false, computes: 2, moreComputes: 4, guestBoots: 5, readBackRuns: 5 };
  const options: Options = { ...sizes, addsOnly: argv.addsOnly, readBacksOnly: argv.readBacksOnly };
  // This run's logs only: a sample is explained by its own run's output.
  const logDir = path.join(argv.out, "logs");
  fs.rmSync(logDir, { recursive: true, force: true });
  const { measurements, guestBoot, stoppedBy } = await measure(options, logDir);
  const report = buildReport({
    date: new Date(),
    machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), cpu: os.cpus()[0]?.model ?? "unknown" },
    mode: options.quick ? "quick" : "full",
    addsOnly: options.addsOnly,
    readBacksOnly: options.readBacksOnly,
    measurements,
    targets: targets(options),
    guestBoot,
    stoppedBy,
  });
  fs.mkdirSync(argv.out, { recursive: true });
  fs.writeFileSync(path.join(argv.out, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(argv.out, "RESULTS.md"), renderMarkdown(report));
  process.stdout.write(renderMarkdown(report));
  if (stoppedBy !== undefined) throw new Error(`stopped early (what it measured is in ${argv.out}): ${stoppedBy}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${messageOf(error)}\n`);
  process.exit(1);
});
