/**
 * The lab's Pulumi stack: created on first use, its hosts written from the lab inventory after
 * every `lab up` (addresses and pinned host keys change when hosts are recreated), its passwords
 * generated once. stacks/Pulumi.<stack>.yaml is generated, not kept in git.
 */
import { existsSync, renameSync } from "fs";
import { join } from "path";
import { projectRoot, pulumiOrThrow, runPulumi } from "../cli/pulumiCli";
import { initSecrets } from "../cli/secrets";
import type { ComputeDriver } from "../config/types";
import type { OsProfile } from "../profiles/profiles";
import { defaultLabProfile, labProfileFor } from "./image-recipe";
import type { Inventory } from "./inventory";

/** Plain (not secret) settings of a lab stack, in `pulumi config --json` form. */
export function labStackSettings(
  inventory: Inventory,
  options: LabStackOptions = {},
): Record<string, { value: string; objectValue?: unknown; secret: false }> {
  const plain = (value: unknown) =>
    typeof value === "string" ? { value, secret: false as const } : { value: JSON.stringify(value), objectValue: value, secret: false as const };
  const profile = options.profile ?? labProfileFor(defaultLabProfile);
  return {
    "nova-installer:operatingSystem": plain(profile.operatingSystem),
    "nova-installer:openstackRelease": plain(profile.release),
    "nova-installer:sshUser": plain(inventory.sshUser),
    "nova-installer:sshPrivateKeyPath": plain(inventory.privateKeyPath),
    "nova-installer:prerequisites": plain(true),
    // The lab hosts have no route out; they install from the image's pre-seeded package cache.
    "nova-installer:refreshPackageIndex": plain(false),
    "nova-installer:flavors": plain([{ name: "m1.tiny", vcpus: 1, ramMb: 512, diskGb: 1 }]),
    // Debian's APIs start 8 to 16 uwsgi workers each, every one loading its application on its
    // first request: far too much for lab hosts sharing two cores.
    "nova-installer:apiWorkers": plain(2),
    "nova-installer:hosts": plain(
      inventory.hosts.map((host) => ({ name: host.name, role: host.role, address: host.address, hostPublicKey: host.hostPublicKey })),
    ),
    // Left out, the product default, libvirt.LibvirtDriver, runs real guests on the computes (KVM
    // where this machine can, QEMU's emulation otherwise: lab/hypervisor.ts). The benchmark sets
    // the driver its guide baseline uses.
    ...(options.computeDriver !== undefined ? { "nova-installer:computeDriver": plain(options.computeDriver) } : {}),
    // Glance gets the test guest (what instances boot) instead of the placeholder image.
    ...(options.guestImageDir !== undefined ? { "nova-installer:guestImage": plain(options.guestImageDir) } : {}),
  };
}

export interface LabStackOptions {
  /** The lab's profile (`LabContext.profile`): the hosts' operating system and release. Default debian-13/epoxy. */
  readonly profile?: OsProfile;
  /** Generate passwords with every hostile character in them (default true: the lab proves they work). */
  readonly hostilePasswords?: boolean;
  /** The guest image directory (`ensureGuestImage`) Glance is given. Default: none, the stack keeps what it had. */
  readonly guestImageDir?: string;
  /** nova-installer:computeDriver. Default: none, the stack keeps what it had (never set: the product default, libvirt.LibvirtDriver). */
  readonly computeDriver?: ComputeDriver;
}

/** Creates or updates the stack from the inventory; returns the passwords it generated. */
export async function writeLabStack(stack: string, inventory: Inventory, options: LabStackOptions = {}): Promise<string[]> {
  const select = await runPulumi(["stack", "select", stack]);
  if (select.exitCode !== 0) {
    // A config file without its stack (state deleted with an old lab) holds an encryption salt
    // of another passphrase: the new stack could not start. Its secrets cannot be read anyway.
    const file = join(projectRoot, "stacks", `Pulumi.${stack}.yaml`);
    if (existsSync(file)) {
      const aside = `${file}.orphaned-${Date.now()}`;
      renameSync(file, aside);
      process.stdout.write(`[lab] ${file} had no stack in this state directory; moved it to ${aside}\n`);
    }
    await pulumiOrThrow(["stack", "init", stack]);
  }
  await pulumiOrThrow(["config", "set-all", "--stack", stack, "--json", JSON.stringify(labStackSettings(inventory, options))]);
  return initSecrets(stack, { hostile: options.hostilePasswords ?? true });
}
