/**
 * What a compute can run, read on the host, and the virt_type that follows (docs/virtualization.md).
 *
 * The install guide decides virt_type from the CPU flags (vmx/svm in /proc/cpuinfo: kvm, none:
 * qemu). That misses nested virtualization, where a hypervisor offers a working /dev/kvm and
 * hides the flags, and it takes kvm where the flags show but no KVM module is loaded (guests then
 * fail to start). The rule here asks what the host can run: KVM when /dev/kvm is a character
 * device served by a hardware KVM module; not when it is served by kvm_pvm (pagetable-based
 * virtualization, which boots only guest kernels built for PVM). The rule lives in the probe
 * below, once: the facts step and `doctor` run the same lines, and the TypeScript side only
 * reads what they print.
 */
import { shellQuote } from "../lib/shell";
import type { ComputeDriver, VirtType } from "../config/types";

/** What the probe finds on a host. */
export interface VirtualizationFacts {
  /** CPU threads with the vmx or svm flag (the install guide's test). */
  readonly virtualizationFlags: number;
  /** /dev/kvm is a character device. */
  readonly kvmDevice: boolean;
  /** The KVM module /sys/module shows (kvm_intel, kvm_amd, kvm_pvm), "" when none is visible (containers hide /sys/module). */
  readonly kvmModule: string;
  /** Whether the host can run KVM guests, and why (or why not), in words. */
  readonly kvmUsable: boolean;
  readonly kvmReason: string;
  /** /dev/net/tun is a character device: libvirt plugs guest interfaces as tap devices. */
  readonly tunDevice: boolean;
}

/**
 * POSIX sh lines that set the shell variables cpu_flags, kvm_device, kvm_module, kvm_usable,
 * kvm_reason and tun_device (true/false, numbers or words; none contains a double quote).
 * @param root where /proc, /dev and /sys are: "" on hosts; tests point it at a made-up tree
 */
export function virtualizationProbeLines(root = ""): string[] {
  const at = (path: string) => shellQuote(`${root}${path}`);
  return [
    `cpu_flags=$(grep -cE '(vmx|svm)' ${at("/proc/cpuinfo")} || true)`,
    `if [ -c ${at("/dev/kvm")} ]; then kvm_device=true; else kvm_device=false; fi`,
    'kvm_module=""',
    `for module in kvm_intel kvm_amd kvm_pvm; do if [ -d ${at("/sys/module/")}"$module" ]; then kvm_module=$module; break; fi; done`,
    'if [ "$kvm_device" = false ]; then',
    "  kvm_usable=false",
    '  if [ "$cpu_flags" -gt 0 ]; then kvm_reason="/dev/kvm is absent although the CPU shows vmx/svm (load kvm_intel or kvm_amd)"; else kvm_reason="/dev/kvm is absent and the CPU shows no vmx/svm"; fi',
    'elif [ "$kvm_module" = kvm_pvm ]; then',
    '  kvm_usable=false; kvm_reason="/dev/kvm is served by kvm_pvm, which boots only guest kernels built for PVM"',
    "else",
    '  kvm_usable=true; kvm_reason="/dev/kvm is present${kvm_module:+ ($kvm_module)}"',
    "fi",
    `if [ -c ${at("/dev/net/tun")} ]; then tun_device=true; else tun_device=false; fi`,
  ];
}

/** The probe's variables as JSON members (for a printf format and its arguments). */
export const virtualizationJson = {
  format: '"virtualizationFlags":%d,"kvmDevice":%s,"kvmModule":"%s","kvmUsable":%s,"kvmReason":"%s","tunDevice":%s',
  arguments: '"$cpu_flags" "$kvm_device" "$kvm_module" "$kvm_usable" "$kvm_reason" "$tun_device"',
};

/** What a compute must offer for the stack's settings; each unmet one refuses the host at its facts step. */
export interface VirtualizationRequirements {
  readonly kvm: boolean;
  readonly tun: boolean;
}

export function virtualizationRequirements(computeDriver: ComputeDriver, configured: VirtType | undefined): VirtualizationRequirements {
  const libvirt = computeDriver === "libvirt.LibvirtDriver";
  return { kvm: libvirt && configured === "kvm", tun: libvirt };
}

/**
 * sh lines, after the probe, that fail naming the host, the setting and what was found when
 * the host cannot meet `requirements`.
 */
export function requirementCheckLines(requirements: VirtualizationRequirements): string[] {
  const fail = (message: string) => `{ echo "$(hostname): ${message}" >&2; exit 1; }`;
  return [
    ...(requirements.kvm
      ? [
          `[ "$kvm_usable" = true ] || ${fail(
            `nova-installer:virtType is kvm, but this host cannot run KVM guests: $kvm_reason. Set nova-installer:virtType to qemu (emulation), or leave it unset to decide per host`,
          )}`,
        ]
      : []),
    ...(requirements.tun
      ? [
          `[ "$tun_device" = true ] || ${fail(
            `nova-installer:computeDriver is libvirt.LibvirtDriver, which plugs guest interfaces as tap devices, but /dev/net/tun is missing (load the tun module)`,
          )}`,
        ]
      : []),
  ];
}

/** virt_type for a host: the operator's setting, else kvm when the host can run KVM guests, else qemu. */
export function virtTypeFor(facts: Pick<VirtualizationFacts, "kvmUsable">, configured?: VirtType): VirtType {
  return configured ?? (facts.kvmUsable ? "kvm" : "qemu");
}

/** Reads facts recorded before the probe knew /dev/kvm (only CPU flags): the old rule, as those hosts were configured. */
export function recordedKvmUsable(recorded: { readonly kvmUsable?: boolean; readonly virtualizationFlags: number }): boolean {
  return recorded.kvmUsable ?? recorded.virtualizationFlags > 0;
}

/** One line for people: "0 CPU threads with vmx/svm; /dev/kvm is absent ...; /dev/net/tun present". */
export function describeVirtualization(facts: VirtualizationFacts): string {
  return `${facts.virtualizationFlags} CPU threads with vmx/svm; ${facts.kvmReason}; /dev/net/tun ${facts.tunDevice ? "present" : "missing"}`;
}

/** A standalone probe printing `name=value` lines (doctor's section). */
export function virtualizationReportScript(root = ""): string {
  const names = ["cpu_flags", "kvm_device", "kvm_module", "kvm_usable", "kvm_reason", "tun_device"];
  return [...virtualizationProbeLines(root), ...names.map((name) => `printf '%s=%s\\n' ${shellQuote(name)} "$${name}"`)].join("\n");
}

/** Parses virtualizationReportScript's output. */
export function parseVirtualizationReport(text: string): VirtualizationFacts {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)=(.*)$/.exec(line.trim());
    if (match) values[match[1]] = match[2];
  }
  return {
    virtualizationFlags: Number(values["cpu_flags"]) || 0,
    kvmDevice: values["kvm_device"] === "true",
    kvmModule: values["kvm_module"] ?? "",
    kvmUsable: values["kvm_usable"] === "true",
    kvmReason: values["kvm_reason"] ?? "not probed",
    tunDevice: values["tun_device"] === "true",
  };
}
