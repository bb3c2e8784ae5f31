/**
 * `nova-installer lab ...`: the local test bed, one controller and N computes as
 * systemd-nspawn machines on a bridge. This file maps options to the lab's calls and prints results.
 */
import type { Argv, CommandModule } from "yargs";
import { interactiveShell } from "../cli/interactive-shell";
import { runPulumi } from "../cli/pulumiCli";
import { ensureGuestImage, guestImageCacheDir } from "../guest";
import { withConnection } from "../remote/ssh";
import { LabSpec, defaultComputeCount, defaultLabSpec, validateLabSpec } from "./config";
import { defaultLabProfile, labProfileFor, labProfiles } from "./image-recipe";
import { ensureImage, pruneImages } from "./image";
import { inventoryEndpoint, readInventory } from "./inventory";
import { fingerprint, publicKeyBlob } from "../lib/sshKeys";
import { LabContext, labContext, labDown, labStatus, labUp, rebootHost, rebuildHost } from "./lab";
import { labLayout } from "./paths";
import { writeLabStack } from "./stack";

interface LabOptions {
  readonly name: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly profile: string;
}

function contextFrom(options: LabOptions & { installed?: boolean }): LabContext {
  const spec: LabSpec = validateLabSpec({ name: options.name, bridge: options.bridge, subnet: options.subnet });
  return labContext({ spec, hostStart: options.installed === true ? "installed" : "bare", profile: labProfileFor(options.profile) });
}

const installedOption = {
  type: "boolean",
  default: false,
  describe: "New hosts start with their role's packages installed (a cached snapshot layer) instead of bare",
} as const;

const upCommand: CommandModule<LabOptions, LabOptions & { computes: number; installed: boolean }> = {
  command: "up",
  describe: "Start the lab (building the image first if it is not cached) and wait until every host answers ssh",
  builder: (args) =>
    args
      .option("computes", {
        type: "number",
        default: defaultComputeCount,
        describe: "Number of compute hosts (compute1..computeN); a running lab grows or shrinks to it",
      })
      .option("installed", installedOption),
  handler: async (options) => {
    await labUp(contextFrom(options), options.computes);
  },
};

const deployCommand: CommandModule<LabOptions, LabOptions & { computes: number; stack: string; installed: boolean }> = {
  command: "deploy",
  describe:
    "The main job: build or reuse the test guest image, bring the lab up, write its stack (hosts, pinned keys, generated passwords, guest image) and run pulumi up",
  builder: (args) =>
    args
      .option("computes", { type: "number", default: defaultComputeCount, describe: "Number of compute hosts" })
      .option("stack", { type: "string", default: "lab", describe: "Pulumi stack the lab is deployed with" })
      .option("installed", installedOption),
  handler: async (options) => {
    const started = Date.now();
    const context = contextFrom(options);
    // Built (about half a minute, once) or reused before the hosts start: a failed build costs no lab.
    const guestImage = await ensureGuestImage(guestImageCacheDir(process.env), context.write);
    const inventory = await labUp(context, options.computes);
    const generated = await writeLabStack(options.stack, inventory, { guestImageDir: guestImage.dir, profile: context.profile });
    process.stdout.write(
      `[deploy] stack ${options.stack}: ${inventory.hosts.length} hosts (${options.profile})` +
        (generated.length > 0 ? `, generated passwords ${generated.join(", ")}` : "") +
        "\n",
    );
    const up = await runPulumi(["up", "--stack", options.stack, "--yes", "--skip-preview", "--non-interactive"], { echo: true });
    process.stdout.write(`[deploy] pulumi up ${up.exitCode === 0 ? "succeeded" : "FAILED"} in ${Math.round((Date.now() - started) / 1000)} s\n`);
    if (up.exitCode === 0) {
      process.stdout.write(`[deploy] boot a guest on every compute: bin/nova-installer verify --stack ${options.stack} --boot\n`);
    }
    process.exitCode = up.exitCode;
  },
};

const downCommand: CommandModule<LabOptions, LabOptions> = {
  command: "down",
  describe: "Stop and delete every host, the bridge and the lab state; fails if anything is left behind",
  handler: async (options) => {
    await labDown(contextFrom(options));
  },
};

const statusCommand: CommandModule<LabOptions, LabOptions> = {
  command: "status",
  describe: "Show the lab's hosts, whether they run and whether they answer ssh with their pinned key (exit code 3 if one does not)",
  handler: async (options) => {
    const context = contextFrom(options);
    const status = await labStatus(context);
    const print = (line: string): void => void process.stdout.write(`${line}\n`);
    if (!status.exists && status.hosts.length === 0) {
      print(`lab "${status.spec.name}" is down (state ${context.stateDir})`);
      return;
    }
    print(
      `lab "${status.spec.name}": bridge ${status.spec.bridge} ${status.bridgeUp ? "up" : "MISSING"}, subnet ${status.spec.subnet}, image ${status.imageKey ?? "?"}`,
    );
    for (const host of status.hosts) {
      const state = host.pid !== undefined ? `running (nspawn pid ${host.pid})` : "stopped";
      const ssh = host.ssh === undefined ? "" : host.ssh === "ok" ? ", ssh ok" : `, ssh FAILED: ${host.ssh}`;
      print(`${host.name.padEnd(12)} ${(host.address ?? "-").padEnd(15)} ${state}${ssh}`);
    }
    if (status.hosts.some((host) => host.pid === undefined || host.ssh !== "ok")) process.exitCode = 3;
  },
};

