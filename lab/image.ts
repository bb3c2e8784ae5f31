/**
 * Builds the lab image once per set of inputs and caches it outside the repo.
 *
 * The image is a Debian minbase root (the lab profile's release) with systemd and sshd whose apt cache already holds
 * every package the installer installs, so hosts without a route out can still `apt-get install`.
 * A build happens in a temporary directory that is renamed into place as the last step: an
 * interrupted build never looks complete, and a later run deletes its leftovers.
 */
import * as fs from "fs";
import * as path from "path";
import { run } from "./exec";
import type { OsProfile } from "../profiles/profiles";
import { ImageInputs, debootstrapIncludes, imageInputs, imageKey, imageMirror, imageSecurityMirror } from "./image-recipe";
import { overlayLowerDirs, removeTree } from "./mounts";
import { Progress, Writer } from "./progress";

export interface LabImage {
  readonly key: string;
  /** The root file system: the read-only lower layer of every host. */
  readonly rootfs: string;
}

/** Written next to the root file system once the build succeeded. */
interface ImageRecord {
  readonly key: string;
  readonly inputs: ImageInputs;
  readonly builtAt: string;
  readonly stageSeconds: Readonly<Record<string, number>>;
  readonly cachedDebs: number;
}

const buildPrefix = ".build-";

export function imagePaths(cacheDir: string, key: string): { dir: string; rootfs: string; record: string } {
  const dir = path.join(cacheDir, key);
  return { dir, rootfs: path.join(dir, "rootfs"), record: path.join(dir, "image.json") };
}

/** The cached image for the current inputs, if it was built. */
function findImage(cacheDir: string, inputs: ImageInputs): LabImage | undefined {
  const key = imageKey(inputs);
  const paths = imagePaths(cacheDir, key);
  return fs.existsSync(paths.record) ? { key, rootfs: paths.rootfs } : undefined;
}

