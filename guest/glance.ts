/**
 * How the test guest is registered in Glance, as data. The kernel is an `aki` image and the
 * initramfs an `ari` image, AMI-style; the root disk is a `raw` image whose properties point at
 * both and carry the kernel command line, and Nova's libvirt driver then boots the kernel
 * directly (docs/guest-image.md gives the Nova and Glance code this rests on).
 *
 * The root is `raw`, not `ami`: Debian 12's Nova (Zed with the 2024 image-inspection fixes
 * backported) rejects an `ami` root disk ("Image content does not match disk_format": qemu-img
 * says raw, the check expects "ami"); upstream 2023.1 and later accept both. Pure.
 */
import { artifactFiles, kernelCommandLine } from "./recipe";

export interface GlanceImageSpec {
  /** The image's name, e.g. "nova-installer-guest-kernel". */
  readonly name: string;
  /** The artifact uploaded, a file name in the guest image directory. */
  readonly file: string;
  readonly diskFormat: "aki" | "ari" | "raw";
  /**
   * Equal to disk_format for the kernel and the ramdisk: Glance (2024.1 and later) inspects
   * only "bare" uploads, and it takes the Debian kernel for a "gpt" disk that fails its safety
   * checks, which would refuse an `aki` image in a "bare" container.
   */
  readonly containerFormat: "aki" | "ari" | "bare";
}

export interface GuestGlanceImages {
  readonly kernel: GlanceImageSpec;
  readonly ramdisk: GlanceImageSpec;
  readonly root: GlanceImageSpec;
}

/** The three images, named after `baseName` (default "nova-installer-guest"). */
export function guestGlanceImages(baseName = "nova-installer-guest"): GuestGlanceImages {
  return {
    kernel: { name: `${baseName}-kernel`, file: artifactFiles.kernel, diskFormat: "aki", containerFormat: "aki" },
    ramdisk: { name: `${baseName}-ramdisk`, file: artifactFiles.initramfs, diskFormat: "ari", containerFormat: "ari" },
    root: { name: baseName, file: artifactFiles.rootDisk, diskFormat: "raw", containerFormat: "bare" },
  };
}

/**
 * The root image's properties once the kernel and ramdisk images exist. Nova copies
 * kernel_id and ramdisk_id onto the instance; its libvirt driver then fetches both into the
 * instance directory and writes `<kernel>`, `<initrd>` and `<cmdline>` (os_command_line,
 * which replaces its default "root=... console=tty0 console=ttyS0 console=hvc0").
 */
export function guestRootImageProperties(kernelImageId: string, ramdiskImageId: string): Readonly<Record<string, string>> {
  return { kernel_id: kernelImageId, ramdisk_id: ramdiskImageId, os_command_line: kernelCommandLine };
}
