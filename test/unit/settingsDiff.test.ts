/**
 * Which settings are secret is data (lib/settingsDiff.ts installerSecretKeys): every file of every
 * profile, rendered with stand-in passwords, keeps them only in keys the data names, so
 * preview-diff and drift never show one.
 */
import { describe, expect, it } from "vitest";
import { settingChanges } from "../../lib/settingsDiff";
import { hostPlan } from "../../plan/hostPlan";
import { profileFor, supportedProfiles } from "../../profiles/profiles";
import { maskingPasswords } from "../../render/masking";
import { stackFor } from "../support/stacks";

describe("secret settings", () => {
  for (const key of supportedProfiles) {
    it(`are named for every password a file of ${key} holds`, () => {
      const profile = profileFor(...(key.split("/") as [string, string]));
      const config = stackFor(profile.operatingSystem, profile.release, true);
      let files = 0;
      for (const host of config.hosts) {
        for (const file of hostPlan(config, host.name).files) {
          const text = file.render(maskingPasswords(), "qemu");
          // Every setting as "added" to an empty file: values are returned for the non-secret ones only.
          const shown = settingChanges("", text).filter((change) => change.secret !== true);
          expect(
            shown.filter((change) => /MASKEDxPASSWORD/.test(change.after ?? "")).map((change) => `${file.path} [${change.section}] ${change.key}`),
          ).toEqual([]);
          files++;
        }
      }
      expect(files).toBeGreaterThan(5);
    });
  }
});
