/**
 * The "newc" cpio format the kernel unpacks an initramfs from, written here rather than by
 * cpio(1): the archive can then hold /dev/console (a device node) without root, and it is
 * byte-for-byte reproducible (fixed owners, times and inode numbers), so the artifact's sha256
 * follows from its inputs. Pure.
 *
 * Format (see the kernel's Documentation/driver-api/early-userspace/buffer-format.rst): per
 * entry a 110-byte ASCII header "070701" + 13 eight-digit hex fields, the NUL-terminated name
 * padded to a multiple of 4, the data padded to a multiple of 4; last an entry "TRAILER!!!".
 */

export type CpioEntry =
  | { readonly kind: "directory"; readonly path: string; readonly mode: number }
  | { readonly kind: "file"; readonly path: string; readonly mode: number; readonly data: Buffer }
  | { readonly kind: "characterDevice"; readonly path: string; readonly mode: number; readonly major: number; readonly minor: number };

const typeBits = { directory: 0o040000, file: 0o100000, characterDevice: 0o020000 } as const;

const trailerName = "TRAILER!!!";

interface HeaderFields {
  readonly inode: number;
  readonly mode: number;
  readonly links: number;
  readonly size: number;
  readonly deviceMajor: number;
  readonly deviceMinor: number;
  readonly name: string;
}

function header(fields: HeaderFields): Buffer {
  const hex = (value: number) => value.toString(16).padStart(8, "0");
  const name = Buffer.from(`${fields.name}\0`, "utf8");
  const text =
    "070701" +
    [
      fields.inode,
      fields.mode,
      0, // uid: root
      0, // gid: root
      fields.links,
      0, // mtime: fixed, for reproducible archives
      fields.size,
      0, // dev major of the file system the entry came from: none
      0, // dev minor
      fields.deviceMajor,
      fields.deviceMinor,
      name.length,
      0, // checksum: unused by "070701"
    ]
      .map(hex)
      .join("");
  return Buffer.concat([Buffer.from(text, "ascii"), name, padding(110 + name.length)]);
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** The archive of `entries`, in their order (parents must come before their children). */
export function newcArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => {
    if (entry.path.startsWith("/") || entry.path === "" || entry.path.split("/").includes("..")) {
      throw new Error(`cpio entry path "${entry.path}": expected a relative path without ".."`);
    }
    if ((entry.mode & ~0o7777) !== 0) {
      throw new Error(`cpio entry "${entry.path}" mode ${entry.mode.toString(8)}: expected permission bits only (0 to 7777 octal)`);
    }
    const data = entry.kind === "file" ? entry.data : Buffer.alloc(0);
    parts.push(
      header({
        inode: index + 1,
        mode: typeBits[entry.kind] | entry.mode,
        links: entry.kind === "directory" ? 2 : 1,
        size: data.length,
        deviceMajor: entry.kind === "characterDevice" ? entry.major : 0,
        deviceMinor: entry.kind === "characterDevice" ? entry.minor : 0,
        name: entry.path,
      }),
      data,
      padding(data.length),
    );
  });
  parts.push(header({ inode: 0, mode: 0, links: 1, size: 0, deviceMajor: 0, deviceMinor: 0, name: trailerName }));
  return Buffer.concat(parts);
}

/** One entry read back from an archive (for tests and for checking a built initramfs). */
export interface ListedEntry {
  readonly path: string;
  readonly mode: number;
  readonly size: number;
  readonly deviceMajor: number;
  readonly deviceMinor: number;
  readonly data: Buffer;
}

/** The entries of a newc archive, up to its trailer. @throws Error on anything not newc. */
export function listNewcArchive(archive: Buffer): ListedEntry[] {
  const entries: ListedEntry[] = [];
  let offset = 0;
  for (;;) {
    const text = archive.subarray(offset, offset + 110).toString("ascii");
    if (text.length < 110 || !text.startsWith("070701")) {
      throw new Error(`not a newc cpio archive at byte ${offset}: header "${text.slice(0, 6)}"`);
    }
    const field = (index: number) => parseInt(text.slice(6 + index * 8, 14 + index * 8), 16);
    const nameLength = field(11);
    const size = field(6);
    const name = archive.subarray(offset + 110, offset + 110 + nameLength - 1).toString("utf8");
    const dataStart = offset + 110 + nameLength + padding(110 + nameLength).length;
    if (name === trailerName) return entries;
    entries.push({
      path: name,
      mode: field(1),
      size,
      deviceMajor: field(9),
      deviceMinor: field(10),
      data: archive.subarray(dataStart, dataStart + size),
    });
    offset = dataStart + size + padding(size).length;
  }
}
