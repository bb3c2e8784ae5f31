import { describe, expect, it } from "vitest";
import { allPackages, packageSets, profileFor } from "../../profiles/profiles";
import { imageInputs, imageKey, labExtraPackages, packageGroups } from "../../lab/image-recipe";

describe("lab image recipe", () => {
  const profile = profileFor("debian-12", "zed");

  it("downloads every package of the Debian 12 / Zed profile, plus the lab extras", () => {
    const [all] = packageGroups(profile);
    expect(all.name).toBe("all");
    for (const name of [...allPackages(profile), ...labExtraPackages]) expect(all.packages).toContain(name);
    expect(all.packages).toContain("nova-compute");
    expect(all.packages).toContain("mariadb-server");
  });

  it("also downloads each package set on its own", () => {
    const names = packageGroups(profile).map((group) => group.name);
    expect(names).toEqual([
      "all",
      ...Object.entries(packageSets(profile))
        .filter(([, packages]) => packages.length > 0)
        .map(([name]) => name),
      "lab-extra",
    ]);
  });

  it("names images by a stable hash of their inputs", () => {
    expect(imageKey(imageInputs())).toBe(imageKey(imageInputs()));
    expect(imageKey(imageInputs())).toMatch(/^bookworm-[0-9a-f]{16}$/);
  });

  it("changes the key when the package list or the recipe changes", () => {
    const base = imageInputs();
    const morePackages = {
      ...base,
      packageGroups: [...base.packageGroups, { name: "extra", packages: ["cowsay"] }],
    };
    expect(imageKey(morePackages)).not.toBe(imageKey(base));
    expect(imageKey({ ...base, recipeVersion: base.recipeVersion + 1 })).not.toBe(imageKey(base));
    expect(imageKey({ ...base, debootstrapIncludes: [...base.debootstrapIncludes, "vim"] })).not.toBe(imageKey(base));
  });

  it("follows the profile: another profile gives another key", () => {
    const other = { ...profile, clientPackages: ["python3-openstackclient", "python3-novaclient"] };
    expect(imageKey(imageInputs(other))).not.toBe(imageKey(imageInputs(profile)));
  });
});
