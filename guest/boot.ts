/**
 * Booting the test guest directly with QEMU (no libvirt, no Nova) and waiting for its marker:
 * the check that the artifacts boot, the way Nova's libvirt driver will boot them (a direct
 * kernel boot with the same command line and an SMBIOS system UUID).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { findMarker, kernelCommandLine } from "./recipe";

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
}

/**
 * The qemu-system-x86_64 arguments of a direct kernel boot whose first serial port is QEMU's
 * standard output. No network device (none is needed, and its boot ROM costs seconds); no
 * reboot (a guest that panics and reboots ends QEMU instead of looping). Pure.
 */
export function qemuDirectBootArguments(boot: DirectBoot): string[] {
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
  ];
}

export interface BootResult {
  readonly accelerator: Accelerator;
  /** From starting QEMU to the marker on the serial port. */
  readonly secondsToMarker: number;
  readonly kernelRelease: string;
  /** Everything the serial port printed up to the marker. */
  readonly console: string;
}

/**
 * Boots the guest, waits for its marker carrying `boot.uuid`, then stops QEMU.
 * @throws Error with the end of the console output when the marker does not come within
 *   `timeoutMs`, or QEMU exits first.
 */
export function bootToMarker(boot: DirectBoot, timeoutMs: number, program = "qemu-system-x86_64"): Promise<BootResult> {
  const expected = boot.uuid.toLowerCase();
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const qemu = spawn(program, qemuDirectBootArguments(boot), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let stderr = "";
    let settled = false;
    let gone = false;
    // Settles once QEMU is gone, so that no guest outlives the call.
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (gone) {
        outcome();
        return;
      }
      qemu.once("close", outcome);
      qemu.kill("SIGKILL");
    };
    const tail = () => `${output.slice(-2000)}${stderr ? `\n(qemu stderr) ${stderr.trim().slice(-1000)}` : ""}`;
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new Error(
              `no marker with uuid ${expected} from the guest (accel ${boot.accelerator}) within ${timeoutMs / 1000} s; console ends:\n${tail()}`,
            ),
          ),
        ),
      timeoutMs,
    );
    qemu.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const marker = findMarker(output);
      if (marker === undefined) return;
      const secondsToMarker = Math.round((Date.now() - started) / 100) / 10;
      const consoleToMarker = output;
      finish(() => {
        if (marker.uuid !== expected) {
          reject(new Error(`the guest wrote the marker with uuid ${marker.uuid}, expected ${expected}`));
          return;
        }
        resolve({
          accelerator: boot.accelerator,
          secondsToMarker,
          kernelRelease: marker.kernelRelease,
          console: consoleToMarker,
        });
      });
    });
    qemu.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    qemu.on("error", (error) => {
      gone = true; // It never started.
      finish(() => reject(new Error(`cannot run ${program}: ${error.message}`)));
    });
    qemu.on("close", (code, signal) => {
      gone = true;
      finish(() => reject(new Error(`${program} exited (${signal ?? `code ${code}`}) before the guest's marker; console ends:\n${tail()}`)));
    });
  });
}
