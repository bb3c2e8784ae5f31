import { describe, expect, it } from "vitest";
import { CpioEntry, listNewcArchive, newcArchive } from "../../guest/cpio";

describe("newc cpio archive", () => {
  const entries: CpioEntry[] = [
    { kind: "directory", path: "dev", mode: 0o755 },
    { kind: "characterDevice", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
    { kind: "file", path: "init", mode: 0o755, data: Buffer.from("#!/bin/sh\n") },
  ];

  it("writes the 110-byte newc header the kernel reads", () => {
    const archive = newcArchive(entries);
    const first = archive.subarray(0, 110).toString("ascii");
    expect(first.slice(0, 6)).toBe("070701");
    const field = (index: number) => first.slice(6 + index * 8, 14 + index * 8);
    expect(field(0)).toBe("00000001"); // inode
    expect(field(1)).toBe("000041ed"); // directory, 0755
    expect(field(2) + field(3)).toBe("0000000000000000"); // root:root
    expect(field(5)).toBe("00000000"); // mtime
    expect(field(11)).toBe("00000004"); // "dev\0"
    expect(archive.subarray(110, 114).toString("ascii")).toBe("dev\0");
  });

  it("pads names and data to 4 bytes and ends with the trailer", () => {
    const archive = newcArchive(entries);
    expect(archive.length % 4).toBe(0);
    expect(archive.toString("ascii")).toContain("TRAILER!!!\0");
  });

  it("reads back what it wrote: types, modes, device numbers, data", () => {
    const listed = listNewcArchive(newcArchive(entries));
    expect(listed.map((entry) => [entry.path, entry.mode.toString(8), entry.deviceMajor, entry.deviceMinor, entry.data.toString()])).toEqual([
      ["dev", "40755", 0, 0, ""],
      ["dev/console", "20600", 5, 1, ""],
      ["init", "100755", 0, 0, "#!/bin/sh\n"],
    ]);
  });

  it("is reproducible: the same entries give the same bytes", () => {
    expect(newcArchive(entries).equals(newcArchive(entries))).toBe(true);
  });

  it("refuses absolute paths, '..' and mode bits beyond the permissions", () => {
    expect(() => newcArchive([{ kind: "directory", path: "/bin", mode: 0o755 }])).toThrow(/expected a relative path/);
    expect(() => newcArchive([{ kind: "directory", path: "a/../b", mode: 0o755 }])).toThrow(/expected a relative path/);
    expect(() => newcArchive([{ kind: "directory", path: "bin", mode: 0o40755 }])).toThrow(/permission bits only/);
  });
});
