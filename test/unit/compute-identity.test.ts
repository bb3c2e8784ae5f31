/**
 * The compute node identity steps (steps/compute.ts): the file is written when missing, kept when
 * it holds the cloud's UUID, and a different UUID is refused; the lookup prints one UUID. The
 * write script runs under this machine's sh on a temporary file, with `chown` stood in (the nova
 * user exists only on computes).
 */
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { computeIdentityScript, parseComputeIdentity, writeComputeIdentityScript } from "../../steps/compute";
import { profileFor, supportedProfiles } from "../../profiles/profiles";

const uuid = "2fc1f912-ddc8-42e5-b73a-66bc6d458574";
const other = "0ad731d1-9388-4812-b4c8-8bb729955a11";

function runWrite(file: string, wanted: string) {
  const bin = mkdtempSync(join(tmpdir(), "identity-bin-"));
  writeFileSync(join(bin, "chown"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(bin, "chown"), 0o755);
  return spawnSync("/bin/sh", ["-ec", writeComputeIdentityScript(file, wanted)], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
  });
}

describe("compute node identity", () => {
  it("is kept by the releases that have the file (2023.1 and later), in Nova's state_path", () => {
    const withFile = supportedProfiles.filter((key) => {
      const [os, release] = key.split("/");
      return profileFor(os, release).services.novaCompute.identityFile === "/var/lib/nova/compute_id";
    });
    expect(withFile).toEqual(["debian-13/epoxy", "centos-stream-9/caracal"]);
  });

  it("writes the cloud's UUID when the file is missing, without a newline, mode 0644", () => {
    const file = join(mkdtempSync(join(tmpdir(), "identity-")), "compute_id");
    const result = runWrite(file, uuid);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(uuid);
  });

  it("keeps a file that holds the UUID already (a newline after it is fine)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "identity-")), "compute_id");
    writeFileSync(file, `${uuid}\n`);
    expect(runWrite(file, uuid).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(`${uuid}\n`);
  });

  it("refuses a host whose file holds another UUID, naming both and what to do, and leaves the file alone", () => {
    const file = join(mkdtempSync(join(tmpdir(), "identity-")), "compute_id");
    writeFileSync(file, other);
    const result = runWrite(file, uuid);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${file} holds compute node ${other}, but the cloud knows this host as ${uuid}`);
    expect(result.stderr).toContain(`if this host was rebuilt, put ${uuid} in ${file}`);
    expect(readFileSync(file, "utf8")).toBe(other);
  });

  it("looks the UUID up by host name among the rows not deleted, quoting the name for SQL", () => {
    expect(computeIdentityScript("compute1")).toContain("WHERE host = '\\''compute1'\\'' AND deleted = 0");
    expect(computeIdentityScript("compute1")).toContain("/proc/sys/kernel/random/uuid");
  });

  it("reads the lookup's UUID and refuses anything else", () => {
    expect(parseComputeIdentity(`${uuid}\n`)).toBe(uuid);
    expect(() => parseComputeIdentity("ERROR 1146 (42S02): Table 'nova.compute_nodes' doesn't exist\n")).toThrow(/printed no UUID/);
  });
});
