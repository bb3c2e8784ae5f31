/**
 * `nova-installer render`: the exact file the installer would write on a host, passwords masked
 * unless asked; without --file, the list of files the installer writes there.
 */
import type { CommandModule } from "yargs";
import { hostPlan, PlannedFile, VirtType } from "../plan/hostPlan";
import { renderMasked } from "../render/masking";
import { deployedVirtTypes, readStackConfig, readStackOutputs, stackOption } from "./stackConfigReader";

/** One line per file: path, owner:group, mode, and the step that writes it. */
export function formatFileList(files: readonly PlannedFile[]): string {
  const width = Math.max(...files.map((file) => file.path.length));
  const ownerWidth = Math.max(...files.map((file) => `${file.owner}:${file.group}`.length));
  return (
    files.map((file) => `${file.path.padEnd(width)}  ${`${file.owner}:${file.group}`.padEnd(ownerWidth)}  ${file.mode}  ${file.step}`).join("\n") +
    "\n"
  );
}

/** The file of that path on the host. @throws Error listing the host's files. */
export function selectFile(files: readonly PlannedFile[], path: string, hostName: string): PlannedFile {
  const file = files.find((entry) => entry.path === path);
  if (file === undefined) {
    throw new Error(
      `the installer writes no file ${JSON.stringify(path)} on ${hostName}; it writes:\n  ${files.map((entry) => entry.path).join("\n  ")}`,
    );
  }
  return file;
}

export interface VirtTypeSources {
  /** nova-installer:virtType, which the installer itself uses when set. */
  readonly configured?: VirtType;
  /** --virt-type. */
  readonly option?: VirtType;
  /** What the last deployment decided for this compute (stack output virtTypes). */
  readonly deployed?: VirtType;
}

/**
 * The virt_type a compute's nova.conf is rendered with: the stack's setting, else --virt-type,
 * else the last deployment's choice. @throws Error saying how to give one when none is known.
 */
export function chooseVirtType(hostName: string, sources: VirtTypeSources): VirtType {
  const virtType = sources.configured ?? sources.option ?? sources.deployed;
  if (virtType === undefined) {
    throw new Error(
      `the virt_type of ${hostName} is decided from its CPU at its first deployment, which has not happened yet: ` +
        `pass --virt-type kvm or --virt-type qemu (nova-installer doctor shows what its CPU offers)`,
    );
  }
  return virtType;
}

interface RenderOptions {
  readonly stack: string;
  readonly host: string;
  readonly file?: string;
  readonly showSecrets: boolean;
  readonly virtType?: VirtType;
}

/** What `render` prints: the file list, or the file's text. */
async function renderCommandOutput(options: RenderOptions): Promise<string> {
  const stack = await readStackConfig(options.stack);
  const files = hostPlan(stack, options.host).files;
  if (options.file === undefined) {
    return formatFileList(files);
  }
  const file = selectFile(files, options.file, options.host);
  let virtType: VirtType | undefined;
  if (file.needsVirtType) {
    const given = stack.virtType ?? options.virtType;
    const deployed = given === undefined ? deployedVirtTypes(await readStackOutputs(options.stack))[options.host] : undefined;
    virtType = chooseVirtType(options.host, { configured: stack.virtType, option: options.virtType, deployed });
  }
  return options.showSecrets ? file.render(stack.passwords, virtType) : renderMasked(file, virtType);
}

interface RenderArgs {
  readonly stack: string;
  readonly host: string;
  readonly file?: string;
  readonly "show-secrets": boolean;
  readonly "virt-type"?: VirtType;
}

export const renderCommand: CommandModule<object, RenderArgs> = {
  command: "render",
  describe: "Print a file exactly as the installer would write it on a host (passwords masked), or list the host's files",
  builder: (args) =>
    args
      .option("stack", stackOption)
      .option("host", { type: "string", demandOption: true, describe: "Host name, as in the stack's hosts" })
      .option("file", { type: "string", describe: "Absolute path of the file to print; without it, the host's files are listed" })
      .option("show-secrets", { type: "boolean", default: false, describe: "Print passwords instead of ****" })
      .option("virt-type", {
        choices: ["kvm", "qemu"] as const,
        describe: "A compute's virt_type, when neither the stack sets it nor a deployment has decided it yet",
      })
      .example("$0 render --stack prod --host controller", "lists the files written on the controller")
      .example("$0 render --stack prod --host compute1 --file /etc/nova/nova.conf", "prints compute1's nova.conf, passwords masked"),
  handler: async (options) => {
    process.stdout.write(
      await renderCommandOutput({
        stack: options.stack,
        host: options.host,
        file: options.file,
        showSecrets: options["show-secrets"],
        virtType: options["virt-type"],
      }),
    );
  },
};
