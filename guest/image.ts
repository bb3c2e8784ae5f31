/**
 * Builds the test guest's artifacts (kernel, initramfs, root disk) from Debian packages into
 * a cache directory outside the repo, once per recipe, and reuses them after.
 *
 * Packages come from this machine's apt (`apt-get download`, no root file system, no chroot): the
 * kernel and the few modules the guest loads are taken out of its package with
 * `dpkg-deb --fsys-tarfile`, busybox with `dpkg-deb -x`. The initramfs is written by cpio.ts. A
 * build happens in a temporary directory renamed into place as the last step, so an interrupted
 * build never looks complete.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { run } from "../lab/exec";
import { processAlive } from "../lab/image";
import { Progress, Writer } from "../lab/progress";
import { CpioEntry, newcArchive } from "./cpio";
import { ArtifactRecord, GuestImage, GuestImageManifest, KernelModuleRecord, inspectGuestImage, sha256File } from "./manifest";
import {
  GuestKernelModule,
  GuestRecipe,
  artifactFiles,
  busyboxPathInPackage,
  guestImageKey,
  guestRecipe,
  kernelConfigProblems,
  kernelModuleDependencies,
  kernelModulePathInInitramfs,
  kernelModulePathInPackage,
  kernelModulePlan,
} from "./recipe";

export type { ArtifactRecord, GuestImage, GuestImageManifest, KernelModuleRecord } from "./manifest";
export { sha256File } from "./manifest";

const buildPrefix = ".build-";

/** The image for the current recipe from `cacheDir`, if it was built and its files are intact. */
export function findGuestImage(cacheDir: string, recipe: GuestRecipe = guestRecipe()): GuestImage | undefined {
  const inspected = inspectGuestImage(path.join(cacheDir, guestImageKey(recipe)));
  // Missing, damaged or changed: the image is built again.
  return "image" in inspected ? inspected.image : undefined;
}

/**
 * The image for the current recipe, built first when it is missing or damaged.
 * @throws Error naming the stage and the command that failed.
 */
