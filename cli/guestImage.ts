/**
 * `nova-installer guest-image`: builds the test guest (guest/: a Debian kernel, a busybox
 * initramfs and a root disk) into its cache directory unless it is cached already, and prints
 * that directory: the value of `nova-installer:guestImage`.
 */
import type { CommandModule } from "yargs";
import { ensureGuestImage, guestImageCacheDir } from "../guest";

export const guestImageCommand: CommandModule = {
  command: "guest-image",
  describe:
    "Build the test guest image (kernel, initramfs, root disk) unless it is cached, and print its directory: the value for nova-installer:guestImage",
  builder: (args) =>
    args.epilog(
      "Progress goes to stderr, the directory alone to stdout:\n" +
        '  bin/pulumi config set --stack S nova-installer:guestImage "$(bin/nova-installer guest-image)"\n' +
        "Cache: ${NOVA_INSTALLER_CACHE:-${XDG_CACHE_HOME:-~/.cache}/nova-installer}/guest-image/. Packages come from this machine's apt (Debian 12).",
    ),
  handler: async () => {
    const image = await ensureGuestImage(guestImageCacheDir(process.env), (line) => void process.stderr.write(`${line}\n`));
    process.stdout.write(`${image.dir}\n`);
  },
};
