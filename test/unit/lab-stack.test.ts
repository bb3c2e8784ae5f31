/** The lab stack's settings, read back as `pulumi up` and the CLI read them. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { rawConfigFromPulumiJson, withStandInPasswords } from "../../cli/stackConfigReader";
import { resolveStackConfig } from "../../config/stackConfig";
import { defaultLabSpec } from "../../lab/config";
import { buildInventory } from "../../lab/inventory";
import { planHosts } from "../../lab/network";
import { labStackSettings } from "../../lab/stack";
import { writeGuestImage } from "../support/guestImage";
import { testHostKey } from "../support/stacks";

const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "lab-stack-"));
afterAll(() => fs.rmSync(workDirectory, { recursive: true, force: true }));

const inventory = buildInventory(planHosts(defaultLabSpec, 1), { controller: testHostKey, compute1: testHostKey }, "/state/lab/id_ed25519", {
  accelerator: "tcg",
  reason: "/dev/kvm is absent and the CPU shows no vmx/svm",
});

describe("labStackSettings", () => {
  it("names the guest image directory the deploy built, which the stack then resolves", () => {
    const dir = path.join(workDirectory, "bookworm-0123456789abcdef");
    writeGuestImage(dir);
    const stack = resolveStackConfig(withStandInPasswords(rawConfigFromPulumiJson(labStackSettings(inventory, { guestImageDir: dir }))));
    expect(stack.prerequisites).toBe(true);
    expect(stack.guestImage?.dir).toBe(dir);
  });

  it("leaves the key out when no guest image is given", () => {
    expect(Object.keys(labStackSettings(inventory))).not.toContain("nova-installer:guestImage");
  });

  it("sets the compute driver it is given (the benchmark's), and otherwise leaves the product default", () => {
    const settings = labStackSettings(inventory, { computeDriver: "fake.FakeDriver" });
    expect(resolveStackConfig(withStandInPasswords(rawConfigFromPulumiJson(settings))).computeDriver).toBe("fake.FakeDriver");
    expect(Object.keys(labStackSettings(inventory))).not.toContain("nova-installer:computeDriver");
    expect(resolveStackConfig(withStandInPasswords(rawConfigFromPulumiJson(labStackSettings(inventory)))).computeDriver).toBe(
      "libvirt.LibvirtDriver",
    );
  });
});