const sshCommand: CommandModule<LabOptions, LabOptions & { host: string; command: (string | number)[]; "--"?: (string | number)[] }> = {
  command: "ssh <host> [command..]",
  describe: "Run a command on a lab host (or open a shell without one), checking its pinned host key",
  builder: (args) =>
    args
      // Options after the host belong to the remote command (`lab ssh compute1 ls -l`).
      .parserConfiguration({ "unknown-options-as-args": true, "populate--": true })
      .positional("host", { type: "string", demandOption: true, describe: "Host name: controller, compute1, ..." })
      .positional("command", { type: "string", array: true, default: [], describe: "Command run by root's shell on the host" })
      .example("$0 lab ssh compute1 hostname", "prints compute1")
      .example("$0 lab ssh controller -- systemctl --failed", "words after -- go to the host as they are")
      .example("$0 lab ssh controller < script.sh", "without a command and a terminal, runs stdin with bash"),
  handler: async (options) => {
    const context = contextFrom(options);
    const endpoint = inventoryEndpoint(readInventory(labLayout(context.stateDir).inventory), options.host);
    const words = [...options.command, ...(options["--"] ?? [])].map(String);
    process.exitCode = await withConnection(endpoint, async (session) => {
      if (words.length === 0 && process.stdin.isTTY) {
        return interactiveShell(session);
      }
      const stdin = words.length === 0 ? await readAll(process.stdin) : undefined;
      // Like OpenSSH: the words are joined and the remote shell parses them.
      const result = await session.run(words.length === 0 ? "bash -s" : words.join(" "), {
        ...(stdin !== undefined ? { stdin } : {}),
        // The operator watches it and can interrupt it, as with ssh.
        timeoutMs: Infinity,
        onStdout: (chunk) => process.stdout.write(chunk),
        onStderr: (chunk) => process.stderr.write(chunk),
      });
      return result.exitCode;
    });
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const rebootCommand: CommandModule<LabOptions, LabOptions & { host: string }> = {
  command: "reboot <host>",
  describe: "Reboot a lab host (systemctl reboot inside it, then boot the same root again) and wait until it answers ssh",
  builder: (args) => args.positional("host", { type: "string", demandOption: true, describe: "Host name: controller, compute1, ..." }),
  handler: async (options) => {
    await rebootHost(contextFrom(options), options.host);
  },
};

const rebuildCommand: CommandModule<LabOptions, LabOptions & { host: string }> = {
  command: "rebuild <host>",
  describe:
    "Rebuild a lab host from scratch, as a reinstalled machine: same name and address, a new root from the image, a new host key (printed, to trust with hosts trust)",
  builder: (args) => args.positional("host", { type: "string", demandOption: true, describe: "Host name: controller, compute1, ..." }),
  handler: async (options) => {
    const inventory = await rebuildHost(contextFrom(options), options.host);
    const entry = inventory.hosts.find((host) => host.name === options.host);
    if (entry !== undefined) {
      const presented = fingerprint(publicKeyBlob(entry.hostPublicKey));
      process.stdout.write(`${options.host} presents a new host key ${presented}; in a deployed stack, trust it and run pulumi up:\n`);
      process.stdout.write(`  bin/nova-installer hosts trust ${options.host} --stack STACK --fingerprint ${presented}\n`);
    }
  },
};

const imageCommand: CommandModule<LabOptions, LabOptions & { prune: boolean }> = {
  command: "image",
  describe: "Build the lab image of --profile if it is not cached yet, and print its root directory",
  builder: (args) =>
    args.option("prune", {
      type: "boolean",
      default: false,
      describe: "Also delete cached images of older inputs (except those a running lab uses)",
    }),
  handler: async (options) => {
    const context = contextFrom(options);
    const image = await ensureImage(context.cacheDir, context.profile, context.write);
    if (options.prune) {
      const { removed, inUse } = await pruneImages(context.cacheDir, image.key);
      for (const key of removed) context.write(`[image] removed ${key}`);
      for (const key of inUse) context.write(`[image] kept ${key}: a running lab uses it`);
    }
    process.stdout.write(`${image.rootfs}\n`);
  },
};

export const labCommand: CommandModule = {
  command: "lab <command>",
  describe: "A local test bed: one controller and N computes as systemd-nspawn machines",
  builder: (args: Argv) =>
    args
      .option("name", {
        type: "string",
        default: defaultLabSpec.name,
        describe: "Lab name (prefix of machine names); a second lab needs its own name, bridge, subnet and NOVA_INSTALLER_STATE",
      })
      .option("bridge", { type: "string", default: defaultLabSpec.bridge, describe: "Linux bridge the hosts join" })
      .option("subnet", { type: "string", default: defaultLabSpec.subnet, describe: "IPv4 /24 of the bridge (.1) and hosts (.10 and up)" })
      .option("profile", {
        type: "string",
        default: defaultLabProfile,
        choices: labProfiles,
        describe: "What the hosts run (operatingSystem/openstackRelease): the image's Debian release and the stack's profile",
      })
      .command(upCommand as unknown as CommandModule)
      .command(deployCommand as unknown as CommandModule)
      .command(downCommand as unknown as CommandModule)
      .command(statusCommand as unknown as CommandModule)
      .command(sshCommand as unknown as CommandModule)
      .command(rebootCommand as unknown as CommandModule)
      .command(rebuildCommand as unknown as CommandModule)
      .command(imageCommand as unknown as CommandModule)
      .demandCommand(1, "give a lab command; see nova-installer lab --help")
      .epilog(
        "State: ${NOVA_INSTALLER_STATE:-<repo>/.state}/lab/ (inventory.json, keys, host layers).\n" +
          "Image cache: ${NOVA_INSTALLER_CACHE:-${XDG_CACHE_HOME:-~/.cache}/nova-installer}/lab/. Needs root.",
      ),
  handler: () => undefined,
};
