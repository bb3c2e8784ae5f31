import { defineConfig } from "vitest/config";

/**
 * Three projects, from fast to slow:
 * - unit: pure logic and the component graph under Pulumi mocks; no engine, no hosts.
 * - engine: the real Pulumi engine (bootstrapped by scripts/bootstrap-engine.sh) on a local backend.
 * - lab: real hosts (systemd-nspawn machines) brought up by the lab; needs root.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts", "**/*.unit.test.ts"], exclude: ["node_modules/**"] } },
      { test: { name: "engine", include: ["test/engine/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 600_000 } },
      { test: { name: "lab", include: ["test/lab/**/*.test.ts"], testTimeout: 1_800_000, hookTimeout: 1_800_000 } },
    ],
  },
});
