/** `nova-installer:guestImage`: a built guest image directory, its files checked against its manifest. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveStackConfig } from "../../config/stackConfig";
import { ConfigError } from "../../config/types";
import { writeGuestImage } from "../support/guestImage";
import { rawStack } from "../support/stacks";

const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-guest-image-"));
afterAll(() => fs.rmSync(workDirectory, { recursive: true, force: true }));

function problemsWith(guestImage: string): string {
  try {
    resolveStackConfig(rawStack({ guestImage }));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join("\n");
  }
  throw new Error("expected the configuration to be rejected");
}

const buildAdvice = "build it with `nova-installer guest-image` and set this key to the directory it prints";

describe("nova-installer:guestImage", () => {
  it("is unset by default: no guest image", () => {
    expect(resolveStackConfig(rawStack()).guestImage).toBeUndefined();
    expect(resolveStackConfig(rawStack({ guestImage: "" })).guestImage).toBeUndefined();
  });

  it("gives the artifacts of an intact image directory with their manifest", () => {
    const dir = path.join(workDirectory, "intact");
    const manifest = writeGuestImage(dir);
    const guestImage = resolveStackConfig(rawStack({ guestImage: dir })).guestImage;
    expect(guestImage).toMatchObject({
      dir,
      kernel: path.join(dir, "vmlinuz"),
      initramfs: path.join(dir, "initramfs.gz"),
      rootDisk: path.join(dir, "root.img"),
    });
    expect(guestImage?.manifest.artifacts).toEqual(manifest.artifacts);
  });

  it.each([
    ["a relative path", () => "guest-image", `"guest-image" is not an absolute path`],
    ["a missing directory", () => path.join(workDirectory, "missing"), "does not exist"],
    [
      "a directory without manifest",
      () => {
        fs.mkdirSync(path.join(workDirectory, "empty"));
        return path.join(workDirectory, "empty");
      },
      "has no manifest.json (not a built guest image)",
    ],
    [
      "a damaged manifest",
      () => {
        const dir = path.join(workDirectory, "damaged");
        writeGuestImage(dir);
        fs.writeFileSync(path.join(dir, "manifest.json"), "{");
        return dir;
      },
      "has a damaged manifest.json",
    ],
    [
      "a changed artifact",
      () => {
        const dir = path.join(workDirectory, "changed");
        writeGuestImage(dir);
        fs.writeFileSync(path.join(dir, "vmlinuz"), "kernem");
        return dir;
      },
      "holds a vmlinuz with sha256 ",
    ],
    [
      "a truncated artifact",
      () => {
        const dir = path.join(workDirectory, "truncated");
        writeGuestImage(dir);
        fs.writeFileSync(path.join(dir, "root.img"), "ro");
        return dir;
      },
      "holds a root.img of 2 bytes; manifest.json says 4",
    ],
    [
      "a missing artifact",
      () => {
        const dir = path.join(workDirectory, "incomplete");
        writeGuestImage(dir);
        fs.rmSync(path.join(dir, "initramfs.gz"));
        return dir;
      },
      "lacks initramfs.gz, which manifest.json lists",
    ],
  ])("refuses %s, naming the key and saying how to build the image", (_case, make, problem) => {
    const dir = make();
    const problems = problemsWith(dir);
    expect(problems).toContain(`nova-installer:guestImage: ${JSON.stringify(dir)} `);
    expect(problems).toContain(problem);
    expect(problems).toContain(buildAdvice);
  });
});
