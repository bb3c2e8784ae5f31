/**
 * Booting the test guest directly with QEMU (no libvirt, no Nova) and waiting for its marker:
 * the check that the artifacts boot, the way Nova's libvirt driver will boot them (a direct
 * kernel boot with the same command line and an SMBIOS system UUID); then, optionally, pressing
 * its ACPI power button as Nova's stop and soft reboot do, and waiting for it to power off.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { QmpConnection, shutdownReason } from "./qmp";
import { Marker, findMarker, kernelCommandLine } from "./recipe";

/** How QEMU runs the guest: hardware virtualization (KVM) or QEMU's own emulation (TCG). */
export type Accelerator = "kvm" | "tcg";

/**
 * Whether /dev/kvm opens read-write, as QEMU needs it. /proc/cpuinfo is no guide: under nested
 * virtualization it may list no vmx/svm while /dev/kvm works.
 */
export function kvmOpens(device = "/dev/kvm"): boolean {
  try {
    fs.closeSync(fs.openSync(device, "r+"));
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the KVM behind /dev/kvm is PVM ("kvm_pvm", a KVM that needs no vmx/svm, found on
 * machines of the kind this project runs on). /dev/kvm opens and VMs start under it, but the
 * guest's stock Debian kernel printed nothing in 20 minutes there, where TCG boots it to its
 * marker in under 20 s (docs/guest-image.md); so it counts as no KVM for unmodified guests.
 */
export function kvmIsPvm(sysModule = "/sys/module"): boolean {
  return fs.existsSync(`${sysModule}/kvm_pvm`);
}

/** KVM when /dev/kvm opens read-write and is not PVM, TCG otherwise. */
export function detectAccelerator(device = "/dev/kvm", sysModule = "/sys/module"): Accelerator {
  return kvmOpens(device) && !kvmIsPvm(sysModule) ? "kvm" : "tcg";
}

export interface DirectBoot {
  readonly kernel: string;
  readonly initramfs: string;
  /** The SMBIOS system UUID, as Nova's libvirt driver sets it to the instance UUID. */
  readonly uuid: string;
  readonly accelerator: Accelerator;
  /** Default: the kernel command line the Glance image carries. */
  readonly commandLine?: string;
  /** Default 128. */
  readonly memoryMegabytes?: number;
  /** A Unix socket QEMU serves QMP on, for pressing the power button. Default: none. */
  readonly qmpSocket?: string;
}

/**
 * The qemu-system-x86_64 arguments of a direct kernel boot whose first serial port is QEMU's
 * standard output. No network device (none is needed, and its boot ROM costs seconds); no
 * reboot (a guest that panics and reboots ends QEMU instead of looping). A guest that powers
 * off ends QEMU. Pure.
 * @throws Error when `qmpSocket` holds a comma (QEMU's option separator).
 */
export function qemuDirectBootArguments(boot: DirectBoot): string[] {
  if (boot.qmpSocket?.includes(",")) throw new Error(`QMP socket path "${boot.qmpSocket}": expected no comma (QEMU would split the option there)`);
  const qmp = boot.qmpSocket === undefined ? [] : ["-qmp", `unix:${boot.qmpSocket},server=on,wait=off`];
  return [
    "-accel",
    boot.accelerator,
    "-m",
    String(boot.memoryMegabytes ?? 128),
    "-uuid",
    boot.uuid,
    "-kernel",
    boot.kernel,
    "-initrd",
    boot.initramfs,
    "-append",
    boot.commandLine ?? kernelCommandLine,
    "-nographic",
    "-serial",
    "stdio",
    "-monitor",
    "none",
    "-net",
    "none",
    "-no-reboot",
    ...qmp,
  ];
}

export interface BootOptions {
  /** How long QEMU may take to the marker. */
  readonly markerTimeoutMs: number;
  /**
   * When set, after the marker: press the ACPI power button (QMP `system_powerdown`, what
   * libvirt's virDomainShutdown does for Nova's stop and soft reboot) and wait this long for the
   * guest to power off, QEMU then exiting by itself. Unset: QEMU is killed after the marker.
   */
  readonly powerOffTimeoutMs?: number;
  /** Default "qemu-system-x86_64". */
  readonly program?: string;
}

export interface PowerOffResult {
  /** From QEMU's answer to the press to its exit. */
  readonly seconds: number;
  /** The reason of QEMU's SHUTDOWN event: "guest-shutdown" when the guest powered itself off. */
  readonly shutdownReason: string | undefined;
  readonly exitCode: number | null;
  /** What the serial port printed after the marker. */
  readonly console: string;
}

export interface BootResult {
  readonly accelerator: Accelerator;
  /** From starting QEMU to the marker on the serial port. */
  readonly secondsToMarker: number;
  readonly kernelRelease: string;
  /** Everything the serial port printed up to the marker. */
  readonly console: string;
  /** With `powerOffTimeoutMs`: how the guest powered off. */
  readonly powerOff?: PowerOffResult;
}

/**
 * Boots the guest and waits for its marker carrying `boot.uuid`; then presses its power button
 * and waits for it to power off when `options.powerOffTimeoutMs` is set. QEMU is gone when the
 * call settles.
 * @throws Error with the end of the console output when the marker does not come in time, QEMU
 *   exits first, or the guest does not power off in time.
 */
export async function bootGuest(boot: DirectBoot, options: BootOptions): Promise<BootResult> {
  const program = options.program ?? "qemu-system-x86_64";
  const expected = boot.uuid.toLowerCase();
  const socketDir = options.powerOffTimeoutMs === undefined ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "nova-guest-qmp-"));
  const qmpSocket = socketDir === undefined ? undefined : path.join(socketDir, "qmp.sock");
  const started = Date.now();
  const qemu = new RunningQemu(program, qemuDirectBootArguments({ ...boot, qmpSocket }));
  try {
    const marker: Marker | undefined = await qemu.until(() => findMarker(qemu.console), options.markerTimeoutMs);
    if (marker === undefined) {
      throw new Error(
        qemu.exit === undefined
          ? `no marker with uuid ${expected} from the guest (accel ${boot.accelerator}) within ${options.markerTimeoutMs / 1000} s; console ends:\n${qemu.tail()}`
          : `${program} ${qemu.describeExit()} before the guest's marker; console ends:\n${qemu.tail()}`,
      );
    }
    if (marker.uuid !== expected) throw new Error(`the guest wrote the marker with uuid ${marker.uuid}, expected ${expected}`);
    const result: BootResult = {
      accelerator: boot.accelerator,
      secondsToMarker: tenths(Date.now() - started),
      kernelRelease: marker.kernelRelease,
      console: qemu.console,
    };
    if (qmpSocket === undefined || options.powerOffTimeoutMs === undefined) return result;
    return { ...result, powerOff: await pressPowerButton(qemu, qmpSocket, options.powerOffTimeoutMs) };
  } finally {
    await qemu.kill();
    if (socketDir !== undefined) fs.rmSync(socketDir, { recursive: true, force: true });
  }
}

