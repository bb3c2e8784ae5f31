import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { shellAssignments, shellQuote } from "../../lib/shell";
import { frameScript, redact, remoteShell, stepLockPath, tail } from "../../remote/script";

const hostile = [
  "plain",
  "with space",
  "it's",
  `"double"`,
  "$HOME and $(id) and `id`",
  "semi;colon & amp | pipe",
  "back\\slash",
  "new\nline",
  "glob * ? [a]",
  "' \" $ @ : / % & = ! # ; \\ ",
  "",
];

/** Runs a script with the real bash, as the hosts do. */
function bash(script: string, stdin?: string): string {
  return execFileSync("/bin/bash", ["-c", script], { input: stdin, encoding: "utf8" });
}

describe("shellQuote", () => {
  it.each(hostile)("passes %j through bash unchanged", (value) => {
    expect(bash(`printf '%s' ${shellQuote(value)}`)).toBe(value);
  });

  it("rejects NUL", () => {
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });
});

describe("shellAssignments", () => {
  it("defines each variable with its exact value, without exporting it", () => {
    const assignments = shellAssignments({ DB_PASSWORD: hostile[9], OTHER: "x y" });
    expect(bash(`${assignments} printf '%s|%s|%s' "$DB_PASSWORD" "$OTHER" "$(env | grep -c DB_PASSWORD || true)"`)).toBe(`${hostile[9]}|x y|0`);
  });

  it("rejects variable names that are not upper-case identifiers", () => {
    expect(() => shellAssignments({ "a;b": "x" })).toThrow(/invalid shell variable name "a;b"/);
  });
});

describe("frameScript", () => {
  it("runs the body with the secrets defined, through the fixed remote command line", () => {
    const framed = frameScript(`printf '%s' "$SECRET"`, { SECRET: hostile[9] });
    expect(remoteShell).toBe("/bin/bash -s");
    expect(execFileSync("/bin/bash", ["-s"], { input: framed, encoding: "utf8" })).toBe(hostile[9]);
  });

  it("keeps commands that read stdin from swallowing the rest of the script", () => {
    const framed = frameScript("cat\necho after");
    expect(execFileSync("/bin/bash", ["-s"], { input: framed, encoding: "utf8" })).toBe("after\n");
  });

  it("serializes runs of the same step (a run left behind by a killed deploy) and not of others", async () => {
    const stepId = `unit-test-${process.pid}:lock`;
    // Each run appends to one log as it works, so the order is what the scripts did, not when
    // this process happened to hear of their exits.
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "step-lock-")), "order");
    const run = (body: string, id: string) =>
      new Promise<void>((resolve, reject) => {
        const child = execFile("/bin/bash", ["-s"], (error) => (error ? reject(error) : resolve()));
        child.stdin!.end(frameScript(body, {}, id));
      });
    const first = run(`echo first-start >> '${log}'; sleep 1.5; echo first-end >> '${log}'`, stepId);
    // The others start once the first holds the lock (it logs after taking it); bounded wait.
    for (let waited = 0; !(fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("first-start")); waited += 20) {
      if (waited > 10_000) throw new Error("the first run never started");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all([first, run(`echo same-step >> '${log}'`, stepId), run(`echo other-step >> '${log}'`, `${stepId}-other`)]);
    expect(fs.readFileSync(log, "utf8").split("\n").filter(Boolean)).toEqual(["first-start", "other-step", "first-end", "same-step"]);
    fs.rmSync(path.dirname(log), { recursive: true });
    expect(frameScript("sleep 5 &", {}, stepId)).toContain("__nova_step </dev/null 9>&-");
    expect(stepLockPath(stepId)).toMatch(/^\/run\/lock\/nova-installer-[0-9a-f]{16}\.lock$/);
  });

  it("stops at the first failing command", () => {
    const framed = frameScript("false\necho not reached");
    expect(() => execFileSync("/bin/bash", ["-s"], { input: framed, encoding: "utf8", stdio: "pipe" })).toThrow();
  });
});

describe("redact and tail", () => {
  it("removes every secret value, longest first", () => {
    expect(redact("user pw=abc and abcdef", { A: "abc", B: "abcdef" })).toBe("user pw=[secret] and [secret]");
  });

  it("keeps the last lines of long output", () => {
    const text = Array.from({ length: 40 }, (_, index) => `line ${index}`).join("\n");
    expect(tail(text, 3)).toBe("...\nline 37\nline 38\nline 39");
  });
});
