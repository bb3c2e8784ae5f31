/**
 * What the test guest is made of, as data: the Debian packages it comes from, the kernel options
 * it relies on, the files of its initramfs, its `/init`, the kernel command line and the marker
 * line that proves a boot. Pure: the build (image.ts) and the checks read these, nothing else
 * restates them.
 *
 * The guest is a Debian 12 kernel and an initramfs of busybox-static and one `/init` script. It
 * boots from a direct kernel boot (Nova's libvirt driver does one for images with `kernel_id`,
 * see docs/guest-image.md), writes one marker line carrying the SMBIOS system UUID (the instance
 * UUID under Nova) to the first serial port, then stays up with a shell on that port. The ACPI
 * power button, which Nova's libvirt driver presses to stop and to soft-reboot a server, powers
 * it off at once.
 */
import { createHash } from "crypto";
import * as path from "path";
import { labCacheDir } from "../lab/paths";
import { manifestFile } from "./manifest";

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Bump when the build steps in image.ts change in a way the other inputs do not capture, so
 * that every machine rebuilds instead of reusing artifacts made by the old steps.
 */
export const guestRecipeVersion = 2;

/**
 * The Debian release the kernel and busybox come from. The guest is only a kernel and an
 * initramfs, so it does not follow the lab profile: the same guest boots on every lab profile.
 */
export const guestSuite = "bookworm";

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
 * Kernel options the guest needs built in (`=y`): those that act before /init could load a
 * module, and module loading itself. The build reads the kernel package's /boot/config-* and
 * fails naming any that is not `=y`.
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
  { option: "CONFIG_ACPI", why: "the power button is an ACPI event" },
  { option: "CONFIG_MODULES", why: "/init loads the kernel modules the initramfs carries" },
];

/** A kernel config's `CONFIG_X=value` settings; options "not set" are absent. Pure. */
export function kernelConfigValues(kernelConfig: string): ReadonlyMap<string, string> {
  return new Map(
    kernelConfig
      .split("\n")
      .map((line) => /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1], match[2]]),
  );
}

/** A driver the guest needs, built in or as a module the initramfs carries. */
export interface GuestKernelModule {
  /** The module's name, as insmod and lsmod know it. */
  readonly name: string;
  /** The kernel option that builds it: `=y` built in (nothing to load), `=m` a module. */
  readonly option: string;
  /** Its file under `lib/modules/<release>/kernel/` in the kernel package (uncompressed: bookworm's kernels do not compress modules). */
  readonly fileInKernelTree: string;
  readonly why: string;
}

/**
 * The drivers between the ACPI power button and acpid, in load order. Debian builds both as
 * modules, and nothing in this initramfs loads modules by itself (no udev, no modprobe
 * database): /init loads those it carries with insmod.
 */
export const guestKernelModules: readonly GuestKernelModule[] = [
  {
    name: "button",
    option: "CONFIG_ACPI_BUTTON",
    fileInKernelTree: "drivers/acpi/button.ko",
    why: "turns the ACPI power button into a KEY_POWER press of an input device",
  },
  {
    name: "evdev",
    option: "CONFIG_INPUT_EVDEV",
    fileInKernelTree: "drivers/input/evdev.ko",
    why: "gives input devices the /dev/input/event* nodes acpid reads",
  },
];

/** Where the kernel package holds a module of kernel `release`. Pure. */
export function kernelModulePathInPackage(release: string, module: GuestKernelModule): string {
  return `lib/modules/${release}/kernel/${module.fileInKernelTree}`;
}

/**
 * Where the initramfs holds a module: a fixed path without the kernel release, so that /init
 * (part of the recipe, written before the release is known) names it. Pure.
 */
export function kernelModulePathInInitramfs(module: Pick<GuestKernelModule, "name">): string {
  return `lib/modules/${module.name}.ko`;
}

/** What a kernel config says of the guest's modules: which to carry (`=m`), which are built in (`=y`), which it lacks. */
export interface KernelModulePlan {
  readonly carried: readonly GuestKernelModule[];
  readonly builtIn: readonly GuestKernelModule[];
  readonly missing: readonly GuestKernelModule[];
}

/** Sorts `modules` by their options' values in `kernelConfig`. Pure. */
export function kernelModulePlan(kernelConfig: string, modules: readonly GuestKernelModule[] = guestKernelModules): KernelModulePlan {
  const values = kernelConfigValues(kernelConfig);
  return {
    carried: modules.filter((module) => values.get(module.option) === "m"),
    builtIn: modules.filter((module) => values.get(module.option) === "y"),
    missing: modules.filter((module) => !["m", "y"].includes(values.get(module.option) ?? "")),
  };
}

/**
 * What a kernel config lacks for the guest: one phrase per kind of problem, naming each option,
 * its value (or "not set") and why the guest needs it, and what was expected; empty when it
 * lacks nothing. Pure.
 */
export function kernelConfigProblems(
  kernelConfig: string,
  modules: readonly GuestKernelModule[] = guestKernelModules,
  required: readonly { readonly option: string; readonly why: string }[] = requiredKernelOptions,
): string[] {
  const values = kernelConfigValues(kernelConfig);
  const describe = (entry: { readonly option: string; readonly why: string }) => {
    const value = values.get(entry.option);
    return `${value === undefined ? `${entry.option} not set` : `${entry.option}=${value}`} (${entry.why})`;
  };
  const notBuiltIn = required.filter((entry) => values.get(entry.option) !== "y");
  const absent = kernelModulePlan(kernelConfig, modules).missing;
  return [
    ...(notBuiltIn.length > 0 ? [`does not build in ${notBuiltIn.map(describe).join(", ")}: expected =y`] : []),
    ...(absent.length > 0 ? [`has neither built in nor as a module ${absent.map(describe).join(", ")}: expected =y or =m`] : []),
  ];
}