/** Presses the ACPI power button over QMP and waits for QEMU to exit by itself. */
async function pressPowerButton(qemu: RunningQemu, qmpSocket: string, timeoutMs: number): Promise<PowerOffResult> {
  const consoleBefore = qemu.console.length;
  const qmp = await QmpConnection.open(qmpSocket);
  try {
    await qmp.execute("system_powerdown");
    const pressed = Date.now();
    const exit = await qemu.until(() => qemu.exit, timeoutMs);
    const afterMarker = qemu.console.slice(consoleBefore);
    if (exit === undefined) {
      throw new Error(
        `the guest did not power off within ${timeoutMs / 1000} s of the ACPI power button (QMP system_powerdown): ` +
          `it ignores the button Nova's stop and soft reboot press; console since the marker:\n${afterMarker.slice(-2000)}`,
      );
    }
    const seconds = tenths(Date.now() - pressed);
    // QEMU sends its SHUTDOWN event before it exits: all of it is read once the socket closed.
    await qmp.closed;
    return { seconds, shutdownReason: shutdownReason(qmp.events), exitCode: "code" in exit ? exit.code : null, console: afterMarker };
  } finally {
    qmp.close();
  }
}

function tenths(milliseconds: number): number {
  return Math.round(milliseconds / 100) / 10;
}

type QemuExit = { readonly code: number | null; readonly signal: NodeJS.Signals | null } | { readonly error: Error };

/** A QEMU process: its serial output so far, and how it ended once it did. */
class RunningQemu {
  /** The serial port's output (QEMU's standard output). */
  console = "";
  exit: QemuExit | undefined;
  private stderr = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<QemuExit>;
  private readonly onChange = new Set<() => void>();

  constructor(
    private readonly program: string,
    args: readonly string[],
  ) {
    this.child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => {
      const ended = (exit: QemuExit) => {
        if (this.exit !== undefined) return;
        this.exit = exit;
        resolve(exit);
        this.changed();
      };
      this.child.on("close", (code, signal) => ended({ code, signal }));
      this.child.on("error", (error) => ended({ error })); // It never started.
    });
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.console += chunk;
      this.changed();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
  }

  /**
   * The first value other than undefined that `probe` returns, asked at every output and at the
   * exit; undefined when QEMU exits or `timeoutMs` passes first.
   */
  until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const value = probe();
        if (value !== undefined || this.exit !== undefined) done(value);
      };
      const done = (value: T | undefined) => {
        clearTimeout(timer);
        this.onChange.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.onChange.add(check);
      check();
    });
  }

  /** Kills QEMU unless it is gone already; settles once it is. */
  async kill(): Promise<void> {
    if (this.exit === undefined) this.child.kill("SIGKILL");
    await this.exited;
  }

  describeExit(): string {
    const exit = this.exit;
    if (exit === undefined) return "is running";
    if ("error" in exit) return `could not run: ${exit.error.message}`;
    return `exited (${exit.signal ?? `code ${exit.code}`})`;
  }

  tail(): string {
    return `${this.console.slice(-2000)}${this.stderr ? `\n(${this.program} stderr) ${this.stderr.trim().slice(-1000)}` : ""}`;
  }

  private changed(): void {
    for (const listener of [...this.onChange]) listener();
  }
}
