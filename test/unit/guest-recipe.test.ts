import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { kernelPackageFromDepends, unexpectedTarErrors } from "../../guest/image";
import {
  acpidConfigDir,
  findMarker,
  guestImageCacheDir,
  guestImageKey,
  guestKernelModules,
  guestRecipe,
  initScript,
  initramfsEntries,
  kernelCommandLine,
  kernelConfigProblems,
  kernelModuleDependencies,
  kernelModulePathInInitramfs,
  kernelModulePathInPackage,
  kernelModulePlan,
  markerFor,
  powerButtonAction,
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

  it("changes the key when the init script, the power button's action, the modules, the packages or the build steps change", () => {
    const base = guestRecipe();
    const keys = [
      base,
      { ...base, initScript: `${base.initScript}# changed\n` },
      { ...base, powerButtonAction: base.powerButtonAction.replace("poweroff -f", "poweroff") },
      { ...base, kernelModules: base.kernelModules.slice(1) },
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

  it("loads the power button's drivers, then starts acpid and waits for it to listen, all before the marker", () => {
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    const marker = at('echo "nova-installer-guest booted');
    for (const module of guestKernelModules) {
      const file = `/${kernelModulePathInInitramfs(module)}`;
      // A driver built into the kernel has no file: /init loads only what the initramfs carries.
      expect(lines).toContain(`[ ! -e ${file} ] || insmod ${file}`);
      expect(at(`insmod ${file}`)).toBeGreaterThan(at("mount -t devtmpfs"));
      expect(at(`insmod ${file}`)).toBeLessThan(at("acpid -d"));
    }
    expect(lines).toContain(`acpid -d -c /${acpidConfigDir} -p /run/acpid.pid &`);
    expect(at("while [ ! -e /run/acpid.pid ]")).toBeGreaterThan(at("acpid -d"));
    expect(at("while [ ! -e /run/acpid.pid ]")).toBeLessThan(marker);
  });

  it("runs the action busybox acpid maps the power button to (KEY_POWER -> PWRF/00000080 under -c), which powers off at once", () => {
    expect(powerButtonAction.path).toBe(`${acpidConfigDir}/PWRF/00000080`);
    expect(powerButtonAction.script.split("\n")[0]).toBe("#!/bin/sh");
    expect(powerButtonAction.script).toMatch(/^exec poweroff -f$/m);
    const check = spawnSync("sh", ["-n"], { input: powerButtonAction.script, encoding: "utf8" });
    expect(check.status).toBe(0);
  });

  it("holds busybox, /init, a /dev/console node for init's first streams, the power button's action and the modules", () => {
    // prettier-ignore
    expect(initramfsEntries.map((entry) => entry.path)).toEqual([
      "bin", "dev", "dev/console", "etc", "etc/acpi", "etc/acpi/PWRF", "lib", "lib/modules", "proc", "run", "sys", "tmp",
      "bin/busybox", "etc/acpi/PWRF/00000080", "lib/modules/button.ko", "lib/modules/evdev.ko", "init",
    ]);
    expect(initramfsEntries.find((entry) => entry.path === "dev/console")).toMatchObject({ kind: "characterDevice", major: 5, minor: 1 });
    expect(initramfsEntries.find((entry) => entry.path === powerButtonAction.path)).toMatchObject({
      kind: "file",
      mode: 0o755,
      source: "powerButtonAction",
    });
    expect(initramfsEntries.filter((entry) => entry.kind === "kernelModule")).toEqual(
      guestKernelModules.map((module) => ({ kind: "kernelModule", path: `lib/modules/${module.name}.ko`, mode: 0o644, module: module.name })),
    );
  });

  it("lists every directory before what it holds", () => {
    initramfsEntries.forEach((entry, index) => {
      const parent = entry.path.split("/").slice(0, -1).join("/");
      if (parent !== "")
        expect(initramfsEntries.findIndex((candidate) => candidate.path === parent && candidate.kind === "directory")).toBeLessThan(index);
    });
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
  const allRequired = requiredKernelOptions.map((entry) => `${entry.option}=y`);

  it("names every required option missing or built as a module, with its value and why", () => {
    const config = [
      ...allRequired.filter((line) => !/^CONFIG_(RD_GZIP|DMIID)=/.test(line)),
      "CONFIG_RD_GZIP=m",
      "# CONFIG_DMIID is not set",
      "CONFIG_ACPI_BUTTON=m",
      "CONFIG_INPUT_EVDEV=m",
    ].join("\n");
    expect(kernelConfigProblems(config)).toEqual([
      "does not build in CONFIG_RD_GZIP=m (the initramfs is gzip-compressed), CONFIG_DMIID not set (/sys/class/dmi/id/product_uuid): expected =y",
    ]);
    expect(kernelConfigProblems([...allRequired, "CONFIG_ACPI_BUTTON=m", "CONFIG_INPUT_EVDEV=y"].join("\n"))).toEqual([]);
  });

  it("names each power button driver neither built in nor a module", () => {
    const problems = kernelConfigProblems([...allRequired, "# CONFIG_ACPI_BUTTON is not set", "CONFIG_INPUT_EVDEV=m"].join("\n"));
    expect(problems).toEqual([
      "has neither built in nor as a module CONFIG_ACPI_BUTTON not set (turns the ACPI power button into a KEY_POWER press of an input device): expected =y or =m",
    ]);
  });

  it("carries the drivers built as modules and none built in", () => {
    const [button, evdev] = guestKernelModules;
    expect(kernelModulePlan("CONFIG_ACPI_BUTTON=m\nCONFIG_INPUT_EVDEV=m\n")).toEqual({ carried: [button, evdev], builtIn: [], missing: [] });
    expect(kernelModulePlan("CONFIG_ACPI_BUTTON=y\nCONFIG_INPUT_EVDEV=m\n")).toEqual({ carried: [evdev], builtIn: [button], missing: [] });
    expect(kernelModulePlan("CONFIG_INPUT_EVDEV=y\n")).toEqual({ carried: [], builtIn: [evdev], missing: [button] });
  });

  it("takes the modules from the kernel package's tree and puts them at fixed paths", () => {
    const [button, evdev] = guestKernelModules;
    expect(kernelModulePathInPackage("6.1.0-57-amd64", button)).toBe("lib/modules/6.1.0-57-amd64/kernel/drivers/acpi/button.ko");
    expect(kernelModulePathInPackage("6.1.0-57-amd64", evdev)).toBe("lib/modules/6.1.0-57-amd64/kernel/drivers/input/evdev.ko");
    expect(kernelModulePathInInitramfs(button)).toBe("lib/modules/button.ko");
  });

  it("reads a module's dependencies from its .modinfo strings", () => {
    const moduleFile = (modinfo: string[]) =>
      Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), Buffer.from(modinfo.join("\0") + "\0", "utf8")]);
    expect(kernelModuleDependencies(moduleFile(["license=GPL", "depends=", "name=button"]))).toEqual([]);
    expect(kernelModuleDependencies(moduleFile(["depends=input_core,serio", "name=evdev"]))).toEqual(["input_core", "serio"]);
    expect(() => kernelModuleDependencies(Buffer.from("not a module"))).toThrow(/no depends= entry/);
  });

  it("lets tar miss only the optional module files", () => {
    const patterns = ["./lib/modules/*/kernel/drivers/acpi/button.ko"];
    const missing =
      "tar: ./lib/modules/*/kernel/drivers/acpi/button.ko: Not found in archive\ntar: Exiting with failure status due to previous errors\n";
    expect(unexpectedTarErrors(missing, patterns)).toEqual([]);
    expect(unexpectedTarErrors(`tar: ./boot: Not found in archive\n${missing}`, patterns)).toEqual(["tar: ./boot: Not found in archive"]);
    expect(unexpectedTarErrors("tar: ./boot/vmlinuz-6.1.0-57-amd64: Cannot write: No space left on device\n", patterns)).toHaveLength(1);
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