export async function ensureGuestImage(cacheDir: string, write: Writer): Promise<GuestImage> {
  const recipe = guestRecipe();
  const existing = findGuestImage(cacheDir, recipe);
  if (existing !== undefined) {
    write(`[guest-image] reusing ${existing.dir}`);
    return existing;
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  removeAbandonedBuilds(cacheDir);
  return buildGuestImage(cacheDir, recipe, write);
}

async function buildGuestImage(cacheDir: string, recipe: GuestRecipe, write: Writer): Promise<GuestImage> {
  const key = guestImageKey(recipe);
  const progress = new Progress("guest-image", write);
  const buildDir = path.join(cacheDir, `${buildPrefix}${key}-${process.pid}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "nova-guest-image-"));
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.mkdirSync(buildDir, { recursive: true });
  progress.note(`building ${key} in ${buildDir} (packages unpacked in ${work})`);
  const stageSeconds: Record<string, number> = {};
  const timed = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    const result = await progress.stage(name, body);
    stageSeconds[name] = Math.round((Date.now() - start) / 100) / 10;
    return result;
  };
  try {
    const debs = await timed("download packages", () => downloadPackages(recipe, path.join(work, "debs")));
    const kernel = await timed("extract kernel", () =>
      extractKernel(recipe, debs.kernel.file, path.join(work, "kernel"), path.join(buildDir, artifactFiles.kernel)),
    );
    const kernelRelease = kernel.release;
    await timed("write initramfs", () =>
      writeInitramfs(recipe, debs.busybox.file, kernel.modules, path.join(work, "busybox"), path.join(buildDir, artifactFiles.initramfs)),
    );
    await timed("write root disk", () => Promise.resolve(writeZeros(path.join(buildDir, artifactFiles.rootDisk), recipe.rootDiskBytes)));

    const record = (file: string): ArtifactRecord => {
      const full = path.join(buildDir, file);
      return { file, bytes: fs.statSync(full).size, sha256: sha256File(full) };
    };
    const manifest: GuestImageManifest = {
      key,
      recipe,
      packages: [debs.kernelMetapackage, debs.kernel, debs.busybox].map(({ name, version }) => ({ name, version })),
      kernelRelease,
      kernelModules: kernel.modules.map(({ data: _data, ...record }) => record),
      artifacts: {
        kernel: record(artifactFiles.kernel),
        initramfs: record(artifactFiles.initramfs),
        rootDisk: record(artifactFiles.rootDisk),
      },
      builtAt: new Date().toISOString(),
      stageSeconds,
    };
    fs.writeFileSync(path.join(buildDir, artifactFiles.manifest), `${JSON.stringify(manifest, null, 2)}\n`);

    const final = path.join(cacheDir, key);
    // The rename is the commit point. A damaged image of the same key is replaced; one that another
    // process finished meanwhile is kept and this build dropped.
    if (fs.existsSync(final) && findGuestImage(cacheDir, recipe) === undefined) fs.rmSync(final, { recursive: true, force: true });
    try {
      fs.renameSync(buildDir, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      fs.rmSync(buildDir, { recursive: true, force: true });
    }
    const artifacts = manifest.artifacts;
    progress.note(
      `image ${key} ready in ${progress.elapsed()}: kernel ${kernelRelease} ${artifacts.kernel.bytes} bytes ` +
        `(modules carried: ${describeModules(manifest.kernelModules)}), ` +
        `initramfs ${artifacts.initramfs.bytes} bytes, root disk ${artifacts.rootDisk.bytes} bytes`,
    );
    const built = findGuestImage(cacheDir, recipe);
    if (built === undefined) throw new Error(`the guest image ${key} was built but ${final} does not hold it intact`);
    return built;
  } catch (error) {
    fs.rmSync(buildDir, { recursive: true, force: true });
    throw error;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface DownloadedPackage {
  readonly name: string;
  readonly version: string;
  readonly file: string;
}

/**
 * The real kernel package a kernel metapackage depends on, from its Depends field, e.g.
 * "linux-image-6.1.0-41-amd64 (= 6.1.158-1)". Pure.
 * @throws Error quoting the field when no linux-image dependency is in it.
 */
export function kernelPackageFromDepends(depends: string): { name: string; version?: string } {
  for (const alternative of depends.split(/[,|]/)) {
    const match = /^\s*(linux-image-[a-z0-9.+-]+)\s*(?:\(\s*=\s*([^)\s]+)\s*\))?\s*$/.exec(alternative);
    if (match !== null) return match[2] === undefined ? { name: match[1] } : { name: match[1], version: match[2] };
  }
  throw new Error(`the kernel metapackage's Depends "${depends}" names no linux-image-* package`);
}

/** Downloads the recipe's packages (and the kernel the metapackage points at) into `dir`. */
async function downloadPackages(
  recipe: GuestRecipe,
  dir: string,
): Promise<{ kernelMetapackage: DownloadedPackage; kernel: DownloadedPackage; busybox: DownloadedPackage }> {
  fs.mkdirSync(dir, { recursive: true });
  checkSuite(recipe.suite);
  await ensureAptKnows([recipe.packages.kernel, recipe.packages.busybox]);
  await aptDownload(dir, [recipe.packages.kernel, recipe.packages.busybox]);
  const kernelMetapackage = await downloaded(dir, recipe.packages.kernel);
  const busybox = await downloaded(dir, recipe.packages.busybox);
  const depends = (await run("dpkg-deb", ["-f", kernelMetapackage.file, "Depends"])).stdout.trim();
  const kernelPackage = kernelPackageFromDepends(depends);
  await aptDownload(dir, [kernelPackage.version === undefined ? kernelPackage.name : `${kernelPackage.name}=${kernelPackage.version}`]);
  return { kernelMetapackage, kernel: await downloaded(dir, kernelPackage.name), busybox };
}

const aptEnvironment: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", DEBIAN_FRONTEND: "noninteractive" };

/** `apt-get download` as root warns that the `_apt` user cannot write `dir`; letting it write avoids that. */
async function aptDownload(dir: string, packages: readonly string[]): Promise<void> {
  fs.chmodSync(dir, 0o777);
  // apt-get download writes to the working directory.
  await run("sh", ["-c", 'cd "$1" && shift && exec apt-get download "$@"', "sh", dir, ...packages], { env: aptEnvironment });
}

/** Runs `apt-get update` once when apt knows none of `packages` yet (fresh machines have no lists). */
async function ensureAptKnows(packages: readonly string[]): Promise<void> {
  const known = await run("apt-cache", ["show", ...packages], { env: aptEnvironment, allowFailure: true });
  if (known.exitCode === 0) return;
  await run("apt-get", ["update"], { env: aptEnvironment });
}

/** The guest's packages are this machine's apt's: it must be the recipe's Debian release. */
function checkSuite(suite: string): void {
  const osRelease = fs.existsSync("/etc/os-release") ? fs.readFileSync("/etc/os-release", "utf8") : "";
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, "");
  if (codename !== suite) {
    throw new Error(
      `the guest image takes its packages from this machine's apt, which must be Debian ${suite}; /etc/os-release says VERSION_CODENAME=${codename ?? "(none)"}`,
    );
  }
}

async function downloaded(dir: string, name: string): Promise<DownloadedPackage> {
  const files = fs.readdirSync(dir).filter((file) => file.startsWith(`${name}_`) && file.endsWith(".deb"));
  if (files.length !== 1) {
    throw new Error(`expected one downloaded ${name}_*.deb in ${dir}, found ${files.length}: ${files.join(", ") || "none"}`);
  }
  const file = path.join(dir, files[0]);
  const version = (await run("dpkg-deb", ["-f", file, "Version"])).stdout.trim();
  return { name, version, file };
}

/** A recipe module as the build found it: built in, or its file read from the kernel package. */
type ExtractedModule = KernelModuleRecord & { readonly data?: Buffer };

/**
 * Copies the kernel image out of its package to `target` after checking that its config builds
 * in what the guest needs, and reads the module files of what it builds as modules. One pass
 * over the package (decompressing it is most of the build's time) unpacks /boot and the
 * recipe's module files; the rest (hundreds of MB of modules) stays packed.
 * @returns the kernel release, e.g. "6.1.0-57-amd64", and the recipe's modules.
 * @throws Error naming the kernel options the config lacks, or a module file the package lacks.
 */
async function extractKernel(
  recipe: GuestRecipe,
  deb: string,
  dir: string,
  target: string,
): Promise<{ release: string; modules: readonly ExtractedModule[] }> {
  fs.mkdirSync(dir, { recursive: true });
  // The release is known from /boot only, hence a pattern; a driver the kernel builds in has no
  // file, which tar reports "Not found in archive": the config check below decides about that.
  const modulePatterns = recipe.kernelModules.map((module) => `./${kernelModulePathInPackage("*", module)}`);
  const unpack = await run(
    "sh",
    ["-c", 'deb=$1 dir=$2; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards ./boot "$@"', "sh", deb, dir, ...modulePatterns],
    { allowFailure: true },
  );
  const tarErrors = unexpectedTarErrors(unpack.stderr, modulePatterns);
  if (unpack.exitCode !== 0 && (unpack.exitCode !== 2 || tarErrors.length > 0)) {
    throw new Error(
      `unpacking /boot and the kernel modules of ${path.basename(deb)} failed (exit code ${unpack.exitCode}):\n${unpack.stderr.trim()}`,
    );
  }
  const boot = path.join(dir, "boot");
  const images = fs.existsSync(boot) ? fs.readdirSync(boot).filter((file) => file.startsWith("vmlinuz-")) : [];
  if (images.length !== 1) throw new Error(`expected one /boot/vmlinuz-* in ${path.basename(deb)}, found ${images.join(", ") || "none"}`);
  const release = images[0].slice("vmlinuz-".length);
  const configFile = path.join(boot, `config-${release}`);
  const config = fs.readFileSync(configFile, "utf8");
  const problems = kernelConfigProblems(config, recipe.kernelModules);
  if (problems.length > 0) throw new Error(`kernel ${release} (${path.basename(deb)}) ${problems.join("; ")}, in ${configFile}`);
  const plan = kernelModulePlan(config, recipe.kernelModules);
  const carried = plan.carried.map((module) => readModule(deb, dir, release, module));
  checkModuleDependencies(carried);
  fs.copyFileSync(path.join(boot, images[0]), target);
  const modules = recipe.kernelModules.map(
    (module): ExtractedModule => carried.find((entry) => entry.name === module.name) ?? { name: module.name, option: module.option, config: "y" },
  );
  return { release, modules };
}

function readModule(deb: string, dir: string, release: string, module: GuestKernelModule): ExtractedModule & { readonly data: Buffer } {
  const pathInPackage = kernelModulePathInPackage(release, module);
  const file = path.join(dir, pathInPackage);
  if (!fs.existsSync(file)) {
    throw new Error(`kernel ${release} builds ${module.option} as a module (=m) but ${path.basename(deb)} has no /${pathInPackage}`);
  }
  const data = fs.readFileSync(file);
  return {
    name: module.name,
    option: module.option,
    config: "m",
    pathInPackage,
    pathInInitramfs: kernelModulePathInInitramfs(module),
    bytes: data.length,
    sha256: createHash("sha256").update(data).digest("hex"),
    data,
  };
}

/** Each carried module may need only modules loaded before it (insmod resolves no dependencies). */
function checkModuleDependencies(carried: readonly (ExtractedModule & { readonly data: Buffer })[]): void {
  carried.forEach((module, index) => {
    const loadedBefore = new Set(carried.slice(0, index).map((entry) => entry.name));
    const unmet = kernelModuleDependencies(module.data).filter((name) => !loadedBefore.has(name));
    if (unmet.length > 0) {
      throw new Error(
        `kernel module ${module.name} depends on ${unmet.join(", ")}, which /init does not load before it: add them to guestKernelModules (guest/recipe.ts) ahead of ${module.name}`,
      );
    }
  });
}

/**
 * The lines of tar's standard error other than "Not found in archive" for one of
 * `optionalMembers` and the summary tar adds after such errors. Pure.
 */
export function unexpectedTarErrors(stderr: string, optionalMembers: readonly string[]): string[] {
  const expected = new Set([
    ...optionalMembers.map((member) => `tar: ${member}: Not found in archive`),
    "tar: Exiting with failure status due to previous errors",
  ]);
  return stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !expected.has(line));
}

