/**
 * What goes into the lab image, as data, and the key that names a built image.
 *
 * The OpenStack package list is the installer's own profile data, never a second list kept by
 * hand: when a profile gains a package, the image key changes and the image is rebuilt.
 */
import { createHash } from "crypto";
import {
  OsProfile,
  ProfileKey,
  allPackages,
  defaultProfile,
  osReleaseIdentities,
  packageSets,
  profileFor,
  supportedProfiles,
} from "../profiles/profiles";

/**
 * Bump when the build steps in image.ts change in a way the other inputs do not capture, so
 * that every machine rebuilds instead of reusing an image made by the old steps.
 */
const imageRecipeVersion = 1;

/** The profile `lab up` and `lab deploy` use without `--profile`: the current Debian and the OpenStack it ships. */
export const defaultLabProfile: ProfileKey = `${defaultProfile.operatingSystem}/${defaultProfile.release}`;

/** Profiles the lab can run: those of a Debian release (the hosts are debootstrapped from Debian's archive). */
export const labProfiles: readonly ProfileKey[] = supportedProfiles.filter((key) => debianSuite(profileFor(...splitProfileKey(key))) !== undefined);

function splitProfileKey(key: string): [string, string] {
  const [operatingSystem = "", release = ""] = key.split("/");
  return [operatingSystem, release];
}

function debianSuite(profile: OsProfile): string | undefined {
  return profile.packageManager === "apt-get" ? osReleaseIdentities[profile.operatingSystem].codename : undefined;
}

/**
 * The profile of a lab, from its key ("debian-13/epoxy").
 * @throws Error naming `--profile`, the value and the profiles the lab can run.
 */
export function labProfileFor(key: string): OsProfile {
  if (!labProfiles.includes(key as ProfileKey)) {
    throw new Error(`--profile ${key} is not one the lab can run: expected one of ${labProfiles.join(", ")} (the lab's hosts are Debian)`);
  }
  return profileFor(...splitProfileKey(key));
}

/** The profile's key, "debian-13/epoxy". */
export function profileKeyOf(profile: OsProfile): ProfileKey {
  return `${profile.operatingSystem}/${profile.release}`;
}

/** The Debian suite a lab profile's hosts are built from ("trixie"). */
export function imageSuite(profile: OsProfile): string {
  const suite = debianSuite(profile);
  if (suite === undefined)
    throw new Error(`the lab cannot build hosts for ${profileKeyOf(profile)}: only Debian profiles (${labProfiles.join(", ")})`);
  return suite;
}

export const imageMirror = "http://deb.debian.org/debian";
export const imageSecurityMirror = "http://deb.debian.org/debian-security";

/**
 * Installed by debootstrap: what a booted host needs before the installer touches it
 * (systemd as PID 1, sshd for the installer, python3, networkd for the static address).
 */
export const debootstrapIncludes: readonly string[] = [
  "ca-certificates",
  "dbus",
  "iproute2",
  "iputils-ping",
  "less",
  "openssh-server",
  "procps",
  "python3",
  "systemd",
  "systemd-sysv",
];

/**
 * Not OpenStack packages, so not in the profile, but the installer's remote steps and the lab
 * checks use them: curl for probing HTTP endpoints, openssl for generated secrets.
 */
export const labExtraPackages: readonly string[] = ["curl", "openssl"];

export interface PackageGroup {
  /** A service id of the catalog (or "client"), whose packages the profile names; or "all"/"lab-extra". */
  readonly name: string;
  readonly packages: readonly string[];
}

/**
 * Package groups to download into the image's apt cache, one `apt-get --download-only` each.
 *
 * "all" comes first and fetches nearly everything. Each profile package set follows on its own
 * because the installer installs one set at a time, and apt may resolve an alternative
 * dependency ("a | b") differently for a set alone than for the union; the extra runs cost
 * seconds and make sure any such choice is in the cache too.
 */
export function packageGroups(profile: OsProfile): PackageGroup[] {
  const sets = Object.entries(packageSets(profile));
  return [
    { name: "all", packages: [...new Set([...allPackages(profile), ...labExtraPackages])].sort() },
    ...sets.filter(([, packages]) => packages.length > 0).map(([name, packages]) => ({ name, packages: [...packages] })),
    { name: "lab-extra", packages: [...labExtraPackages] },
  ];
}

/** Everything that determines the image's content. */
export interface ImageInputs {
  readonly recipeVersion: number;
  readonly suite: string;
  readonly mirror: string;
  readonly securityMirror: string;
  readonly debootstrapIncludes: readonly string[];
  readonly packageGroups: readonly PackageGroup[];
}

export function imageInputs(profile: OsProfile): ImageInputs {
  return {
    recipeVersion: imageRecipeVersion,
    suite: imageSuite(profile),
    mirror: imageMirror,
    securityMirror: imageSecurityMirror,
    debootstrapIncludes: [...debootstrapIncludes].sort(),
    packageGroups: packageGroups(profile),
  };
}

/**
 * The cache key of an image: a hash of its inputs, in a directory name such as
 * "bookworm-3f2a...". Key order is fixed by `imageInputs`, so equal inputs give equal keys.
 */
export function imageKey(inputs: ImageInputs): string {
  const digest = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 16);
  return `${inputs.suite}-${digest}`;
}
