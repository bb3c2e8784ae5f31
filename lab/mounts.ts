/**
 * Reading and undoing mounts: the image build mounts /proc in its chroot and every host is an
 * overlay mount; both must be gone before their directories are deleted.
 */
import * as fs from "fs";
import * as path from "path";
import { run } from "./exec";

/** Mount points in /proc/self/mountinfo text at or below `dir`, deepest first. Pure. */
export function mountPointsUnder(mountinfo: string, dir: string): string[] {
  const root = path.resolve(dir);
  return mountinfo
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => unescapeMountPath(line.split(" ")[4] ?? ""))
    .filter((mountPoint) => mountPoint === root || mountPoint.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Lower directories of the overlay mounts in /proc/self/mountinfo text: the images some lab on
 * this machine (any checkout, any state directory) runs on right now. Pure.
 */
export function overlayLowerDirs(mountinfo: string): string[] {
  return overlayMounts(mountinfo).flatMap((mount) => mount.lowerDirs);
}

/**
 * The upper directory of the overlay mounted on "/" in a process's mountinfo text: for a
 * machine's init, which host layer it booted from. Pure.
 */
export function rootOverlayUpperDir(mountinfo: string): string | undefined {
  return overlayMounts(mountinfo).find((mount) => mount.mountPoint === "/")?.upperDir;
}

interface OverlayMount {
  readonly mountPoint: string;
  readonly lowerDirs: string[];
  readonly upperDir: string | undefined;
}

function overlayMounts(mountinfo: string): OverlayMount[] {
  const mounts: OverlayMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    const [fsType, , superOptions] = (after ?? "").split(" ");
    if (fsType !== "overlay" || superOptions === undefined) continue;
    const options = superOptions.split(",");
    const value = (key: string): string | undefined => options.find((option) => option.startsWith(`${key}=`))?.slice(key.length + 1);
    mounts.push({
      mountPoint: unescapeMountPath((before ?? "").split(" ")[4] ?? ""),
      lowerDirs: (value("lowerdir") ?? "")
        .split(":")
        .filter((dir) => dir !== "")
        .map(unescapeMountPath),
      upperDir: value("upperdir") === undefined ? undefined : unescapeMountPath(value("upperdir") ?? ""),
    });
  }
  return mounts;
}

export function currentMountsUnder(dir: string): string[] {
  return mountPointsUnder(fs.readFileSync("/proc/self/mountinfo", "utf8"), dir);
}

/** Unmounts everything at or below `dir`, deepest first. */
async function unmountAllUnder(dir: string): Promise<void> {
  for (const mountPoint of currentMountsUnder(dir)) {
    await run("umount", [mountPoint]);
  }
}

/**
 * Deletes a directory tree that may have held mounts. `--one-file-system` makes a mount that
 * somehow survived unmounting stop the delete instead of deleting through it (into /proc or
 * into the cached image below an overlay).
 */
export async function removeTree(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  await unmountAllUnder(dir);
  await run("rm", ["-rf", "--one-file-system", "--", dir]);
}
