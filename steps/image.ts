/** The test image the prerequisites' Glance is given, so that an instance can boot. */
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
