import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { findGuestImage, sha256File } from "../../guest/image";
import { artifactFiles, guestImageKey, guestRecipe } from "../../guest/recipe";

describe("guest image cache", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A cache holding the current recipe's image, with made-up artifact contents. */
  function cacheWithImage(): { cacheDir: string; imageDir: string } {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-image-cache-"));
    dirs.push(cacheDir);
    const recipe = guestRecipe();
    const imageDir = path.join(cacheDir, guestImageKey(recipe));
    fs.mkdirSync(imageDir);
    const record = (file: string, content: string) => {
      fs.writeFileSync(path.join(imageDir, file), content);
      return { file, bytes: Buffer.byteLength(content), sha256: sha256File(path.join(imageDir, file)) };
    };
    const artifacts = {
      kernel: record(artifactFiles.kernel, "kernel"),
      initramfs: record(artifactFiles.initramfs, "initramfs"),
      rootDisk: record(artifactFiles.rootDisk, "root"),
    };
    const manifest = { key: guestImageKey(recipe), recipe, packages: [], kernelRelease: "6.1.0-1-amd64", artifacts, builtAt: "", stageSeconds: {} };
    fs.writeFileSync(path.join(imageDir, artifactFiles.manifest), JSON.stringify(manifest));
    return { cacheDir, imageDir };
  }

  it("finds an intact image of the current recipe", () => {
    const { cacheDir, imageDir } = cacheWithImage();
    expect(findGuestImage(cacheDir)).toMatchObject({
      dir: imageDir,
      kernel: path.join(imageDir, "vmlinuz"),
      rootDisk: path.join(imageDir, "root.img"),
    });
  });

  it("ignores an image whose artifact changed, is missing, or whose manifest is damaged (it is built again)", () => {
    const changed = cacheWithImage();
    fs.writeFileSync(path.join(changed.imageDir, artifactFiles.initramfs), "initramfx");
    expect(findGuestImage(changed.cacheDir)).toBeUndefined();

    const missing = cacheWithImage();
    fs.rmSync(path.join(missing.imageDir, artifactFiles.kernel));
    expect(findGuestImage(missing.cacheDir)).toBeUndefined();

    const damaged = cacheWithImage();
    fs.writeFileSync(path.join(damaged.imageDir, artifactFiles.manifest), "{");
    expect(findGuestImage(damaged.cacheDir)).toBeUndefined();
  });

  it("ignores images of another recipe", () => {
    const { cacheDir } = cacheWithImage();
    const other = { ...guestRecipe(), recipeVersion: guestRecipe().recipeVersion + 1 };
    expect(findGuestImage(cacheDir, other)).toBeUndefined();
  });
});
