/**
 * The test guest for real: built from Debian's packages (or reused from the cache), then booted
 * with QEMU the way Nova's libvirt driver boots it (a direct kernel boot with the Glance image's
 * command line and an SMBIOS system UUID), waiting for its marker carrying that UUID; then its
 * ACPI power button is pressed, as Nova's stop and soft reboot do, and it must power off.
 *
 * Needs root (it installs qemu-system-x86 with scripts/lab-prereqs.sh when missing). The
 * accelerator is detected (guest/boot.ts); NOVA_INSTALLER_GUEST_ACCEL=kvm or tcg forces one, for
 * measuring KVM where detection refuses it. Under KVM, a TCG boot follows for comparison.
 */
import { createHash, randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { Accelerator, bootGuest, detectAccelerator } from "../../guest/boot";
import { listNewcArchive } from "../../guest/cpio";
import { GuestImage, ensureGuestImage, sha256File } from "../../guest/image";
import { guestImageCacheDir, guestImageKey, guestKernelModules, guestRecipe, initramfsEntries, powerButtonAction } from "../../guest/recipe";
import { haveProgram, run } from "../../lab/exec";
import { prereqsScript } from "../../lab/prereqs";

/** TCG boots it in about 15 s on a machine of this kind; the bound leaves room for a loaded one. */
const markerTimeoutMs = 120_000;
/**
 * From the power button to QEMU's exit: well under a second under TCG (measured, see
 * docs/guest-image.md); a guest that ignores the button never powers off, and Nova would wait
 * 60 s (stop) or 120 s (soft reboot) before destroying it.
 */
const powerOffTimeoutMs = 20_000;
const qemuProgram = "qemu-system-x86_64";

const lines: string[] = [];
function write(line: string): void {
  lines.push(line);
  process.stdout.write(`${line}\n`);
}

function chosenAccelerator(): Accelerator {
  const forced = process.env.NOVA_INSTALLER_GUEST_ACCEL;
  if (forced === undefined || forced === "") return detectAccelerator();
  if (forced !== "kvm" && forced !== "tcg") {
    throw new Error(`NOVA_INSTALLER_GUEST_ACCEL="${forced}": expected "kvm" or "tcg" (or unset, to detect)`);
  }
  return forced;
}

/** Installs qemu-system-x86 with the lab's prerequisites script when the program is missing. */
async function ensureQemu(): Promise<void> {
  if (await haveProgram(qemuProgram)) return;
  write(`[guest-image] ${qemuProgram} missing; running ${prereqsScript}`);
  await run("bash", [prereqsScript]);
  if (!(await haveProgram(qemuProgram))) throw new Error(`${qemuProgram} is still missing after ${prereqsScript}: run it and check its output`);
}

async function bootAndReport(image: GuestImage, accelerator: Accelerator): Promise<void> {
  // Upper case on the way in: the guest must lower-case what it reads from SMBIOS.
  const uuid = randomUUID().toUpperCase();
  write(
    `[guest-image] booting under ${accelerator} with SMBIOS uuid ${uuid} (bound ${markerTimeoutMs / 1000} s, then ${powerOffTimeoutMs / 1000} s to power off)`,
  );
  const result = await bootGuest({ kernel: image.kernel, initramfs: image.initramfs, uuid, accelerator }, { markerTimeoutMs, powerOffTimeoutMs });
  write(
    `[guest-image] accel ${accelerator}: marker after ${result.secondsToMarker.toFixed(1)} s (kernel ${result.kernelRelease}); ` +
      `powered off ${result.powerOff?.seconds.toFixed(1)} s after the power button (QEMU: ${result.powerOff?.shutdownReason})`,
  );
  expect(result.kernelRelease).toBe(image.manifest.kernelRelease);
  expect(result.console).toContain(`nova-installer-guest booted uuid=${uuid.toLowerCase()} kernel=${image.manifest.kernelRelease}`);
  expect(result.console).not.toMatch(/Kernel panic|acpid is not running|insmod: /);
  // The guest itself powered off (not QEMU killed): acpid ran the action, the kernel powered down.
  expect(result.powerOff).toMatchObject({ shutdownReason: "guest-shutdown", exitCode: 0 });
  expect(result.powerOff?.console).toContain(`acpid: ${powerButtonAction.path.slice("etc/acpi/".length)}`);
  expect(result.powerOff?.console).toContain("reboot: Power down");
}

describe.runIf(process.getuid?.() === 0)("guest image (Debian kernel + busybox initramfs, booted by qemu)", () => {
  const cacheDir = guestImageCacheDir(process.env);
  const accelerator = chosenAccelerator();
  let image: GuestImage;

  beforeAll(async () => {
    await ensureQemu();
    image = await ensureGuestImage(cacheDir, write);
  });

  it("holds kernel, initramfs and root disk with their sizes and sha256 in manifest.json", () => {
    expect(image.key).toBe(guestImageKey(guestRecipe()));
    expect(image.dir).toBe(path.join(cacheDir, image.key));
    for (const record of Object.values(image.manifest.artifacts)) {
      const file = path.join(image.dir, record.file);
      expect(fs.statSync(file).size).toBe(record.bytes);
      expect(sha256File(file)).toBe(record.sha256);
    }
    expect(image.manifest.kernelRelease).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    // bookworm's kernels build both power button drivers as modules: the initramfs carries them.
    expect(image.manifest.kernelModules.map((module) => [module.name, module.config])).toEqual(
      guestKernelModules.map((module) => [module.name, "m"]),
    );
    expect(image.manifest.packages.map((entry) => entry.name)).toEqual([
      "linux-image-amd64",
      `linux-image-${image.manifest.kernelRelease}`,
      "busybox-static",
    ]);
    write(
      `[guest-image] kernel ${image.manifest.artifacts.kernel.bytes} bytes, initramfs ${image.manifest.artifacts.initramfs.bytes} bytes, ` +
        `root disk ${image.manifest.artifacts.rootDisk.bytes} bytes (${image.dir})`,
    );
  });

  it("has an initramfs of exactly the recipe's files: /init, the power button's action and the carried modules as recorded", () => {
    const entries = listNewcArchive(gunzipSync(fs.readFileSync(image.initramfs)));
    const carried = new Set(image.manifest.kernelModules.filter((module) => module.config === "m").map((module) => module.name));
    const expected = initramfsEntries.filter((entry) => entry.kind !== "kernelModule" || carried.has(entry.module));
    expect(entries.map((entry) => entry.path)).toEqual(expected.map((entry) => entry.path));
    const data = (file: string) => entries.find((entry) => entry.path === file)!.data;
    expect(data("init").toString("utf8")).toBe(guestRecipe().initScript);
    expect(data(powerButtonAction.path).toString("utf8")).toBe(powerButtonAction.script);
    expect(entries.find((entry) => entry.path === powerButtonAction.path)!.mode & 0o777).toBe(0o755);
    expect(entries.find((entry) => entry.path === "bin/busybox")!.size).toBeGreaterThan(1_000_000);
    for (const module of image.manifest.kernelModules) {
      if (module.config !== "m") continue;
      expect(module.pathInPackage).toBe(
        `lib/modules/${image.manifest.kernelRelease}/kernel/${guestKernelModules.find((entry) => entry.name === module.name)!.fileInKernelTree}`,
      );
      expect(data(module.pathInInitramfs).length).toBe(module.bytes);
      expect(createHash("sha256").update(data(module.pathInInitramfs)).digest("hex")).toBe(module.sha256);
    }
  });

  it("is reused from the cache once built", async () => {
    const again = await ensureGuestImage(cacheDir, write);
    expect(again.manifest.builtAt).toBe(image.manifest.builtAt);
    expect(lines.at(-1)).toBe(`[guest-image] reusing ${image.dir}`);
  });

  it(`boots under ${accelerator} (detected, or forced by NOVA_INSTALLER_GUEST_ACCEL; under TCG too for comparison when that is KVM), writes the marker with its SMBIOS uuid and powers off on the ACPI power button`, async () => {
    for (const each of accelerator === "kvm" ? (["kvm", "tcg"] as const) : ([accelerator] as const)) {
      await bootAndReport(image, each);
    }
  });
});
