/**
 * The test images the prerequisites' Glance is given, so that an instance can boot: the test
 * guest (guest/: a kernel, a ramdisk and a root disk, uploaded by the step beforehand) when the
 * stack names a guest image directory, a placeholder disk otherwise.
 */
import { readFileSync } from "fs";
import { join, posix } from "path";
import type { GuestImageRegistration } from "../guest/glance";
import { shellQuote } from "../lib/shell";
import { adminEnvironment, retried } from "./openstackClient";

/** Uploads a tiny raw disk named `name` when Glance has no image of that name; prints its status. */
export function testImageScript(authUrl: string, region: string, name: string): string {
  const image = shellQuote(name);
  return [
    adminEnvironment(authUrl, region),
    retried("openstack image list >/dev/null"),
    `if ! openstack image show ${image} >/dev/null 2>&1; then`,
    "  disk=$(mktemp /tmp/test-image.XXXXXX)",
    `  trap 'rm -f "$disk"' EXIT`,
    '  truncate -s 1M "$disk"',
    `  openstack image create --disk-format raw --container-format bare --public --file "$disk" ${image} >/dev/null`,
    "fi",
    `openstack image show -f value -c status ${image}`,
  ].join("\n");
}

const registrationProgram = readFileSync(join(__dirname, "..", "remote", "python", "glance_register.py"), "utf8");

/**
 * Registers the uploaded guest image files as Glance images (remote/python/glance_register.py:
 * images whose content matches are kept, others created, superseded ones deleted), then removes
 * the uploaded files, whether the registration succeeded or not: the next run uploads them again.
 * Prints one JSON line per image and action.
 * @param python the command that runs Python on the controller (the profile's).
 */
export function guestImageScript(authUrl: string, region: string, python: string, registration: GuestImageRegistration): string {
  const uploaded = registration.uploads.map((upload) => upload.path);
  const directories = [...new Set(uploaded.map((file) => posix.dirname(file)))];
  const document = JSON.stringify({ images: registration.images });
  return [
    adminEnvironment(authUrl, region),
    `uploaded=(${uploaded.map(shellQuote).join(" ")})`,
    `directories=(${directories.map(shellQuote).join(" ")})`,
    "program=$(mktemp /tmp/glance-register.XXXXXX)",
    `trap 'rm -f -- "$program" "\${uploaded[@]}"; rmdir --ignore-fail-on-non-empty -- "\${directories[@]}"' EXIT`,
    `cat >"$program" <<'PYTHON'`,
    registrationProgram.trimEnd(),
    "PYTHON",
    `printf '%s' ${shellQuote(document)} | ${python} "$program"`,
  ].join("\n");
}
