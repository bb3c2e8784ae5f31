import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { detectAccelerator, kvmOpens, qemuDirectBootArguments } from "../../guest/boot";
import { guestGlanceImages, guestRootImageProperties } from "../../guest/glance";
import { kernelCommandLine } from "../../guest/recipe";

describe("direct boot of the guest with qemu", () => {
  const boot = { kernel: "/c/vmlinuz", initramfs: "/c/initramfs.gz", uuid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", accelerator: "tcg" as const };

  it("boots kernel and initramfs with the Glance command line, the UUID and the serial port on stdout", () => {
    const args = qemuDirectBootArguments(boot);
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-accel")).toBe("tcg");
    expect(after("-kernel")).toBe("/c/vmlinuz");
    expect(after("-initrd")).toBe("/c/initramfs.gz");
    expect(after("-append")).toBe(kernelCommandLine);
    expect(after("-uuid")).toBe(boot.uuid);
    expect(after("-m")).toBe("128");
    expect(after("-serial")).toBe("stdio");
    expect(args).toContain("-no-reboot");
  });

  it("takes KVM only when /dev/kvm opens read-write and is not PVM", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-boot-test-"));
    try {
      const device = path.join(dir, "kvm");
      fs.writeFileSync(device, "");
      const hardwareModules = path.join(dir, "modules-hardware");
      fs.mkdirSync(path.join(hardwareModules, "kvm_intel"), { recursive: true });
      const pvmModules = path.join(dir, "modules-pvm");
      fs.mkdirSync(path.join(pvmModules, "kvm_pvm"), { recursive: true });

      expect(kvmOpens(device)).toBe(true);
      expect(detectAccelerator(device, hardwareModules)).toBe("kvm");
      expect(detectAccelerator(device, pvmModules)).toBe("tcg");
      expect(detectAccelerator(path.join(dir, "absent"), hardwareModules)).toBe("tcg");
      fs.chmodSync(device, 0o400);
      if (process.getuid?.() !== 0) expect(detectAccelerator(device, hardwareModules)).toBe("tcg"); // root opens it anyway
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("guest registration in Glance", () => {
  it("is a triple: aki kernel, ari ramdisk (AMI-style containers), raw root", () => {
    const images = guestGlanceImages();
    expect([images.kernel, images.ramdisk, images.root].map((image) => [image.name, image.file, image.diskFormat, image.containerFormat])).toEqual([
      ["nova-installer-guest-kernel", "vmlinuz", "aki", "aki"],
      ["nova-installer-guest-ramdisk", "initramfs.gz", "ari", "ari"],
      ["nova-installer-guest", "root.img", "raw", "bare"],
    ]);
  });

  it("points the root image at kernel and ramdisk and carries the command line", () => {
    expect(guestRootImageProperties("k-id", "r-id")).toEqual({ kernel_id: "k-id", ramdisk_id: "r-id", os_command_line: "console=ttyS0" });
  });
});