function describeModules(modules: readonly KernelModuleRecord[]): string {
  return modules.map((module) => (module.config === "m" ? `${module.name} ${module.bytes} bytes` : `${module.name} built in`)).join(", ");
}

/** Writes the gzip-compressed newc initramfs of `recipe.initramfsEntries`; a module built into the kernel has no entry. */
async function writeInitramfs(
  recipe: GuestRecipe,
  busyboxDeb: string,
  modules: readonly ExtractedModule[],
  dir: string,
  target: string,
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await run("dpkg-deb", ["-x", busyboxDeb, dir]);
  const busybox = fs.readFileSync(path.join(dir, busyboxPathInPackage));
  const fileData = { init: Buffer.from(recipe.initScript, "utf8"), busybox, powerButtonAction: Buffer.from(recipe.powerButtonAction, "utf8") };
  const entries = recipe.initramfsEntries.flatMap((entry): CpioEntry[] => {
    switch (entry.kind) {
      case "file":
        return [{ kind: "file", path: entry.path, mode: entry.mode, data: fileData[entry.source] }];
      case "kernelModule": {
        const module = modules.find((candidate) => candidate.name === entry.module);
        if (module === undefined) {
          throw new Error(`initramfs entry ${entry.path}: kernel module ${entry.module} is not in the recipe's kernelModules`);
        }
        return module.data === undefined ? [] : [{ kind: "file", path: entry.path, mode: entry.mode, data: module.data }];
      }
      case "directory":
      case "characterDevice":
        return [entry];
    }
  });
  fs.writeFileSync(target, gzipSync(newcArchive(entries), { level: 9 }));
}

function writeZeros(file: string, bytes: number): void {
  fs.writeFileSync(file, Buffer.alloc(bytes));
}

/** Deletes temporary build directories whose builder is gone (interrupted builds). */
function removeAbandonedBuilds(cacheDir: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const match = /^\.build-.*-(\d+)$/.exec(name);
    if (match !== null && !processAlive(Number(match[1]))) fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
}
