/**
 * LAB ONLY: what the lab's compute hosts need, as systemd-nspawn containers, for libvirt and QEMU
 * to run guests. Nothing here is written by the installer on real hosts: these are lab files,
 * written into a compute's layer before it boots (host-files.ts), each marked as lab-only.
 *
 * - libvirt must not manage cgroups: a container's cgroup controllers are mounted read-only, and
 *   libvirt's QEMU driver fails every guest start with "Failed to create v1 controller cpu for
 *   group: Read-only file system". `cgroup_controllers = [ ]` in qemu.conf turns that off.
 * - KVM, when this machine can run KVM guests (the installer's own probe decides, run here):
 *   the container gets its own /dev/kvm node, group kvm, mode 0660, as udev makes it on real
 *   hosts, so that QEMU, running as libvirt-qemu, may open it. It is made just before the
 *   hypervisor daemon starts (a drop-in of its unit): the kvm group exists only once the
 *   packages are installed. The machine's own node stays as it is (root-only here). Otherwise the computes have no /dev/kvm and libvirt
 *   runs guests under QEMU's emulation (TCG), which the lab says.
 * - /dev/net/tun: nspawn gives every container one; nothing to do.
 */
import { execFileSync } from "child_process";
import { parseVirtualizationReport, virtualizationReportScript } from "../steps/virtualization";
import type { LayerEntry } from "./host-files";

/** How the lab's guests run: KVM or QEMU's emulation (TCG), and why. */
export interface LabAccelerator {
  readonly accelerator: "kvm" | "tcg";
  readonly reason: string;
}

/** What this machine can run, by the probe the installer runs on its computes. */
export function detectLabAccelerator(): LabAccelerator {
  const facts = parseVirtualizationReport(execFileSync("/bin/sh", ["-c", virtualizationReportScript()], { encoding: "utf8" }));
  return { accelerator: facts.kvmUsable ? "kvm" : "tcg", reason: facts.kvmReason };
}

/** One line for `lab up`: how guests will run, and why. */
export function describeLabAccelerator(accelerator: LabAccelerator): string {
  return accelerator.accelerator === "kvm"
    ? `compute guests: KVM (${accelerator.reason}; each compute gets its own /dev/kvm)`
    : `compute guests: QEMU emulation (TCG), no /dev/kvm on the computes: ${accelerator.reason}`;
}

const labOnly = "# LAB ONLY, written by nova-installer lab (lab/hypervisor.ts); the installer never writes this on real hosts.";

/** /etc/libvirt/qemu.conf of a lab compute. Debian's packaged file sets nothing (all comments), so nothing else is lost. */
export function renderLabQemuConf(): string {
  return [
    labOnly,
    "# The container's cgroup controllers are read-only: libvirt must not try to create guest cgroups.",
    "cgroup_controllers = [ ]",
    "",
  ].join("\n");
}

/**
 * A drop-in of the hypervisor unit that makes the container's own /dev/kvm (misc device 10:232)
 * before the daemon starts, as udev would on a host. "+": as root, whatever the unit's user.
 */
export function renderLabKvmDropIn(): string {
  return [
    labOnly,
    "[Service]",
    "ExecStartPre=+/bin/sh -c '[ -c /dev/kvm ] || mknod -m 0660 /dev/kvm c 10 232; chgrp kvm /dev/kvm; chmod 0660 /dev/kvm'",
    "",
  ].join("\n");
}

/** The lab-only files of a compute host; `hypervisorUnit` is the profile's (libvirtd). */
export function labComputeEntries(accelerator: LabAccelerator, hypervisorUnit: string): LayerEntry[] {
  const file = (path: string, content: string): LayerEntry => ({ kind: "file", path, content, mode: 0o644 });
  return [
    { kind: "directory", path: "/etc/libvirt", mode: 0o755 },
    file("/etc/libvirt/qemu.conf", renderLabQemuConf()),
    ...(accelerator.accelerator === "kvm"
      ? [file(`/etc/systemd/system/${hypervisorUnit}.service.d/nova-installer-lab-kvm.conf`, renderLabKvmDropIn())]
      : []),
  ];
}
