import { describe, expect, it } from "vitest";
import { allPackages, computeDriverClass, profileFor, supportedProfiles } from "../../profiles/profiles";
import { hostPlan, plannedService } from "../../plan/hostPlan";
import { stackFor } from "../support/stacks";

describe("profiles", () => {
  it("knows the lab profile and the source documents' releases", () => {
    expect(supportedProfiles).toEqual(["debian-13/epoxy", "debian-12/zed", "centos-7/queens", "centos-7/rocky", "centos-stream-9/caracal"]);
  });

  it("throws on an unknown combination, naming it and the supported ones", () => {
    expect(() => profileFor("centos-7", "zed")).toThrow(
      /unsupported operating system\/release "centos-7\/zed"; supported: debian-13\/epoxy, debian-12\/zed, centos-7\/queens/,
    );
  });

  it("lists every package of every role once, sorted", () => {
    const packages = allPackages(profileFor("debian-12", "zed"));
    expect(packages).toContain("nova-compute");
    expect(packages).toContain("placement-api");
    expect(packages).toEqual([...new Set(packages)].sort());
  });

  it("keeps the release differences of the source documents", () => {
    const queens = profileFor("centos-7", "queens").services;
    expect(queens.placement).toMatchObject({ packages: [], units: ["httpd"], files: {}, sharesDatabase: true });
    expect(queens.nova.packages).toContain("openstack-nova-placement-api");
    expect(queens.nova.units).toContain("openstack-nova-consoleauth");
    expect(queens.nova.files["nova-conf"].templates).toContain("nova/placement-os-region-name");
    expect(queens.keystone.files["placement-directory-grant-conf"].path).toBe("/etc/httpd/conf.d/00-nova-placement-directory.conf");
    expect(profileFor("centos-7", "rocky").services.nova.files["nova-conf"].templates).toContain("nova/placement");
    expect(profileFor("centos-7", "rocky").services.nova.files["nova-conf"].templates).toContain("nova/legacy-network");
    expect(profileFor("debian-12", "zed").services.novaCompute.files["nova-conf"].templates).toContain("nova/service-user");
    expect(profileFor("centos-7", "queens").templatedCellUrls).toBe(false);
    expect(profileFor("centos-7", "rocky").templatedCellUrls).toBe(true);
    expect(profileFor("centos-stream-9", "caracal").services.nova.units).not.toContain("openstack-nova-consoleauth");
    expect(profileFor("centos-stream-9", "caracal").services.placement.sharesDatabase).toBeUndefined();
  });

  it("names the fake driver that keeps the node's identity where Nova keeps one (2023.1 and later)", () => {
    expect(computeDriverClass(profileFor("debian-13", "epoxy"), "fake.FakeDriver")).toBe("fake.FakeDriverWithoutFakeNodes");
    expect(computeDriverClass(profileFor("centos-stream-9", "caracal"), "fake.FakeDriver")).toBe("fake.FakeDriverWithoutFakeNodes");
    expect(computeDriverClass(profileFor("debian-12", "zed"), "fake.FakeDriver")).toBe("fake.FakeDriver");
    expect(computeDriverClass(profileFor("debian-13", "epoxy"), "libvirt.LibvirtDriver")).toBe("libvirt.LibvirtDriver");
    const stack = stackFor("debian-13", "epoxy", true, { computeDriver: "fake.FakeDriver" });
    const novaConf = plannedService(hostPlan(stack, "compute1"), "novaCompute").files.find((file) => file.path === "/etc/nova/nova.conf");
    expect(novaConf?.render(stack.passwords, "qemu")).toContain("\ncompute_driver = fake.FakeDriverWithoutFakeNodes\n");
  });
});
