import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { bootGuest, detectAccelerator, kvmOpens, qemuDirectBootArguments } from "../../guest/boot";
import { guestGlanceImages, guestRootImageProperties } from "../../guest/glance";
import { QmpConnection, parseQmpMessages, shutdownReason } from "../../guest/qmp";
import { kernelCommandLine } from "../../guest/recipe";

describe("direct boot of the guest with qemu", () => {
  const boot = { kernel: "/c/vmlinuz", initramfs: "/c/initramfs.gz", uuid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", accelerator: "tcg" as const };

  it("boots kernel and initramfs with the Glance command line, the UUID and the serial port on stdout", () => {
    const args = qemuDirectBootArguments(boot);
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-accel")).toBe("tcg");
    expect(after("-kernel")).toBe("/c/vmlinuz");
    expect(after("-initrd")).toBe("/c/initramfs.gz");
    expect(after("-append")).toBe(kernelCommandLine);
    expect(after("-uuid")).toBe(boot.uuid);
    expect(after("-m")).toBe("128");
    expect(after("-serial")).toBe("stdio");
    expect(args).toContain("-no-reboot");
  });

  it("takes KVM only when /dev/kvm opens read-write and is not PVM", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-boot-test-"));
    try {
      const device = path.join(dir, "kvm");
      fs.writeFileSync(device, "");
      const hardwareModules = path.join(dir, "modules-hardware");
      fs.mkdirSync(path.join(hardwareModules, "kvm_intel"), { recursive: true });
      const pvmModules = path.join(dir, "modules-pvm");
      fs.mkdirSync(path.join(pvmModules, "kvm_pvm"), { recursive: true });

      expect(kvmOpens(device)).toBe(true);
      expect(detectAccelerator(device, hardwareModules)).toBe("kvm");
      expect(detectAccelerator(device, pvmModules)).toBe("tcg");
      expect(detectAccelerator(path.join(dir, "absent"), hardwareModules)).toBe("tcg");
      fs.chmodSync(device, 0o400);
      if (process.getuid?.() !== 0) expect(detectAccelerator(device, hardwareModules)).toBe("tcg"); // root opens it anyway
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("guest registration in Glance", () => {
  it("is a triple: aki kernel, ari ramdisk (AMI-style containers), raw root", () => {
    const images = guestGlanceImages();
    expect([images.kernel, images.ramdisk, images.root].map((image) => [image.name, image.file, image.diskFormat, image.containerFormat])).toEqual([
      ["nova-installer-guest-kernel", "vmlinuz", "aki", "aki"],
      ["nova-installer-guest-ramdisk", "initramfs.gz", "ari", "ari"],
      ["nova-installer-guest", "root.img", "raw", "bare"],
    ]);
  });

  it("points the root image at kernel and ramdisk and carries the command line", () => {
    expect(guestRootImageProperties("k-id", "r-id")).toEqual({ kernel_id: "k-id", ramdisk_id: "r-id", os_command_line: "console=ttyS0" });
  });
});

describe("the power button over QMP", () => {
  const boot = { kernel: "/c/vmlinuz", initramfs: "/c/initramfs.gz", uuid: "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", accelerator: "tcg" as const };

  it("has QEMU serve QMP on a Unix socket only when asked", () => {
    expect(qemuDirectBootArguments(boot)).not.toContain("-qmp");
    const args = qemuDirectBootArguments({ ...boot, qmpSocket: "/tmp/q/qmp.sock" });
    expect(args[args.indexOf("-qmp") + 1]).toBe("unix:/tmp/q/qmp.sock,server=on,wait=off");
    expect(() => qemuDirectBootArguments({ ...boot, qmpSocket: "/tmp/a,b/qmp.sock" })).toThrow(/expected no comma/);
  });

  it("reads QMP's line-delimited messages, keeping an incomplete last line", () => {
    const text = [
      '{"QMP": {"version": {}, "capabilities": []}}',
      '{"return": {}}',
      '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "POWERDOWN"}',
      '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
      '{"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}',
      '{"ret',
    ].join("\r\n");
    const { messages, rest } = parseQmpMessages(text);
    expect(messages).toEqual([
      { kind: "greeting" },
      { kind: "return", value: {} },
      { kind: "event", event: "POWERDOWN" },
      { kind: "error", errorClass: "CommandNotFound", description: "The command nope has not been found" },
      { kind: "event", event: "SHUTDOWN", data: { guest: true, reason: "guest-shutdown" } },
    ]);
    expect(rest).toBe('{"ret');
    expect(() => parseQmpMessages("not json\n")).toThrow(/not JSON: not json/);
  });

  it("takes the reason of the last SHUTDOWN event", () => {
    expect(shutdownReason([{ event: "POWERDOWN" }, { event: "SHUTDOWN", data: { guest: true, reason: "guest-shutdown" } }])).toBe("guest-shutdown");
    expect(shutdownReason([{ event: "POWERDOWN" }])).toBeUndefined();
  });

  it("negotiates capabilities first and reports a refused command with QEMU's error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-boot-qmp-"));
    const socket = path.join(dir, "qmp.sock");
    const received: string[] = [];
    const server = net.createServer((client) => {
      client.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
      client.on("data", (chunk) => {
        for (const line of chunk.toString().split("\n").filter(Boolean)) {
          const command = (JSON.parse(line) as { execute: string }).execute;
          received.push(command);
          client.write(
            command === "qmp_capabilities"
              ? '{"return": {}}\r\n'
              : '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}\r\n',
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const qmp = await QmpConnection.open(socket);
      await expect(qmp.execute("nope")).rejects.toThrow("QMP nope failed: CommandNotFound: The command nope has not been found");
      expect(received).toEqual(["qmp_capabilities", "nope"]);
      qmp.close();
      await qmp.closed;
      await expect(QmpConnection.open(path.join(dir, "absent.sock"))).rejects.toThrow(/cannot connect to QEMU's QMP socket .*absent.sock/);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * A stand-in for qemu-system-x86_64: prints the marker for its -uuid on standard output and
   * serves QMP on its -qmp socket; on system_powerdown it powers off (SHUTDOWN event, exit 0)
   * when `obeys`, and ignores the button otherwise.
   */
  function fakeQemu(dir: string, obeys: boolean): string {
    const program = path.join(dir, obeys ? "qemu-obeys" : "qemu-ignores");
    fs.writeFileSync(
      program,
      `#!${process.execPath}
const net = require("net");
require("fs").writeFileSync(__filename + ".pid", String(process.pid));
const args = process.argv.slice(2);
const uuid = args[args.indexOf("-uuid") + 1].toLowerCase();
const socket = /^unix:([^,]+),/.exec(args[args.indexOf("-qmp") + 1])[1];
const send = (client, message) => client.write(JSON.stringify(message) + "\\r\\n");
net.createServer((client) => {
  send(client, { QMP: { version: {}, capabilities: [] } });
  let buffered = "";
  client.on("data", (chunk) => {
    buffered += chunk;
    const lines = buffered.split("\\n");
    buffered = lines.pop();
    for (const line of lines) {
      const command = JSON.parse(line).execute;
      send(client, { return: {} });
      if (command !== "system_powerdown") continue;
      send(client, { event: "POWERDOWN" });
      if (!${obeys}) continue;
      process.stdout.write("acpid: PWRF/00000080\\r\\n[    5.5] reboot: Power down\\r\\n");
      send(client, { event: "SHUTDOWN", data: { guest: true, reason: "guest-shutdown" } });
      client.end(() => process.exit(0));
    }
  });
}).listen(socket, () => process.stdout.write("[    3.1] Run /init as init process\\r\\nnova-installer-guest booted uuid=" + uuid + " kernel=6.1.0-99-amd64\\r\\n"));
`,
      { mode: 0o755 },
    );
    return program;
  }

  it("presses the button after the marker and reports the guest's own power-off", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-boot-qmp-"));
    try {
      const result = await bootGuest(boot, { markerTimeoutMs: 10_000, powerOffTimeoutMs: 10_000, program: fakeQemu(dir, true) });
      expect(result.kernelRelease).toBe("6.1.0-99-amd64");
      expect(result.powerOff).toMatchObject({ shutdownReason: "guest-shutdown", exitCode: 0 });
      expect(result.powerOff?.console).toContain("acpid: PWRF/00000080");
      expect(result.powerOff?.seconds).toBeLessThan(10);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails, and stops QEMU, when the guest ignores the button", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guest-boot-qmp-"));
    try {
      await expect(bootGuest(boot, { markerTimeoutMs: 10_000, powerOffTimeoutMs: 500, program: fakeQemu(dir, false) })).rejects.toThrow(
        /did not power off within 0.5 s of the ACPI power button/,
      );
      // QEMU is gone once the call settled.
      const pid = Number(fs.readFileSync(path.join(dir, "qemu-ignores.pid"), "utf8"));
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails with QEMU's exit when QEMU ends before the marker", async () => {
    await expect(bootGuest(boot, { markerTimeoutMs: 10_000, program: "false" })).rejects.toThrow(/false exited \(code 1\) before the guest's marker/);
    await expect(bootGuest(boot, { markerTimeoutMs: 10_000, program: "/nonexistent/qemu" })).rejects.toThrow(
      /could not run: spawn \/nonexistent\/qemu ENOENT/,
    );
  });
});
