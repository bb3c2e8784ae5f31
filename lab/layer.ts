/**
 * A host's copy-on-write root: an overlay of its own upper directory over the cached image.
 * Writing through the merged root lands in the upper directory; the image is never changed.
 */
import * as fs from "fs";
import * as path from "path";
import { run } from "./exec";
import { LayerEntry } from "./host-files";
import { currentMountsUnder } from "./mounts";
import { HostLayout } from "./paths";

/**
 * Mounts the overlay unless it is mounted already. `lowerDirs`, topmost first, are the ones of
 * the host's first mount: a host's upper directory is only valid over the lower directories it
 * was written over, so they are recorded and a later mount (after a machine restart) reuses them.
 */
export async function mountLayer(layout: HostLayout, lowerDirs: readonly string[]): Promise<void> {
  for (const dir of [layout.upper, layout.work, layout.merged]) fs.mkdirSync(dir, { recursive: true });
  if (isLayerMounted(layout)) return;
  const recorded = path.join(layout.dir, "lowerdirs.json");
  if (!fs.existsSync(recorded)) fs.writeFileSync(recorded, `${JSON.stringify(lowerDirs)}\n`);
  const lower = (JSON.parse(fs.readFileSync(recorded, "utf8")) as string[]).join(":");
  await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${lower},upperdir=${layout.upper},workdir=${layout.work}`, layout.merged]);
}

export function isLayerMounted(layout: HostLayout): boolean {
  return currentMountsUnder(layout.merged).includes(path.resolve(layout.merged));
}

/**
 * Writes entries below `root`, skipping those already as wanted, so that repeating `lab up`
 * changes nothing. Returns the paths it changed.
 */
export function writeLayerEntries(root: string, entries: readonly LayerEntry[]): string[] {
  const changed: string[] = [];
  for (const entry of entries) {
    const target = path.join(root, entry.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    switch (entry.kind) {
      case "directory": {
        fs.mkdirSync(target, { recursive: true });
        if ((fs.statSync(target).mode & 0o7777) !== entry.mode) {
          fs.chmodSync(target, entry.mode);
          changed.push(entry.path);
        }
        break;
      }
      case "file": {
        const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
        const stat = fs.lstatSync(target, { throwIfNoEntry: false });
        if (current !== entry.content || stat === undefined || stat.isSymbolicLink() || (stat.mode & 0o7777) !== entry.mode) {
          // Replace rather than rewrite: the image's file may be a symlink or read-only.
          fs.rmSync(target, { force: true });
          fs.writeFileSync(target, entry.content, { mode: entry.mode });
          fs.chmodSync(target, entry.mode);
          changed.push(entry.path);
        }
        break;
      }
      case "symlink": {
        const current = fs.lstatSync(target, { throwIfNoEntry: false });
        if (current === undefined || !current.isSymbolicLink() || fs.readlinkSync(target) !== entry.target) {
          fs.rmSync(target, { force: true });
          fs.symlinkSync(entry.target, target);
          changed.push(entry.path);
        }
        break;
      }
    }
  }
  return changed;
}
