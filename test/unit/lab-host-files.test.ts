import { describe, expect, it } from "vitest";
import { defaultLabSpec } from "../../lab/config";
import { LayerEntry, hostLayerEntries, maskedUnits, renderJournaldConfig, renderSshdConfig } from "../../lab/host-files";
import { planHosts } from "../../lab/network";

const hosts = planHosts(defaultLabSpec, 2);
const authorizedKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample lab";
const tcg = { accelerator: "tcg" as const, reason: "/dev/kvm is served by kvm_pvm, which boots only guest kernels built for PVM" };
const kvm = { accelerator: "kvm" as const, reason: "/dev/kvm is present (kvm_intel)" };

function byPath(entries: readonly LayerEntry[]): Map<string, LayerEntry> {
  return new Map(entries.map((entry) => [entry.path, entry]));
}

describe("lab host files", () => {
  const entries = byPath(
    hostLayerEntries({
      host: hosts[1],
      hosts,
      authorizedKey,
      accelerator: tcg,
      hypervisorUnit: "libvirtd",
      machineId: "0123456789abcdef0123456789abcdef",
    }),
  );

  it("names the host and lists every lab host", () => {
    expect(entries.get("/etc/hostname")).toMatchObject({ content: "compute1\n" });
    const etcHosts = entries.get("/etc/hosts");
    expect(etcHosts?.kind === "file" && etcHosts.content).toContain("10.241.0.12\tcompute2");
  });

  it("lets root in by the lab key only", () => {
    expect(entries.get("/root/.ssh/authorized_keys")).toEqual({
      kind: "file",
      path: "/root/.ssh/authorized_keys",
      content: `${authorizedKey}\n`,
      mode: 0o600,
    });
    expect(renderSshdConfig()).toMatch(/^PasswordAuthentication no$/m);
    expect(renderSshdConfig()).toMatch(/^PermitRootLogin prohibit-password$/m);
    expect(renderSshdConfig()).toMatch(/^HostKey \/etc\/ssh\/ssh_host_ed25519_key$/m);
  });

  it("enables networkd with the host's static address and masks units that cannot work", () => {
    expect(entries.get("/etc/systemd/network/10-nova-lab.network")).toMatchObject({ content: expect.stringContaining("Address=10.241.0.11/24") });
    expect(entries.get("/etc/systemd/system/multi-user.target.wants/systemd-networkd.service")).toMatchObject({ kind: "symlink" });
    for (const unit of maskedUnits) expect(entries.get(`/etc/systemd/system/${unit}`)).toMatchObject({ kind: "symlink", target: "/dev/null" });
  });

  it("keeps the journal in memory, so boot has no journal to flush to the shared disk", () => {
    expect(entries.get("/etc/systemd/journald.conf.d/nova-lab.conf")).toMatchObject({ content: renderJournaldConfig() });
    expect(renderJournaldConfig()).toMatch(/^\[Journal\]\nStorage=volatile$/m);
  });

  it("writes a machine id only when given one, and checks it", () => {
    expect(entries.get("/etc/machine-id")).toMatchObject({ content: "0123456789abcdef0123456789abcdef\n" });
    const kept = byPath(
      hostLayerEntries({ host: hosts[0], hosts, authorizedKey, accelerator: tcg, hypervisorUnit: "libvirtd", machineId: undefined }),
    );
    expect(kept.has("/etc/machine-id")).toBe(false);
    expect(() => hostLayerEntries({ host: hosts[0], hosts, authorizedKey, accelerator: tcg, hypervisorUnit: "libvirtd", machineId: "xyz" })).toThrow(
      /machine id "xyz" of controller/,
    );
  });

  it("gives computes, and only them, the lab-only libvirt settings; /dev/kvm only where the machine runs KVM guests", () => {
    const labOnly = /^# LAB ONLY, written by nova-installer lab/;
    expect(entries.get("/etc/libvirt/qemu.conf")).toMatchObject({ content: expect.stringMatching(labOnly) });
    expect(entries.get("/etc/libvirt/qemu.conf")).toMatchObject({ content: expect.stringMatching(/^cgroup_controllers = \[ \]$/m) });
    const dropIn = "/etc/systemd/system/libvirtd.service.d/nova-installer-lab-kvm.conf";
    expect(entries.has(dropIn)).toBe(false);
    const withKvm = byPath(
      hostLayerEntries({ host: hosts[1], hosts, authorizedKey, accelerator: kvm, hypervisorUnit: "libvirtd", machineId: undefined }),
    );
    expect(withKvm.get(dropIn)).toMatchObject({ content: expect.stringMatching(labOnly) });
    expect(withKvm.get(dropIn)).toMatchObject({ content: expect.stringContaining("mknod -m 0660 /dev/kvm c 10 232; chgrp kvm /dev/kvm") });
    const controller = byPath(
      hostLayerEntries({ host: hosts[0], hosts, authorizedKey, accelerator: kvm, hypervisorUnit: "libvirtd", machineId: undefined }),
    );
    expect([...controller.keys()].filter((path) => path.includes("libvirt"))).toEqual([]);
  });

  it("creates /root/.ssh before the file in it", () => {
    const paths = hostLayerEntries({ host: hosts[0], hosts, authorizedKey, accelerator: tcg, hypervisorUnit: "libvirtd", machineId: undefined }).map(
      (entry) => entry.path,
    );
    expect(paths.indexOf("/root/.ssh")).toBeLessThan(paths.indexOf("/root/.ssh/authorized_keys"));
  });
});
