import { describe, expect, it } from "vitest";
import { mountPointsUnder, overlayLowerDirs, rootOverlayUpperDir } from "../../lab/mounts";

const mountinfo = [
  "22 1 8:1 / / rw,relatime - ext4 /dev/vda rw",
  "40 22 0:39 / /s/lab/hosts/controller/root rw - overlay overlay rw,lowerdir=/img",
  "41 40 0:40 / /s/lab/hosts/controller/root/proc rw - proc proc rw",
  "42 22 0:41 / /s/lab-other rw - tmpfs tmpfs rw",
  "43 22 0:42 / /s/lab/with\\040space rw - tmpfs tmpfs rw",
].join("\n");

describe("mountPointsUnder", () => {
  it("lists mounts at or below a directory, deepest first", () => {
    expect(mountPointsUnder(mountinfo, "/s/lab")).toEqual(["/s/lab/hosts/controller/root/proc", "/s/lab/hosts/controller/root", "/s/lab/with space"]);
  });

  it("does not match a sibling that only shares a prefix", () => {
    expect(mountPointsUnder(mountinfo, "/s/lab-other")).toEqual(["/s/lab-other"]);
    expect(mountPointsUnder(mountinfo, "/s/la")).toEqual([]);
  });
});

describe("overlayLowerDirs", () => {
  it("lists the lower directories of overlay mounts only", () => {
    const text = [
      "40 22 0:39 / /s/lab/hosts/controller/root rw,relatime - overlay overlay rw,lowerdir=/cache/lab/bookworm-1/rootfs,upperdir=/s/u,workdir=/s/w",
      "44 22 0:45 / /other rw - overlay overlay rw,lowerdir=/a:/b\\040c,upperdir=/u,workdir=/w",
      "41 40 0:40 / /s/lab/hosts/controller/root/proc rw - proc proc rw",
    ].join("\n");
    expect(overlayLowerDirs(text)).toEqual(["/cache/lab/bookworm-1/rootfs", "/a", "/b c"]);
  });
});

describe("rootOverlayUpperDir", () => {
  it("names the layer a machine's init booted from", () => {
    const initMountinfo = [
      "103 81 0:39 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/cache/rootfs,upperdir=/s/lab/hosts/controller/upper,workdir=/s/w,uuid=on",
      "104 103 0:40 / /proc rw - proc proc rw",
    ].join("\n");
    expect(rootOverlayUpperDir(initMountinfo)).toBe("/s/lab/hosts/controller/upper");
    expect(rootOverlayUpperDir("22 1 8:1 / / rw - ext4 /dev/vda rw")).toBeUndefined();
  });
});
