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
import type { FileUpload } from "../remote/upload";
import type { GuestImage } from "./manifest";
import { artifactFiles, kernelCommandLine } from "./recipe";

/** The name of the image to boot (the root disk's); the kernel and ramdisk images are named after it. */
export const guestImageName = "nova-installer-guest";

/** Where the artifacts are uploaded on the controller before registration (removed after it). */
export const guestUploadDirectory = "/var/tmp/nova-installer-guest-image";

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

/** The three images, named after `baseName` (default `guestImageName`). */
export function guestGlanceImages(baseName = guestImageName): GuestGlanceImages {
  return {
    kernel: { name: `${baseName}-kernel`, file: artifactFiles.kernel, diskFormat: "aki", containerFormat: "aki" },
    ramdisk: { name: `${baseName}-ramdisk`, file: artifactFiles.initramfs, diskFormat: "ari", containerFormat: "ari" },
    root: { name: baseName, file: artifactFiles.rootDisk, diskFormat: "raw", containerFormat: "bare" },
  };
}

/** The root image's properties that hold another image's id: property -> which image. */
const rootImageReferences = { kernel_id: "kernel", ramdisk_id: "ramdisk" } as const satisfies Record<string, keyof GuestGlanceImages>;

/** The root image's properties that are plain values. */
const rootImageValues = { os_command_line: kernelCommandLine } as const;

/**
 * The root image's properties once the kernel and ramdisk images exist. Nova copies
 * kernel_id and ramdisk_id onto the instance; its libvirt driver then fetches both into the
 * instance directory and writes `<kernel>`, `<initrd>` and `<cmdline>` (os_command_line,
 * which replaces its default "root=... console=tty0 console=ttyS0 console=hvc0").
 */
export function guestRootImageProperties(kernelImageId: string, ramdiskImageId: string): Readonly<Record<string, string>> {
  const ids = { kernel: kernelImageId, ramdisk: ramdiskImageId };
  return { kernel_id: ids[rootImageReferences.kernel_id], ramdisk_id: ids[rootImageReferences.ramdisk_id], ...rootImageValues };
}

/** One image to make Glance hold, in the order they are registered. */
export interface GlanceImageEntry {
  readonly name: string;
  /** The uploaded file on the controller. */
  readonly file: string;
  readonly diskFormat: string;
  readonly containerFormat: string;
  /** Properties with plain values. */
  readonly properties: Readonly<Record<string, string>>;
  /** Properties holding the id of an image registered before this one: property -> that image's name. */
  readonly imageIdProperties: Readonly<Record<string, string>>;
}

/** What registering the guest image takes: the files to upload to the controller, then the images made of them. */
export interface GuestImageRegistration {
  readonly uploads: readonly FileUpload[];
  readonly images: readonly GlanceImageEntry[];
}

/** The registration of a built guest image: its artifacts uploaded into `uploadDirectory`, then kernel, ramdisk, root. */
export function guestImageRegistration(image: GuestImage, uploadDirectory = guestUploadDirectory): GuestImageRegistration {
  const specs = guestGlanceImages();
  const artifacts = { kernel: image.manifest.artifacts.kernel, ramdisk: image.manifest.artifacts.initramfs, root: image.manifest.artifacts.rootDisk };
  const sources = { kernel: image.kernel, ramdisk: image.initramfs, root: image.rootDisk };
  const order = ["kernel", "ramdisk", "root"] as const;
  const remote = (role: (typeof order)[number]) => `${uploadDirectory}/${specs[role].file}`;
  return {
    uploads: order.map((role) => ({ source: sources[role], path: remote(role), sha256: artifacts[role].sha256 })),
    images: order.map((role) => ({
      name: specs[role].name,
      file: remote(role),
      diskFormat: specs[role].diskFormat,
      containerFormat: specs[role].containerFormat,
      properties: role === "root" ? rootImageValues : {},
      imageIdProperties:
        role === "root" ? Object.fromEntries(Object.entries(rootImageReferences).map(([property, target]) => [property, specs[target].name])) : {},
    })),
  };
}
