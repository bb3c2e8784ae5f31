/**
 * Registering the test guest in Glance: the data (guest/glance.ts), the step the deployment
 * builds from a stack's guestImage, and the step's script run here, with Python, against a
 * fake Glance (test/support/fake-glance): what it creates, keeps, updates and deletes over
 * repeated runs, and that it removes the uploaded files.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { guestImageName, guestImageRegistration, guestUploadDirectory } from "../../guest/glance";
import { inspectGuestImage, GuestImage } from "../../guest/manifest";
import { frameScript } from "../../remote/script";
import { guestImageScript } from "../../steps/image";
import { recordDeployment } from "../support/deployment";
import { writeGuestImage } from "../support/guestImage";
import { stackFor } from "../support/stacks";

const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "glance-register-"));
afterAll(() => fs.rmSync(workDirectory, { recursive: true, force: true }));

function guestImageIn(dir: string, contents?: Parameters<typeof writeGuestImage>[1]): GuestImage {
  writeGuestImage(dir, contents);
  const inspected = inspectGuestImage(dir);
  if (!("image" in inspected)) throw new Error(inspected.problem);
  return inspected.image;
}

describe("guestImageRegistration", () => {
  it("uploads the three artifacts by content into the upload directory and registers kernel, ramdisk, then the root pointing at both", () => {
    const image = guestImageIn(path.join(workDirectory, "data"));
    const registration = guestImageRegistration(image);
    expect(registration.uploads).toEqual([
      { source: image.kernel, path: `${guestUploadDirectory}/vmlinuz`, sha256: image.manifest.artifacts.kernel.sha256 },
      { source: image.initramfs, path: `${guestUploadDirectory}/initramfs.gz`, sha256: image.manifest.artifacts.initramfs.sha256 },
      { source: image.rootDisk, path: `${guestUploadDirectory}/root.img`, sha256: image.manifest.artifacts.rootDisk.sha256 },
    ]);
    expect(registration.images).toEqual([
      {
        name: `${guestImageName}-kernel`,
        file: `${guestUploadDirectory}/vmlinuz`,
        diskFormat: "aki",
        containerFormat: "aki",
        properties: {},
        imageIdProperties: {},
      },
      {
        name: `${guestImageName}-ramdisk`,
        file: `${guestUploadDirectory}/initramfs.gz`,
        diskFormat: "ari",
        containerFormat: "ari",
        properties: {},
        imageIdProperties: {},
      },
      {
        name: guestImageName,
        file: `${guestUploadDirectory}/root.img`,
        diskFormat: "raw",
        containerFormat: "bare",
        properties: { os_command_line: "console=ttyS0" },
        imageIdProperties: { kernel_id: `${guestImageName}-kernel`, ramdisk_id: `${guestImageName}-ramdisk` },
      },
    ]);
  });
});

describe("the Glance step of a deployment", () => {
  const testImageStep = "controller-image-test-image";

  it("with guestImage uploads the artifacts to the controller and registers them", async () => {
    const image = guestImageIn(path.join(workDirectory, "deployment"));
    const recorded = await recordDeployment(stackFor("debian-12", "zed", true, { guestImage: image.dir }));
    const step = recorded.find((resource) => resource.name === testImageStep);
    expect(step?.inputs.connection.hostName).toBe("controller");
    expect(step?.inputs.uploads).toEqual(guestImageRegistration(image).uploads);
    expect(step?.inputs.create).toContain(`"name":"${guestImageName}"`);
    expect(step?.inputs.create).toContain(`python3 "$program"`);
    expect(step?.inputs.create).not.toContain("openstack image create");
  });

  it("without guestImage uploads nothing and registers the placeholder", async () => {
    const recorded = await recordDeployment(stackFor("debian-12", "zed", true));
    const step = recorded.find((resource) => resource.name === testImageStep);
    expect(step?.inputs.uploads).toBeUndefined();
    expect(step?.inputs.create).toContain("openstack image create --disk-format raw --container-format bare --public --file \"$disk\" 'tiny'");
  });
});

describe("the registration script against a fake Glance", () => {
  const state = path.join(workDirectory, "glance.json");
  const uploadDirectory = path.join(workDirectory, "host", "uploads");
  fs.writeFileSync(state, JSON.stringify({ images: [], calls: [] }));

  interface FakeImage {
    id: string;
    name: string;
    status: string;
    visibility: string;
    disk_format: string;
    container_format: string;
    [property: string]: unknown;
  }
  const glance = (): { images: FakeImage[]; calls: unknown[][] } => JSON.parse(fs.readFileSync(state, "utf8"));
  const byName = (name: string) => glance().images.filter((image) => image.name === name);

  /** Places the image's files where the upload would, runs the step's script with bash, returns what it printed and the calls it made. */
  function register(image: GuestImage): { actions: string[]; calls: unknown[][] } {
    const registration = guestImageRegistration(image, uploadDirectory);
    fs.mkdirSync(uploadDirectory, { recursive: true });
    registration.uploads.forEach((upload) => fs.copyFileSync(upload.source, upload.path));
    const callsBefore = glance().calls.length;
    const script = frameScript(guestImageScript("http://controller:5000/v3", "RegionOne", "python3", registration), {
      ADMIN_PASSWORD: "admin-password",
    });
    const result = spawnSync("/bin/bash", ["-s"], {
      input: script,
      env: {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONPATH: path.join(__dirname, "..", "support", "fake-glance"),
        FAKE_GLANCE_STATE: state,
      },
    });
    expect(result.stderr.toString()).toBe("");
    expect(result.status).toBe(0);
    // The uploaded files are gone, and so is their directory.
    expect(fs.existsSync(uploadDirectory)).toBe(false);
    const actions = result.stdout
      .toString()
      .trim()
      .split("\n")
      .map((line) => {
        const entry = JSON.parse(line) as { action: string; name: string };
        return `${entry.action} ${entry.name}`;
      });
    return { actions, calls: glance().calls.slice(callsBefore) };
  }

  const first = guestImageIn(path.join(workDirectory, "first"), { kernel: "kernel 1", initramfs: "initramfs 1", rootDisk: "root" });

  it("creates the three images, public, the root pointing at the kernel and ramdisk", () => {
    const { actions } = register(first);
    expect(actions).toEqual([`created ${guestImageName}-kernel`, `created ${guestImageName}-ramdisk`, `created ${guestImageName}`]);
    const [kernel] = byName(`${guestImageName}-kernel`);
    const [ramdisk] = byName(`${guestImageName}-ramdisk`);
    const [root] = byName(guestImageName);
    expect(kernel).toMatchObject({ status: "active", visibility: "public", disk_format: "aki", container_format: "aki", size: 8 });
    expect(ramdisk).toMatchObject({ status: "active", visibility: "public", disk_format: "ari", container_format: "ari" });
    expect(root).toMatchObject({
      status: "active",
      visibility: "public",
      disk_format: "raw",
      container_format: "bare",
      kernel_id: kernel.id,
      ramdisk_id: ramdisk.id,
      os_command_line: "console=ttyS0",
    });
  });

  it("changes nothing when run again with the same files (from another directory)", () => {
    const copy = path.join(workDirectory, "copy");
    fs.cpSync(first.dir, copy, { recursive: true });
    const { actions, calls } = register(guestImageIn(copy, { kernel: "kernel 1", initramfs: "initramfs 1", rootDisk: "root" }));
    expect(actions).toEqual([`unchanged ${guestImageName}-kernel`, `unchanged ${guestImageName}-ramdisk`, `unchanged ${guestImageName}`]);
    expect(calls).toEqual([]);
  });

  it("puts back what was changed by hand (visibility, a property) without uploading again", () => {
    const before = glance();
    const root = before.images.find((image) => image.name === guestImageName)!;
    root.visibility = "private";
    root.os_command_line = "console=tty0";
    fs.writeFileSync(state, JSON.stringify(before));
    const { actions, calls } = register(first);
    expect(actions).toEqual([`unchanged ${guestImageName}-kernel`, `unchanged ${guestImageName}-ramdisk`, `updated ${guestImageName}`]);
    expect(calls).toEqual([["update", guestImageName, root.id, ["os_command_line", "visibility"]]]);
  });

  it("on a new kernel creates only the kernel image, points the root at it, and deletes the superseded kernel", () => {
    const [oldKernel] = byName(`${guestImageName}-kernel`);
    const [ramdisk] = byName(`${guestImageName}-ramdisk`);
    const [root] = byName(guestImageName);
    const second = guestImageIn(path.join(workDirectory, "second"), { kernel: "kernel 2", initramfs: "initramfs 1", rootDisk: "root" });
    const { actions } = register(second);
    expect(actions).toEqual([
      `created ${guestImageName}-kernel`,
      `unchanged ${guestImageName}-ramdisk`,
      `updated ${guestImageName}`,
      `deleted superseded ${guestImageName}-kernel`,
    ]);
    const kernels = byName(`${guestImageName}-kernel`);
    expect(kernels).toHaveLength(1);
    expect(kernels[0].id).not.toBe(oldKernel.id);
    expect(byName(`${guestImageName}-ramdisk`).map((image) => image.id)).toEqual([ramdisk.id]);
    expect(byName(guestImageName)).toEqual([expect.objectContaining({ id: root.id, kernel_id: kernels[0].id })]);
  });

  it("replaces an image a failed run left unfinished, and deletes the leftover", () => {
    const before = glance();
    before.images.push({ ...before.images.find((image) => image.name === guestImageName)!, id: "leftover", status: "queued" });
    fs.writeFileSync(state, JSON.stringify(before));
    const second = guestImageIn(path.join(workDirectory, "second"), { kernel: "kernel 2", initramfs: "initramfs 1", rootDisk: "root" });
    const { actions } = register(second);
    expect(actions).toEqual([
      `unchanged ${guestImageName}-kernel`,
      `unchanged ${guestImageName}-ramdisk`,
      `unchanged ${guestImageName}`,
      `deleted superseded ${guestImageName}`,
    ]);
    expect(byName(guestImageName).map((image) => image.id)).not.toContain("leftover");
  });
});
