/**
 * Golden files: reviewed copies of what the installer writes or runs, under test/golden/.
 * `UPDATE_GOLDEN=1 npx vitest run --project unit` rewrites them; the diff is then reviewed
 * and committed like code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { expect } from "vitest";

const goldenRoot = join(__dirname, "..", "golden");

export function expectGolden(relativePath: string, actual: string): void {
  const file = join(goldenRoot, relativePath);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`no golden file ${relativePath}; run UPDATE_GOLDEN=1 npx vitest run --project unit and review it`);
  }
  expect(actual, `differs from test/golden/${relativePath}`).toBe(readFileSync(file, "utf8"));
}
