/**
 * "Packages installed" layers: for each role, the lab image with every package the installer
 * installs on that role already installed, as an overlay layer hosts can start from.
 *
 * What does not need bare hosts (the benchmark's quick mode, tests of what comes after package
 * installation) starts from these and skips minutes of dpkg per host. A host on a layer is in
 * the state package installation leaves: packages unpacked and configured, units enabled with
 * their packaged configuration (they start at boot, as dpkg would have started them), nothing
 * of the installer's yet. The installer's package steps then find everything installed.
 *
 * Built once per image and package list in the image's cache directory, the way the image is:
 * in a temporary directory renamed into place as the last step, under the image build lock.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { OsProfile, rolePackages } from "../profiles/profiles";
import { run } from "./exec";
import { LabImage, acquireBuildLock, chrootEnvironment, denyServiceStarts, finishImage, imagePaths, removeAbandonedBuilds } from "./image";
import type { HostRole } from "./network";
import { removeTree } from "./mounts";
import { Progress, Writer } from "./progress";

/** Where hosts start: bare (the image alone) or with their role's packages installed. */
export type HostStart = "bare" | "installed";

/** Bump when the build steps below change in a way the package list does not capture. */
const layerRecipeVersion = 1;

/** The layer's name: role and a hash of what it holds. Pure. */
export function installedLayerKey(role: HostRole, packages: readonly string[]): string {
  const digest = createHash("sha256")
    .update(JSON.stringify({ layerRecipeVersion, role, packages: [...packages].sort() }))
    .digest("hex")
    .slice(0, 16);
  return `${role}-${digest}`;
}

/** `<image dir>/layers`: layers belong to their image and go with it when it is pruned. */
function layersDir(cacheDir: string, image: LabImage): string {
  return path.join(imagePaths(cacheDir, image.key).dir, "layers");
}

/** The layer's upper directory (an overlay lower directory for the hosts), built when missing. */
export async function ensureInstalledLayer(cacheDir: string, image: LabImage, profile: OsProfile, role: HostRole, write: Writer): Promise<string> {
  const packages = rolePackages(profile, role);
  const key = installedLayerKey(role, packages);
  const dir = layersDir(cacheDir, image);
  const final = path.join(dir, key);
  const done = () => fs.existsSync(path.join(final, "layer.json"));
  if (done()) return path.join(final, "upper");
  fs.mkdirSync(dir, { recursive: true });
  const lock = await acquireBuildLock(dir, key, write);
  try {
    if (!done()) {
      await removeAbandonedBuilds(dir);
      await buildLayer(dir, image, key, packages, write);
    }
  } finally {
    fs.rmSync(lock, { force: true });
  }
  return path.join(final, "upper");
}

async function buildLayer(dir: string, image: LabImage, key: string, packages: readonly string[], write: Writer): Promise<void> {
  const progress = new Progress("layer", write);
  const buildDir = path.join(dir, `.build-${key}-${process.pid}`);
  const upper = path.join(buildDir, "upper");
  const work = path.join(buildDir, "work");
  const merged = path.join(buildDir, "root");
  const log = path.join(buildDir, "build.log");
  for (const directory of [upper, work, merged]) fs.mkdirSync(directory, { recursive: true });
  progress.note(`building ${key} (${packages.length} packages) in ${buildDir} (log: ${log}); once per image`);
  const started = Date.now();
  await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${image.rootfs},upperdir=${upper},workdir=${work}`, merged]);
  try {
    await run("mount", ["-t", "proc", "proc", path.join(merged, "proc")]);
    // Nothing may start on the build machine; the hosts start the units at boot.
    denyServiceStarts(merged);
    await progress.stage(`install ${packages.length} packages`, () =>
      run("chroot", [merged, "apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", ...packages], {
        logFile: log,
        env: chrootEnvironment,
      }),
    );
    finishImage(merged);
  } finally {
    // umount, never a tree removal: deleting through the overlay would record deletions in the layer.
    await run("umount", [path.join(merged, "proc")]).catch(() => undefined);
    await run("umount", [merged]);
  }
  await removeTree(work);
  fs.rmdirSync(merged);
  const record = { key, image: image.key, packages, builtAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000) };
  fs.writeFileSync(path.join(buildDir, "layer.json"), `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(buildDir, path.join(dir, key));
  progress.note(`layer ${key} ready in ${progress.elapsed()}`);
}
