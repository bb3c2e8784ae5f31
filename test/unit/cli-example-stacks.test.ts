/**
 * The example stacks (stacks/Pulumi.example-*.yaml): every key of Pulumi.yaml present or
 * commented out, no secret in them, and a configuration `pulumi up` accepts once the passwords
 * are set. Their values are one line of JSON each (valid YAML), so a line reader is parser enough.
 */
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { withStandInPasswords } from "../../cli/stackConfigReader";
import { rawStackConfig } from "../../config/rawConfig";
import { resolveStackConfig } from "../../config/stackConfig";

const root = join(__dirname, "..", "..");
const examples = readdirSync(join(root, "stacks"))
  .filter((name) => /^Pulumi\.example-.*\.yaml$/.test(name))
  .sort();

/** The `nova-installer:*` keys Pulumi.yaml declares. */
function projectKeys(): string[] {
  return [...readFileSync(join(root, "Pulumi.yaml"), "utf8").matchAll(/^ {2}nova-installer:([A-Za-z]+):$/gm)].map((match) => match[1]);
}

interface Example {
  /** Key (without the namespace) -> parsed JSON value. */
  readonly values: Record<string, unknown>;
  /** Keys only mentioned in a comment (`# nova-installer:key: ...`). */
  readonly commented: string[];
  /** Lines of the config block that are neither a comment, blank, nor `key: <one line of JSON>`. */
  readonly strayLines: string[];
}

function readExample(name: string): Example {
  const text = readFileSync(join(root, "stacks", name), "utf8");
  const [header, block] = text.split(/^config:\n/m);
  expect(
    header.split("\n").every((line) => line === "" || line.startsWith("#")),
    `${name}: only comments before config:`,
  ).toBe(true);
  const values: Record<string, unknown> = {};
  const commented: string[] = [];
  const strayLines: string[] = [];
  for (const line of (block ?? "").split("\n")) {
    const setting = /^ {2}nova-installer:([A-Za-z]+): (.+)$/.exec(line);
    const comment = /^ {2}# nova-installer:([A-Za-z]+):/.exec(line);
    if (setting) {
      values[setting[1]] = JSON.parse(setting[2]);
    } else if (comment) {
      commented.push(comment[1]);
    } else if (!/^( {2}#.*)?$/.test(line)) {
      strayLines.push(line);
    }
  }
  return { values, commented, strayLines };
}

describe("example stacks", () => {
  it("are the four documented ones", () => {
    expect(examples).toEqual([
      "Pulumi.example-centos7-queens.yaml",
      "Pulumi.example-centos7-rocky.yaml",
      "Pulumi.example-debian13-epoxy.yaml",
      "Pulumi.example-stream9-caracal.yaml",
    ]);
  });

  describe.each(examples)("%s", (name) => {
    const example = readExample(name);

    it("holds only comments and one-line JSON values", () => {
      expect(example.strayLines).toEqual([]);
    });

    it("sets or comments out every key of Pulumi.yaml, and no other", () => {
      const keys = [...Object.keys(example.values), ...example.commented];
      expect([...keys].sort()).toEqual([...projectKeys()].sort());
    });

    it("holds no secret: passwords are left to secrets init", () => {
      expect(example.values).not.toHaveProperty("passwords");
      expect(readFileSync(join(root, "stacks", name), "utf8")).not.toMatch(/secure:|encryptionsalt:/);
    });

    it("is a configuration pulumi up accepts once the passwords are set", () => {
      // Pulumi hands the program strings: text as is, anything else as JSON.
      const stored = (key: string) => {
        const value = example.values[key];
        return value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
      };
      const stack = resolveStackConfig(withStandInPasswords(rawStackConfig(stored)));
      const [, os, release] = /^Pulumi\.example-(centos7|stream9|debian13)-(\w+)\.yaml$/.exec(name) ?? [];
      expect(`${stack.operatingSystem}/${stack.openstackRelease}`).toBe(
        `${{ centos7: "centos-7", stream9: "centos-stream-9", debian13: "debian-13" }[os]}/${release}`,
      );
      expect(stack.controller).toBeDefined();
      expect(stack.computes.length).toBeGreaterThan(0);
    });
  });
});