/** Returns the cached image of the profile's current inputs, building it first when missing. */
export async function ensureImage(cacheDir: string, profile: OsProfile, write: Writer): Promise<LabImage> {
  const inputs = imageInputs(profile);
  const existing = findImage(cacheDir, inputs);
  if (existing !== undefined) return existing;
  fs.mkdirSync(cacheDir, { recursive: true });
  const key = imageKey(inputs);
  const lock = await acquireBuildLock(cacheDir, key, write);
  try {
    // Another process may have finished this very build while we waited for the lock.
    const builtMeanwhile = findImage(cacheDir, inputs);
    if (builtMeanwhile !== undefined) return builtMeanwhile;
    await removeAbandonedBuilds(cacheDir);
    return await buildImage(cacheDir, inputs, key, write);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function buildImage(cacheDir: string, inputs: ImageInputs, key: string, write: Writer): Promise<LabImage> {
  const progress = new Progress("image", write);
  const buildDir = path.join(cacheDir, `${buildPrefix}${key}-${process.pid}`);
  const rootfs = path.join(buildDir, "rootfs");
  const log = path.join(buildDir, "build.log");
  fs.mkdirSync(buildDir, { recursive: true });
  progress.note(`building ${key} in ${buildDir} (log: ${log}); this takes minutes, once`);
  const stageSeconds: Record<string, number> = {};
  const timed = async (name: string, body: () => Promise<unknown>): Promise<void> => {
    const start = Date.now();
    await progress.stage(name, body);
    stageSeconds[name] = Math.round((Date.now() - start) / 100) / 10;
  };
  const chroot = (args: readonly string[]) => run("chroot", [rootfs, ...args], { logFile: log, env: chrootEnvironment });

  await timed("debootstrap", () =>
    run("debootstrap", ["--variant=minbase", `--include=${debootstrapIncludes.join(",")}`, inputs.suite, rootfs, imageMirror], { logFile: log }),
  );
  prepareApt(rootfs, inputs.suite);
  await run("mount", ["-t", "proc", "proc", path.join(rootfs, "proc")]);
  try {
    await timed("apt update and upgrade", async () => {
      await chroot(["apt-get", "update"]);
      await chroot(["apt-get", "-y", "dist-upgrade"]);
    });
    for (const group of inputs.packageGroups) {
      await timed(`package download (${group.name}, ${group.packages.length} packages)`, () =>
        chroot(["apt-get", "-y", "--download-only", "--no-install-recommends", "install", ...group.packages]),
      );
    }
  } finally {
    await run("umount", [path.join(rootfs, "proc")]);
  }
  finishImage(rootfs);

  const cachedDebs = fs.readdirSync(path.join(rootfs, "var/cache/apt/archives")).filter((name) => name.endsWith(".deb")).length;
  const record: ImageRecord = { key, inputs, builtAt: new Date().toISOString(), stageSeconds, cachedDebs };
  fs.writeFileSync(path.join(buildDir, "image.json"), `${JSON.stringify(record, null, 2)}\n`);
  // The rename is the commit point: only a complete build ever carries the final name.
  const final = imagePaths(cacheDir, key);
  fs.renameSync(buildDir, final.dir);
  progress.note(`image ${key} ready: ${cachedDebs} packages cached, total ${progress.elapsed()}`);
  return { key, rootfs: final.rootfs };
}

export const chrootEnvironment: NodeJS.ProcessEnv = {
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LC_ALL: "C",
  DEBIAN_FRONTEND: "noninteractive",
  HOME: "/root",
};

/** apt sources and settings for the build and for the hosts that boot from the image. */
function prepareApt(rootfs: string, suite: string): void {
  const etc = path.join(rootfs, "etc");
  fs.writeFileSync(
    path.join(etc, "apt/sources.list"),
    [`deb ${imageMirror} ${suite} main`, `deb ${imageMirror} ${suite}-updates main`, `deb ${imageSecurityMirror} ${suite}-security main`, ""].join(
      "\n",
    ),
  );
  // apt-get keeps downloaded packages by default; `apt` and some images' docker-clean hook
  // do not. The cache is the hosts' only package source, so nothing may delete from it.
  fs.writeFileSync(
    path.join(etc, "apt/apt.conf.d/90nova-lab-offline-cache"),
    [
      "// Written by nova-installer lab: the hosts have no route out; this cache is their package source.",
      'APT::Keep-Downloaded-Packages "true";',
      'Binary::apt::APT::Keep-Downloaded-Packages "true";',
      'APT::Periodic::AutocleanInterval "0";',
      'APT::Periodic::Update-Package-Lists "0";',
      'APT::Periodic::Unattended-Upgrade "0";',
      "",
    ].join("\n"),
  );
  fs.rmSync(path.join(etc, "apt/apt.conf.d/docker-clean"), { force: true });
  // Package upgrades in the chroot must not start services on the build machine.
  denyServiceStarts(rootfs);
}

/** A policy-rc.d that denies every service start in `rootfs` (finishImage removes it). */
export function denyServiceStarts(rootfs: string): void {
  fs.writeFileSync(path.join(rootfs, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
}

/** Removes what must be per host or belongs to the build machine. */
export function finishImage(rootfs: string): void {
  const etc = path.join(rootfs, "etc");
  fs.rmSync(path.join(rootfs, "usr/sbin/policy-rc.d"), { force: true });
  // Host keys and machine id are identities: every host gets its own in its layer.
  for (const name of fs.readdirSync(path.join(etc, "ssh"))) {
    if (name.startsWith("ssh_host_")) fs.rmSync(path.join(etc, "ssh", name));
  }
  fs.writeFileSync(path.join(etc, "machine-id"), "");
  fs.rmSync(path.join(rootfs, "var/lib/dbus/machine-id"), { force: true });
  // debootstrap copies these from the build machine; nspawn and the layers provide them.
  fs.rmSync(path.join(etc, "hostname"), { force: true });
  fs.rmSync(path.join(etc, "resolv.conf"), { force: true });
}

/**
 * Deletes cached images other than `keepKey`, except those a mounted host layer uses (a lab
 * still running on an older image, possibly from another checkout). Returns what it did.
 */
export async function pruneImages(cacheDir: string, keepKey: string): Promise<{ removed: string[]; inUse: string[] }> {
  const inUseRoots = new Set(overlayLowerDirs(fs.readFileSync("/proc/self/mountinfo", "utf8")).map((dir) => path.resolve(dir)));
  const removed: string[] = [];
  const inUse: string[] = [];
  if (!fs.existsSync(cacheDir)) return { removed, inUse };
  for (const name of fs.readdirSync(cacheDir)) {
    const paths = imagePaths(cacheDir, name);
    if (name === keepKey || name.startsWith(".") || !fs.existsSync(paths.record)) continue;
    if (inUseRoots.has(path.resolve(paths.rootfs))) {
      inUse.push(name);
      continue;
    }
    await removeTree(paths.dir);
    removed.push(name);
  }
  return { removed, inUse };
}

/** How long to wait for another process building the same image (a cold build takes minutes). */
const buildLockWaitMs = 30 * 60_000;

/**
 * A lock file created exclusively, holding the builder's pid, so two builds never race; a
 * second `lab up` (another lab, another checkout) waits for the first one's build.
 */
export async function acquireBuildLock(cacheDir: string, key: string, write: Writer): Promise<string> {
  const lock = path.join(cacheDir, `${buildPrefix}${key}.lock`);
  const deadline = Date.now() + buildLockWaitMs;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      return lock;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(fs.readFileSync(lock, "utf8").trim());
    if (!processAlive(holder)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`the lab image ${key} is still being built by process ${holder} (lock ${lock}) after ${buildLockWaitMs / 60_000} minutes`);
    }
    if (!announced) write(`[image] waiting for process ${holder}, which is building ${key}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** Deletes temporary build directories whose builder is gone (interrupted builds). */
export async function removeAbandonedBuilds(cacheDir: string): Promise<void> {
  for (const name of fs.readdirSync(cacheDir)) {
    const match = /^\.build-.*-(\d+)$/.exec(name);
    if (match !== null && !processAlive(Number(match[1]))) {
      await removeTree(path.join(cacheDir, name));
    }
  }
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
