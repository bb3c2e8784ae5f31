/**
 * A built guest image directory as its manifest.json describes it, and the check that its files
 * are still what the manifest says. Read by the build's cache (image.ts) and by the stack
 * configuration (`nova-installer:guestImage`), which needs no build tooling: this module reads
 * files and hashes them, nothing else.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { GuestRecipe } from "./recipe";

/** manifest.json's file name in an image directory (recipe.ts `artifactFiles.manifest`). */
export const manifestFile = "manifest.json";

export interface ArtifactRecord {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * One of the recipe's kernel modules: built into the kernel (nothing to carry), or a module file
 * the initramfs carries, with where it came from.
 */
export type KernelModuleRecord =
  | { readonly name: string; readonly option: string; readonly config: "y" }
  | {
      readonly name: string;
      readonly option: string;
      readonly config: "m";
      /** In the kernel package, e.g. "lib/modules/6.1.0-57-amd64/kernel/drivers/acpi/button.ko". */
      readonly pathInPackage: string;
      /** In the initramfs, e.g. "lib/modules/button.ko". */
      readonly pathInInitramfs: string;
      readonly bytes: number;
      readonly sha256: string;
    };

/** manifest.json, written beside the artifacts once the build succeeded. */
export interface GuestImageManifest {
  readonly key: string;
  readonly recipe: GuestRecipe;
  /** The packages the artifacts were taken from, as apt resolved them at build time. */
  readonly packages: readonly { readonly name: string; readonly version: string }[];
  /** `uname -r` of the kernel, e.g. "6.1.0-41-amd64". */
  readonly kernelRelease: string;
  readonly kernelModules: readonly KernelModuleRecord[];
  readonly artifacts: { readonly kernel: ArtifactRecord; readonly initramfs: ArtifactRecord; readonly rootDisk: ArtifactRecord };
  readonly builtAt: string;
  readonly stageSeconds: Readonly<Record<string, number>>;
}

export interface GuestImage {
  readonly key: string;
  readonly dir: string;
  /** Absolute paths of the artifacts. */
  readonly kernel: string;
  readonly initramfs: string;
  readonly rootDisk: string;
  readonly manifest: GuestImageManifest;
}

export function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

const artifactRoles = ["kernel", "initramfs", "rootDisk"] as const;

function isArtifactRecord(value: unknown): value is ArtifactRecord {
  const record = value as Partial<ArtifactRecord> | null;
  return (
    typeof record === "object" &&
    record !== null &&
    typeof record.file === "string" &&
    record.file !== "" &&
    path.basename(record.file) === record.file &&
    typeof record.bytes === "number" &&
    typeof record.sha256 === "string" &&
    /^[0-9a-f]{64}$/.test(record.sha256)
  );
}

/**
 * The image in `dir` when its manifest is readable and every artifact it lists is there with
 * its size and sha256; otherwise why not ("has no manifest.json", "vmlinuz: sha256 ..., the
 * manifest says ..."), a phrase that follows the directory's name in a message.
 */
export function inspectGuestImage(dir: string): { readonly image: GuestImage } | { readonly problem: string } {
  const manifestPath = path.join(dir, manifestFile);
  if (!fs.existsSync(dir)) return { problem: "does not exist" };
  if (!fs.existsSync(manifestPath)) return { problem: `has no ${manifestFile} (not a built guest image)` };
  let manifest: GuestImageManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as GuestImageManifest;
  } catch (error) {
    return { problem: `has a damaged ${manifestFile}: ${(error as Error).message}` };
  }
  const missing = artifactRoles.filter((role) => !isArtifactRecord(manifest?.artifacts?.[role]));
  if (missing.length > 0) return { problem: `has a ${manifestFile} without a valid record of ${missing.join(", ")}` };
  for (const role of artifactRoles) {
    const record = manifest.artifacts[role];
    const file = path.join(dir, record.file);
    if (!fs.existsSync(file)) return { problem: `lacks ${record.file}, which ${manifestFile} lists` };
    const bytes = fs.statSync(file).size;
    if (bytes !== record.bytes) return { problem: `holds a ${record.file} of ${bytes} bytes; ${manifestFile} says ${record.bytes}` };
    const sha256 = sha256File(file);
    if (sha256 !== record.sha256) return { problem: `holds a ${record.file} with sha256 ${sha256}; ${manifestFile} says ${record.sha256}` };
  }
  return {
    image: {
      key: manifest.key,
      dir,
      kernel: path.join(dir, manifest.artifacts.kernel.file),
      initramfs: path.join(dir, manifest.artifacts.initramfs.file),
      rootDisk: path.join(dir, manifest.artifacts.rootDisk.file),
      manifest,
    },
  };
}
