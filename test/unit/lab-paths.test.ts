import { describe, expect, it } from "vitest";
import { hostLayout, labCacheDir, labLayout, labStateDir } from "../../lab/paths";

describe("lab paths", () => {
  it("puts the image cache under NOVA_INSTALLER_CACHE, else XDG_CACHE_HOME, else ~/.cache", () => {
    expect(labCacheDir({ NOVA_INSTALLER_CACHE: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/c/lab");
    expect(labCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/nova-installer/lab");
    expect(labCacheDir({ NOVA_INSTALLER_CACHE: "", HOME: "/h" })).toBe("/h/.cache/nova-installer/lab");
    expect(() => labCacheDir({})).toThrow(/NOVA_INSTALLER_CACHE, XDG_CACHE_HOME and HOME are all unset/);
  });

  it("puts the state under NOVA_INSTALLER_STATE, else the repo's .state", () => {
    expect(labStateDir({ NOVA_INSTALLER_STATE: "/s" }, "/repo")).toBe("/s/lab");
    expect(labStateDir({}, "/repo")).toBe("/repo/.state/lab");
  });

  it("lays out a lab and its hosts", () => {
    const layout = labLayout("/s/lab");
    expect(layout.inventory).toBe("/s/lab/inventory.json");
    expect(layout.privateKey).toBe("/s/lab/id_ed25519");
    const host = hostLayout(layout, "compute1");
    expect(host).toMatchObject({ upper: "/s/lab/hosts/compute1/upper", merged: "/s/lab/hosts/compute1/root" });
  });
});
