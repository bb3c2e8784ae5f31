import { describe, expect, it } from "vitest";
import { allPackages, packageSets, profileFor } from "../../profiles/profiles";
import {
  defaultLabProfile,
  imageInputs,
  imageKey,
  imageSuite,
  labExtraPackages,
  labProfileFor,
  labProfiles,
  packageGroups,
} from "../../lab/image-recipe";

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

  it("names images by a stable hash of their inputs, prefixed with the profile's Debian suite", () => {
    expect(imageKey(imageInputs(profile))).toBe(imageKey(imageInputs(profile)));
    expect(imageKey(imageInputs(profile))).toMatch(/^bookworm-[0-9a-f]{16}$/);
    expect(imageKey(imageInputs(profileFor("debian-13", "epoxy")))).toMatch(/^trixie-[0-9a-f]{16}$/);
  });

  it("runs the Debian profiles, debian-13/epoxy by default, and refuses the others naming --profile", () => {
    expect(labProfiles).toEqual(["debian-13/epoxy", "debian-12/zed"]);
    expect(defaultLabProfile).toBe("debian-13/epoxy");
    expect(imageSuite(labProfileFor("debian-12/zed"))).toBe("bookworm");
    expect(imageSuite(labProfileFor("debian-13/epoxy"))).toBe("trixie");
    expect(() => labProfileFor("centos-7/rocky")).toThrow(
      /--profile centos-7\/rocky is not one the lab can run: expected one of debian-13\/epoxy, debian-12\/zed/,
    );
    expect(() => imageSuite(profileFor("centos-stream-9", "caracal"))).toThrow(/only Debian profiles/);
  });

  it("changes the key when the package list or the recipe changes", () => {
    const base = imageInputs(profile);
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
