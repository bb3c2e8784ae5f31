import { describe, expect, it } from "vitest";
import { bootFlavor, bootImageName, bootServerName, createServerScript, parseGuestRuntime, waitForMarkerScript } from "../../cli/verifyBoot";

describe("verify --boot", () => {
  it("boots the smallest flavor of the stack, and names the key when there is none", () => {
    const flavors = [
      { name: "m1.small", vcpus: 1, ramMb: 2048, diskGb: 20 },
      { name: "m1.tiny", vcpus: 1, ramMb: 512, diskGb: 1 },
    ];
    expect(bootFlavor(flavors).name).toBe("m1.tiny");
    expect(() => bootFlavor([])).toThrow(/add one to nova-installer:flavors/);
  });

  it("boots the test guest's root image on the named compute, without a network", () => {
    expect(bootImageName).toBe("nova-installer-guest");
    const script = createServerScript("compute1", "m1.tiny", bootServerName("compute1", "42"));
    expect(script).toContain("--availability-zone 'nova:compute1'");
    expect(script).toContain("--image 'nova-installer-guest' --flavor 'm1.tiny' --nic none");
    expect(script).toContain("nova-installer-verify-compute1-42");
  });

  it("waits for the marker with the instance's own UUID, bounded", () => {
    const script = waitForMarkerScript("3f2a7c1e-0000-4000-8000-000000000001", 600);
    expect(script).toContain("'nova-installer-guest booted uuid=3f2a7c1e-0000-4000-8000-000000000001'");
    expect(script).toContain("/var/lib/nova/instances/3f2a7c1e-0000-4000-8000-000000000001/console.log");
    expect(script).toMatch(/no marker in .* after 600 s/);
  });

  it("reads the domain type and QEMU's accelerator", () => {
    expect(parseGuestRuntime("type=qemu\nstate=running\npid=4242\naccel=tcg\n")).toEqual({
      domainType: "qemu",
      state: "running",
      accelerator: "tcg",
      pid: 4242,
    });
    expect(parseGuestRuntime("")).toEqual({ domainType: "unknown", state: "", accelerator: "unknown", pid: 0 });
  });
});
