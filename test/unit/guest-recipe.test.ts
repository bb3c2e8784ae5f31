import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { kernelPackageFromDepends } from "../../guest/image";
import {
  findMarker,
  guestImageCacheDir,
  guestImageKey,
  guestRecipe,
  initScript,
  initramfsEntries,
  kernelCommandLine,
  markerFor,
  missingKernelOptions,
  requiredKernelOptions,
} from "../../guest/recipe";

describe("guest recipe", () => {
  it("takes the kernel and busybox from Debian 12 packages", () => {
    const recipe = guestRecipe();
    expect(recipe.suite).toBe("bookworm");
    expect(recipe.packages).toEqual({ kernel: "linux-image-amd64", busybox: "busybox-static" });
  });

  it("names images by a stable hash of the recipe", () => {
    expect(guestImageKey(guestRecipe())).toBe(guestImageKey(guestRecipe()));
    expect(guestImageKey(guestRecipe())).toMatch(/^bookworm-[0-9a-f]{16}$/);
  });

  it("changes the key when the init script, the packages or the build steps change", () => {
    const base = guestRecipe();
    const keys = [
      base,
      { ...base, initScript: `${base.initScript}# changed\n` },
      { ...base, packages: { ...base.packages, busybox: "busybox" } },
      { ...base, recipeVersion: base.recipeVersion + 1 },
      { ...base, rootDiskBytes: base.rootDiskBytes * 2 },
    ].map(guestImageKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("keeps the cache beside the lab image cache, outside the repo", () => {
    expect(guestImageCacheDir({ NOVA_INSTALLER_CACHE: "/var/cache/ni" })).toBe("/var/cache/ni/guest-image");
    expect(guestImageCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/home/u" })).toBe("/x/nova-installer/guest-image");
    expect(guestImageCacheDir({ HOME: "/home/u" })).toBe("/home/u/.cache/nova-installer/guest-image");
  });

  it("boots the console on the first serial port", () => {
    expect(kernelCommandLine).toBe("console=ttyS0");
  });
});

describe("guest /init", () => {
  const script = initScript();
  const lines = script.trimEnd().split("\n");

  it("is a busybox shell script that parses", () => {
    expect(lines[0]).toBe("#!/bin/busybox sh");
    const check = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("mounts proc, sys and dev before reading the SMBIOS UUID", () => {
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    for (const mount of ["mount -t proc proc /proc", "mount -t sysfs sysfs /sys", "mount -t devtmpfs devtmpfs /dev"]) {
      expect(at(mount)).toBeGreaterThan(0);
      expect(at(mount)).toBeLessThan(at("/sys/class/dmi/id/product_uuid"));
    }
  });

  it("writes the marker with the lower-cased UUID to ttyS0", () => {
    expect(script).toContain("tr 'A-F' 'a-f' < /sys/class/dmi/id/product_uuid");
    expect(script).toContain('echo "nova-installer-guest booted uuid=${uuid:-unknown} kernel=$(uname -r)" > /dev/ttyS0');
  });

  it("prints the marker the checks look for (the echo line run by a shell)", () => {
    const echo = lines.find((line) => line.startsWith("echo "))!.replace(/ > \/dev\/ttyS0$/, "");
    const run = spawnSync("sh", ["-c", `uname() { echo 6.1.0-99-amd64; }; uuid=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0; ${echo}`], { encoding: "utf8" });
    expect(run.stdout.trim()).toBe(markerFor("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", "6.1.0-99-amd64"));
    expect(findMarker(`[    3.1] Run /init\r\n${run.stdout}`)).toEqual({
      uuid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
      kernelRelease: "6.1.0-99-amd64",
    });
  });

  it("never exits (PID 1 exiting panics the kernel): it ends in an endless loop", () => {
    expect(lines.at(-1)).toBe("while true; do sleep 3600; done");
    const commands = lines.filter((line) => !line.startsWith("#"));
    expect(commands.join("\n")).not.toMatch(/\b(exit|poweroff|reboot|halt)\b/);
  });

  it("holds busybox, /init and a /dev/console node for init's first streams", () => {
    expect(initramfsEntries.map((entry) => entry.path)).toEqual(["bin", "dev", "dev/console", "proc", "sys", "tmp", "bin/busybox", "init"]);
    expect(initramfsEntries.find((entry) => entry.path === "dev/console")).toMatchObject({ kind: "characterDevice", major: 5, minor: 1 });
  });
});

describe("guest marker", () => {
  it("is found only with a whole UUID, in lower case, on a complete line", () => {
    expect(findMarker("nova-installer-guest booted uuid=unknown kernel=6.1.0-57-amd64\n")).toBeUndefined();
    expect(findMarker("nova-installer-guest booted uuid=AB644D90-F12A-41FC-96B7-B7A18280FFB6 kernel=x\n")).toBeUndefined();
    expect(findMarker("nova-installer-guest booted uuid=ab644d90-f12a-41fc-96b7-b7a18280ffb6 kernel=6.1.0-5")).toBeUndefined();
    expect(findMarker("noise nova-installer-guest booted uuid=ab644d90-f12a-41fc-96b7-b7a18280ffb6 kernel=6.1.0-57-amd64\r\n")).toEqual({
      uuid: "ab644d90-f12a-41fc-96b7-b7a18280ffb6",
      kernelRelease: "6.1.0-57-amd64",
    });
  });
});

describe("guest kernel", () => {
  it("lists every required option missing or built as a module", () => {
    const config = ["CONFIG_BLK_DEV_INITRD=y", "CONFIG_RD_GZIP=m", "# CONFIG_DMIID is not set", "CONFIG_SERIAL_8250=y"].join("\n");
    const required = requiredKernelOptions.map((entry) => entry.option);
    expect(missingKernelOptions(config)).toEqual(required.filter((option) => !["CONFIG_BLK_DEV_INITRD", "CONFIG_SERIAL_8250"].includes(option)));
    expect(missingKernelOptions(required.map((option) => `${option}=y`).join("\n"))).toEqual([]);
  });

  it("finds the real kernel package in the metapackage's Depends", () => {
    expect(kernelPackageFromDepends("linux-image-6.1.0-57-amd64 (= 6.1.192-3)")).toEqual({
      name: "linux-image-6.1.0-57-amd64",
      version: "6.1.192-3",
    });
    expect(kernelPackageFromDepends("linux-image-6.12.48+deb13-amd64")).toEqual({ name: "linux-image-6.12.48+deb13-amd64" });
    expect(() => kernelPackageFromDepends("initramfs-tools")).toThrow(/names no linux-image-\* package/);
  });
});
