import { execFileSync } from "child_process";
import { describe, expect, it } from "vitest";
import { shellAssignments, shellQuote } from "../../lib/shell";
import { frameScript, redact, remoteShell, tail } from "../../remote/script";

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