/**
 * The modules a module needs loaded first: the `depends=` entry of its .modinfo section, one of
 * the NUL-separated `key=value` strings of the .ko file. Pure.
 * @throws Error when the file has no `depends=` entry (not a kernel module).
 */
export function kernelModuleDependencies(moduleFile: Buffer): string[] {
  const start = moduleFile.indexOf("\0depends=");
  if (start < 0) throw new Error("no depends= entry in its .modinfo: not a kernel module");
  const valueStart = start + "\0depends=".length;
  const end = moduleFile.indexOf(0, valueStart);
  const value = moduleFile.subarray(valueStart, end < 0 ? moduleFile.length : end).toString("utf8");
  return value.split(",").filter((name) => name !== "");
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
 * acpid (busybox's) turns the power button into an action: it reads every /dev/input/event*,
 * maps a KEY_POWER press to "PWRF/00000080" (its built-in defaults, as no /etc/acpid.conf nor
 * /etc/acpi.map exists) and runs that path under its config directory (-c) as a program.
 */
export const acpidConfigDir = "etc/acpi";

/** acpid writes its pid file once it has opened the input devices: /init waits for it. */
export const acpidPidFile = "run/acpid.pid";

/**
 * The power button's action: power off at once. `-f` calls reboot(2) itself: without it, busybox
 * poweroff signals PID 1, and this /init (a shell) does not handle that signal. Nothing is lost
 * by not shutting down cleanly: the guest mounts no disk, its files are the initramfs in RAM.
 */
export const powerButtonAction = {
  path: `${acpidConfigDir}/PWRF/00000080`,
  script: "#!/bin/sh\n# The ACPI power button (Nova's stop and soft reboot): power off now.\nexec poweroff -f\n",
} as const;

/** How long /init waits for acpid to listen before it writes the marker anyway. */
const acpidStartTenthsOfSeconds = 50;

/**
 * The initramfs' /init. Runs as PID 1, so it must never exit (the kernel would panic). Before
 * the marker it loads the power button's drivers and starts acpid, so that a guest that wrote
 * its marker hears the button; after it, it keeps a shell on the serial port (respawned when it
 * exits, for `virsh console` or Nova's serial console) and sleeps.
 */
export function initScript(): string {
  const tty = `/dev/${serialConsole}`;
  const pidFile = `/${acpidPidFile}`;
  const loadModules = guestKernelModules
    .map((module) => `/${kernelModulePathInInitramfs(module)}`)
    .map((file) => `[ ! -e ${file} ] || insmod ${file}`)
    .join("\n");
  return `#!/bin/busybox sh
# nova-installer test guest: prove the boot on ${tty}, then stay up.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The ACPI power button (Nova's libvirt driver presses it to stop and to soft-reboot) powers the
# guest off: button makes it a key press, evdev hands that to acpid, which runs
# /${powerButtonAction.path}. A driver the kernel builds in has no module file here.
${loadModules}
acpid -d -c /${acpidConfigDir} -p ${pidFile} &
# acpid writes its pid file once it listens: the marker then means the button is heard.
tries=0
while [ ! -e ${pidFile} ] && [ $tries -lt ${acpidStartTenthsOfSeconds} ]; do sleep 0.1; tries=$((tries + 1)); done
[ -e ${pidFile} ] || echo "nova-installer-guest: acpid is not running, the power button is ignored" > ${tty}
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

/**
 * One entry of the initramfs archive, owned by root. A `kernelModule` entry is a module file
 * taken from the kernel package, present only when the kernel builds that driver as a module.
 */
export type InitramfsEntry =
  | { readonly kind: "directory"; readonly path: string; readonly mode: number }
  | { readonly kind: "file"; readonly path: string; readonly mode: number; readonly source: "init" | "busybox" | "powerButtonAction" }
  | { readonly kind: "kernelModule"; readonly path: string; readonly mode: number; readonly module: string }
  | { readonly kind: "characterDevice"; readonly path: string; readonly mode: number; readonly major: number; readonly minor: number };

/**
 * The initramfs' files, parents before children. /dev/console must exist before /init runs:
 * the kernel opens it for init's standard streams, before any devtmpfs is mounted.
 */
export const initramfsEntries: readonly InitramfsEntry[] = [
  { kind: "directory", path: "bin", mode: 0o755 },
  { kind: "directory", path: "dev", mode: 0o755 },
  { kind: "characterDevice", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
  { kind: "directory", path: "etc", mode: 0o755 },
  { kind: "directory", path: acpidConfigDir, mode: 0o755 },
  { kind: "directory", path: path.posix.dirname(powerButtonAction.path), mode: 0o755 },
  { kind: "directory", path: "lib", mode: 0o755 },
  { kind: "directory", path: "lib/modules", mode: 0o755 },
  { kind: "directory", path: "proc", mode: 0o755 },
  { kind: "directory", path: path.posix.dirname(acpidPidFile), mode: 0o755 },
  { kind: "directory", path: "sys", mode: 0o755 },
  { kind: "directory", path: "tmp", mode: 0o1777 },
  { kind: "file", path: busyboxPathInPackage, mode: 0o755, source: "busybox" },
  { kind: "file", path: powerButtonAction.path, mode: 0o755, source: "powerButtonAction" },
  ...guestKernelModules.map((module): InitramfsEntry => ({
    kind: "kernelModule",
    path: kernelModulePathInInitramfs(module),
    mode: 0o644,
    module: module.name,
  })),
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
  readonly kernelModules: readonly GuestKernelModule[];
  readonly initScript: string;
  readonly powerButtonAction: string;
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
    kernelModules: guestKernelModules,
    initScript: initScript(),
    powerButtonAction: powerButtonAction.script,
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
