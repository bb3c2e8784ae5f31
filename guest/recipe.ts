/**
 * What the test guest is made of, as data: the Debian packages it comes from, the kernel options
 * it relies on, the files of its initramfs, its `/init`, the kernel command line and the marker
 * line that proves a boot. Pure: the build (image.ts) and the checks read these, nothing else
 * restates them.
 *
 * The guest is a Debian 12 kernel and an initramfs of busybox-static and one `/init` script. It
 * boots from a direct kernel boot (Nova's libvirt driver does one for images with `kernel_id`,
 * see docs/guest-image.md), writes one marker line carrying the SMBIOS system UUID (the instance
 * UUID under Nova) to the first serial port, then stays up with a shell on that port.
 */
import { createHash } from "crypto";
import * as path from "path";
import { labCacheDir } from "../lab/paths";
import { imageSuite } from "../lab/image-recipe";
import { manifestFile } from "./manifest";

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Bump when the build steps in image.ts change in a way the other inputs do not capture, so
 * that every machine rebuilds instead of reusing artifacts made by the old steps.
 */
export const guestRecipeVersion = 1;

/** The Debian release the packages come from: the lab hosts' release. */
export const guestSuite: string = imageSuite;

/**
 * The kernel's metapackage. It holds no kernel, only a dependency on the real package
 * (`linux-image-6.1.0-NN-amd64`), which the build reads from the downloaded metapackage, so
 * the kernel is whatever Debian's current bookworm kernel is when the image is built.
 */
export const kernelMetapackage = "linux-image-amd64";

/** Statically linked busybox: the guest's shell and tools, one file, no libraries needed. */
export const busyboxPackage = "busybox-static";

/** Where busybox-static installs its binary, and where the initramfs has it. */
export const busyboxPathInPackage = "bin/busybox";

/**
 * Kernel options the guest needs built in (`=y`, not modules: the initramfs holds no modules).
 * The build reads the kernel package's /boot/config-* and fails naming any that is not `=y`.
 */
export const requiredKernelOptions: readonly { readonly option: string; readonly why: string }[] = [
  { option: "CONFIG_BLK_DEV_INITRD", why: "boots from an initramfs" },
  { option: "CONFIG_RD_GZIP", why: "the initramfs is gzip-compressed" },
  { option: "CONFIG_BINFMT_SCRIPT", why: "/init is a #! script" },
  { option: "CONFIG_DEVTMPFS", why: "/init mounts devtmpfs on /dev" },
  { option: "CONFIG_PROC_FS", why: "/init mounts /proc" },
  { option: "CONFIG_SYSFS", why: "/init mounts /sys" },
  { option: "CONFIG_SERIAL_8250", why: "the marker goes to ttyS0, a 16550 UART" },
  { option: "CONFIG_SERIAL_8250_CONSOLE", why: "console=ttyS0" },
  { option: "CONFIG_DMI", why: "SMBIOS tables are read at boot" },
  { option: "CONFIG_DMIID", why: "/sys/class/dmi/id/product_uuid" },
];

/** The kernel options of `requiredKernelOptions` that a kernel config does not set to `y`. */
export function missingKernelOptions(kernelConfig: string, required = requiredKernelOptions.map((entry) => entry.option)): string[] {
  const builtIn = new Set(
    kernelConfig
      .split("\n")
      .map((line) => /^(CONFIG_[A-Za-z0-9_]+)=y$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => match[1]),
  );
  return required.filter((option) => !builtIn.has(option));
}

/** The serial port the marker and the console shell use: the first 16550 UART, which QEMU and Nova's domains have. */
export const serialConsole = "ttyS0";

/**
 * The kernel command line: the one the Glance root image carries as `os_command_line`, and the
 * one the qemu boot check uses, so the check boots the guest as Nova will.
 */
export const kernelCommandLine = `console=${serialConsole}`;

/** The first words of the marker line; the rest is `uuid=<lower-case uuid> kernel=<release>`. */
export const markerPrefix = "nova-installer-guest booted";

/** The marker a guest booted with SMBIOS system UUID `uuid` writes. Pure. */
export function markerFor(uuid: string, kernelRelease: string): string {
  return `${markerPrefix} uuid=${uuid.toLowerCase()} kernel=${kernelRelease}`;
}

export interface Marker {
  readonly uuid: string;
  readonly kernelRelease: string;
}

/**
 * Finds the marker in console output (kernel messages and CRs around it), or undefined. Only a
 * whole line counts: output read while it arrives may end in the middle of one. Only a booted
 * guest writes it: its UUID comes from the SMBIOS tables at run time.
 */
