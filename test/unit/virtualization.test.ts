import { execFileSync, spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import {
  VirtualizationFacts,
  parseVirtualizationReport,
  requirementCheckLines,
  virtTypeFor,
  virtualizationProbeLines,
  virtualizationReportScript,
  virtualizationRequirements,
} from "../../steps/virtualization";

interface MadeUpHost {
  readonly cpuFlags: number;
  readonly kvmDevice: boolean;
  /** Modules /sys/module shows; undefined: no /sys/module at all (a container). */
  readonly modules?: readonly string[];
  readonly tunDevice: boolean;
}

/** A made-up /proc, /dev and /sys; device nodes are links to /dev/null (a character device), so no root is needed. */
function madeUpRoot(host: MadeUpHost): string {
  const root = mkdtempSync(join(tmpdir(), "virt-probe-"));
  mkdirSync(join(root, "proc"));
  const flagLine = (index: number) => `processor\t: ${index}\nflags\t\t: fpu vme ${index < host.cpuFlags ? "vmx " : ""}sse2\n`;
  writeFileSync(join(root, "proc/cpuinfo"), Array.from({ length: Math.max(host.cpuFlags, 2) }, (_, index) => flagLine(index)).join("\n"));
  mkdirSync(join(root, "dev/net"), { recursive: true });
  if (host.kvmDevice) symlinkSync("/dev/null", join(root, "dev/kvm"));
  if (host.tunDevice) symlinkSync("/dev/null", join(root, "dev/net/tun"));
  if (host.modules !== undefined) {
    mkdirSync(join(root, "sys/module/kvm"), { recursive: true });
    for (const module of host.modules) mkdirSync(join(root, "sys/module", module));
  }
  return root;
}

function probe(host: MadeUpHost): VirtualizationFacts {
  return parseVirtualizationReport(execFileSync("/bin/sh", ["-c", virtualizationReportScript(madeUpRoot(host))], { encoding: "utf8" }));
}

describe("what a compute can run (the probe's rule)", () => {
  it("runs KVM guests on a /dev/kvm of a hardware KVM module", () => {
    const facts = probe({ cpuFlags: 4, kvmDevice: true, modules: ["kvm_intel"], tunDevice: true });
    expect(facts).toEqual({
      virtualizationFlags: 4,
      kvmDevice: true,
      kvmModule: "kvm_intel",
      kvmUsable: true,
      kvmReason: "/dev/kvm is present (kvm_intel)",
      tunDevice: true,
    });
    expect(virtTypeFor(facts)).toBe("kvm");
  });

  it("runs KVM guests under nested virtualization that hides vmx/svm (where the install guide says qemu)", () => {
    const facts = probe({ cpuFlags: 0, kvmDevice: true, modules: ["kvm_amd"], tunDevice: true });
    expect(facts.kvmUsable).toBe(true);
    expect(virtTypeFor(facts)).toBe("kvm");
  });

  it("trusts a /dev/kvm given to a container that cannot see /sys/module", () => {
    const facts = probe({ cpuFlags: 0, kvmDevice: true, tunDevice: true });
    expect(facts).toMatchObject({ kvmModule: "", kvmUsable: true, kvmReason: "/dev/kvm is present" });
  });

  it("does not run standard guests on kvm_pvm, whatever the CPU flags", () => {
    const facts = probe({ cpuFlags: 2, kvmDevice: true, modules: ["kvm_pvm"], tunDevice: true });
    expect(facts).toMatchObject({ kvmUsable: false, kvmReason: "/dev/kvm is served by kvm_pvm, which boots only guest kernels built for PVM" });
    expect(virtTypeFor(facts)).toBe("qemu");
  });

  it("emulates without /dev/kvm, and says what to load when the CPU could do better (where the install guide says kvm)", () => {
    const flags = probe({ cpuFlags: 8, kvmDevice: false, modules: [], tunDevice: true });
    expect(flags).toMatchObject({ kvmUsable: false, kvmReason: "/dev/kvm is absent although the CPU shows vmx/svm (load kvm_intel or kvm_amd)" });
    expect(virtTypeFor(flags)).toBe("qemu");
    expect(probe({ cpuFlags: 0, kvmDevice: false, tunDevice: false })).toMatchObject({
      kvmReason: "/dev/kvm is absent and the CPU shows no vmx/svm",
      tunDevice: false,
    });
  });

  it("keeps the operator's virt_type", () => {
    expect(virtTypeFor({ kvmUsable: true }, "qemu")).toBe("qemu");
    expect(virtTypeFor({ kvmUsable: false }, "kvm")).toBe("kvm");
  });
});

describe("refusing a compute at its facts step", () => {
  const check = (host: MadeUpHost, driver: "libvirt.LibvirtDriver" | "fake.FakeDriver", virtType?: "kvm" | "qemu") => {
    const script = [...virtualizationProbeLines(madeUpRoot(host)), ...requirementCheckLines(virtualizationRequirements(driver, virtType))].join("\n");
    return spawnSync("/bin/sh", ["-c", script], { encoding: "utf8" });
  };

  it("refuses virtType kvm on a host that cannot run KVM, naming the key and what it found", () => {
    const result = check({ cpuFlags: 2, kvmDevice: true, modules: ["kvm_pvm"], tunDevice: true }, "libvirt.LibvirtDriver", "kvm");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /: nova-installer:virtType is kvm, but this host cannot run KVM guests: \/dev\/kvm is served by kvm_pvm, which boots only guest kernels built for PVM\. Set nova-installer:virtType to qemu/,
    );
  });

  it("refuses the libvirt driver without /dev/net/tun", () => {
    const result = check({ cpuFlags: 0, kvmDevice: false, tunDevice: false }, "libvirt.LibvirtDriver");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/nova-installer:computeDriver is libvirt\.LibvirtDriver, .* \/dev\/net\/tun is missing \(load the tun module\)/);
  });

  it("admits what the settings can use", () => {
    expect(check({ cpuFlags: 0, kvmDevice: false, tunDevice: true }, "libvirt.LibvirtDriver").status).toBe(0);
    expect(check({ cpuFlags: 0, kvmDevice: true, modules: ["kvm_intel"], tunDevice: true }, "libvirt.LibvirtDriver", "kvm").status).toBe(0);
    expect(check({ cpuFlags: 0, kvmDevice: false, tunDevice: false }, "fake.FakeDriver", "kvm").status).toBe(0);
  });
});
