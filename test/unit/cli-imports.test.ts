/**
 * The read-only commands stay light and safe: `doctor`, `verify`, `render` and `hosts` read the
 * stack and the host plan, never the component graph (components/, deployment.ts) or the
 * Pulumi SDK, so they cannot register resources and start without loading the engine's library.
 */
import { readFileSync } from "fs";
import { dirname, join, relative, resolve } from "path";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "..", "..");

/** Every project file a module reaches through its (non-type) imports, and the packages it loads. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/^import (?!type )[^;]*?from "([^"]+)";/gms)) {
      const specifier = match[1];
      if (!specifier.startsWith(".")) {
        packages.add(specifier);
        continue;
      }
      const target = resolve(dirname(file), specifier);
      visit(target.endsWith(".ts") ? target : `${target}.ts`);
    }
  };
  visit(join(root, entry));
  return { files: new Set([...files].map((file) => relative(root, file))), packages };
}

describe.each(["cli/doctor.ts", "cli/verify.ts", "cli/render.ts", "cli/hostKeys.ts"])("%s", (entry) => {
  it("does not import the component graph or the Pulumi SDK", () => {
    const { files, packages } = reachable(entry);
    expect([...files].filter((file) => file.startsWith("components/") || file === "deployment.ts" || file === "index.ts")).toEqual([]);
    expect([...packages].filter((name) => name.startsWith("@pulumi/"))).toEqual([]);
  });
});