export function findMarker(consoleText: string): Marker | undefined {
  const match = /nova-installer-guest booted uuid=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) kernel=(\S+)\r?\n/.exec(consoleText);
  return match === null ? undefined : { uuid: match[1], kernelRelease: match[2] };
}

/**
 * The initramfs' /init. Runs as PID 1, so it must never exit (the kernel would panic): after the
 * marker it keeps a shell on the serial port (respawned when it exits, for `virsh console` or
 * Nova's serial console) and sleeps.
 */
export function initScript(): string {
  const tty = `/dev/${serialConsole}`;
  return `#!/bin/busybox sh
# nova-installer test guest: prove the boot on ${tty}, then stay up.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Nova's libvirt driver sets the SMBIOS system UUID to the instance UUID.
uuid=$(tr 'A-F' 'a-f' < /sys/class/dmi/id/product_uuid 2>/dev/null)
echo "${markerPrefix} uuid=\${uuid:-unknown} kernel=$(uname -r)" > ${tty}
# A shell for whoever attaches to the console, in its own session so that ${tty} becomes its
# controlling terminal; restarted when it exits.
while true; do setsid sh -c 'exec sh -i < ${tty} > ${tty} 2>&1'; sleep 1; done &
# PID 1 must not exit: the kernel panics when it does.
while true; do sleep 3600; done
`;
}

/** One entry of the initramfs archive, owned by root. */
export type InitramfsEntry =
  | { readonly kind: "directory"; readonly path: string; readonly mode: number }
  | { readonly kind: "file"; readonly path: string; readonly mode: number; readonly source: "init" | "busybox" }
  | { readonly kind: "characterDevice"; readonly path: string; readonly mode: number; readonly major: number; readonly minor: number };

/**
 * The initramfs' files, parents before children. /dev/console must exist before /init runs:
 * the kernel opens it for init's standard streams, before any devtmpfs is mounted.
 */
export const initramfsEntries: readonly InitramfsEntry[] = [
  { kind: "directory", path: "bin", mode: 0o755 },
  { kind: "directory", path: "dev", mode: 0o755 },
  { kind: "characterDevice", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
  { kind: "directory", path: "proc", mode: 0o755 },
  { kind: "directory", path: "sys", mode: 0o755 },
  { kind: "directory", path: "tmp", mode: 0o1777 },
  { kind: "file", path: busyboxPathInPackage, mode: 0o755, source: "busybox" },
  { kind: "file", path: "init", mode: 0o755, source: "init" },
];

/** The artifacts' file names in the image directory. */
export const artifactFiles = {
  kernel: "vmlinuz",
  initramfs: "initramfs.gz",
  rootDisk: "root.img",
  manifest: manifestFile,
} as const;

/**
 * The root disk's size: its content is never read (the initramfs does not mount a root), but
 * Glance and Nova need a disk. Zeros, which Glance's and Nova's format inspection and qemu-img
 * see as raw.
 */
export const rootDiskBytes = 1024 * 1024;

/** Everything that determines the artifacts' content. */
export interface GuestRecipe {
  readonly recipeVersion: number;
  readonly suite: string;
  readonly packages: { readonly kernel: string; readonly busybox: string };
  readonly requiredKernelOptions: readonly string[];
  readonly initScript: string;
  readonly initramfsEntries: readonly InitramfsEntry[];
  readonly files: typeof artifactFiles;
  readonly rootDiskBytes: number;
}

export function guestRecipe(): GuestRecipe {
  return {
    recipeVersion: guestRecipeVersion,
    suite: guestSuite,
    packages: { kernel: kernelMetapackage, busybox: busyboxPackage },
    requiredKernelOptions: requiredKernelOptions.map((entry) => entry.option),
    initScript: initScript(),
    initramfsEntries,
    files: artifactFiles,
    rootDiskBytes,
  };
}

/** The cache key: "bookworm-<16 hex of the recipe's hash>"; equal recipes give equal keys. */
export function guestImageKey(recipe: GuestRecipe): string {
  const digest = createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 16);
  return `${recipe.suite}-${digest}`;
}

/**
 * `${NOVA_INSTALLER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nova-installer}/guest-image`: beside
 * the lab image cache, whose root labCacheDir resolves (one place decides where caches live).
 */
export function guestImageCacheDir(env: Environment): string {
  return path.join(path.dirname(labCacheDir(env)), "guest-image");
}
