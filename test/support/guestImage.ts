/**
 * Guest image directories for tests: the layout `ensureGuestImage` writes (artifacts and a
 * manifest.json with their sizes and sha256), with made-up contents.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { GuestImageManifest } from "../../guest/manifest";
import { artifactFiles, guestImageKey, guestRecipe } from "../../guest/recipe";

/** Writes a guest image into `dir` (created) whose artifacts hold `contents`; returns its manifest. */
export function writeGuestImage(
  dir: string,
  contents: { kernel: string; initramfs: string; rootDisk: string } = { kernel: "kernel", initramfs: "initramfs", rootDisk: "root" },
): GuestImageManifest {
  fs.mkdirSync(dir, { recursive: true });
  const record = (file: string, content: string) => {
    fs.writeFileSync(path.join(dir, file), content);
    return { file, bytes: Buffer.byteLength(content), sha256: createHash("sha256").update(content).digest("hex") };
  };
  const recipe = guestRecipe();
  const manifest: GuestImageManifest = {
    key: guestImageKey(recipe),
    recipe,
    packages: [],
    kernelRelease: "6.1.0-1-amd64",
    kernelModules: [],
    artifacts: {
      kernel: record(artifactFiles.kernel, contents.kernel),
      initramfs: record(artifactFiles.initramfs, contents.initramfs),
      rootDisk: record(artifactFiles.rootDisk, contents.rootDisk),
    },
    builtAt: "",
    stageSeconds: {},
  };
  fs.writeFileSync(path.join(dir, artifactFiles.manifest), JSON.stringify(manifest));
  return manifest;
}
