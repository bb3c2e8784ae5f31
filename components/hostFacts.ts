/**
 * HostFacts: what the installer needs to know about a host before configuring it: its OS and
 * release, what virtualization it can run (steps/virtualization.ts) and whether the host's own
 * name resolves (Debian's nova-common install fails without it). A host that cannot meet the
 * stack's settings fails here, before any step touches it.
 */
import * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "../lib/shell";
import { OsProfile, novaMajorVersions, osReleaseIdentities } from "../profiles/profiles";
import { RemoteScript } from "../remote/remoteScript";
import type { SshEndpoint } from "../remote/ssh";
import {
  VirtualizationFacts,
  VirtualizationRequirements,
  requirementCheckLines,
  virtualizationJson,
  virtualizationProbeLines,
} from "../steps/virtualization";

export interface HostFactsArgs {
  /** How to reach the host. */
  readonly connection: pulumi.Input<SshEndpoint>;
  /** The stack's profile: the host must run its operating system, and no other release's Nova. */
  readonly profile: OsProfile;
  /** What the host must offer (computes: what the driver and virt_type need); default nothing. */
  readonly requirements?: VirtualizationRequirements;
}

export interface Facts extends VirtualizationFacts {
  /** ID from /etc/os-release: "debian", "centos". */
  readonly osId: string;
  /** VERSION_ID from /etc/os-release: "12", "7". */
  readonly osVersionId: string;
  readonly hostname: string;
  readonly hostnameResolves: boolean;
}

const noRequirements: VirtualizationRequirements = { kvm: false, tun: false };

/**
 * Fails unless the host runs the profile's operating system (/etc/os-release) and has no Nova of
 * another release installed (a Debian 12 host given OpenStack backports, a host left from an
 * older deployment): the message names the host, the profile and what the host runs.
 */
export function profileCheckLines(profile: OsProfile): string[] {
  const key = `${profile.operatingSystem}/${profile.release}`;
  const expected = osReleaseIdentities[profile.operatingSystem];
  const settings = "nova-installer:operatingSystem and nova-installer:openstackRelease";
  const fail = (message: string) => `{ echo "$(hostname): ${message}" >&2; exit 1; }`;
  const major = novaMajorVersions[profile.release];
  return [
    `[ "$ID" = ${shellQuote(expected.id)} ] && [ "\${VERSION_ID:-}" = ${shellQuote(expected.versionId)} ] || ${fail(
      `the stack's profile is ${key} (${settings}), which needs ID=${expected.id} VERSION_ID=${expected.versionId} in /etc/os-release; this host runs ID=$ID VERSION_ID=\${VERSION_ID:-} (\${PRETTY_NAME:-}). Set the profile of the system it runs, or reinstall it with ${profile.operatingSystem}; nothing was installed`,
    )}`,
    `nova_installed=$(${profile.installedNovaQuery}) || nova_installed=""`,
    "nova_major=${nova_installed#*:}; nova_major=${nova_major%%.*}",
    `[ -z "$nova_installed" ] || [ "$nova_major" = ${major} ] || ${fail(
      `the stack's profile is ${key} (${settings}), whose Nova is ${major}.x, but Nova $nova_installed of another release is installed here. Set the profile of the release it runs, or remove it; nothing was installed`,
    )}`,
  ];
}

/**
 * Prints the facts as one JSON line (POSIX sh and coreutils only, so it runs on any family),
 * then fails when the host runs another system or release than the profile's, when its own name
 * does not resolve (package scripts, Debian's nova-common, and services break later in far less
 * clear ways) or when it cannot meet `requirements`.
 */
export function hostFactsScript(profile: OsProfile, requirements: VirtualizationRequirements = noRequirements): string {
  return [
    ". /etc/os-release",
    ...virtualizationProbeLines(),
    "name=$(hostname)",
    'if getent hosts "$name" >/dev/null; then resolves=true; else resolves=false; fi',
    `printf '{"osId":"%s","osVersionId":"%s","hostname":"%s",${virtualizationJson.format},"hostnameResolves":%s}\\n' \\`,
    `  "$ID" "\${VERSION_ID:-}" "$name" ${virtualizationJson.arguments} "$resolves"`,
    ...profileCheckLines(profile),
    `[ "$resolves" = true ] || { echo "the hostname $name does not resolve on this host: add it to /etc/hosts or DNS" >&2; exit 1; }`,
    ...requirementCheckLines(requirements),
  ].join("\n");
}

/** Parses the script's output; throws with the output when it is not what the script prints. */
export function parseHostFacts(stdout: string): Facts {
  let parsed: Partial<Facts>;
  try {
    parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Partial<Facts>;
  } catch {
    throw new Error(`cannot read host facts from: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (
    typeof parsed.osId !== "string" ||
    typeof parsed.virtualizationFlags !== "number" ||
    typeof parsed.kvmUsable !== "boolean" ||
    typeof parsed.hostnameResolves !== "boolean"
  ) {
    throw new Error(`incomplete host facts: ${JSON.stringify(parsed)}`);
  }
  return parsed as Facts;
}

export class HostFacts extends pulumi.ComponentResource {
  public readonly facts: pulumi.Output<Facts>;

  constructor(name: string, args: HostFactsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("nova-installer:host:HostFacts", name, {}, opts);
    const probe = new RemoteScript(
      `${name}-probe`,
      { connection: args.connection, description: "read host facts", create: hostFactsScript(args.profile, args.requirements) },
      { parent: this },
    );
    this.facts = probe.stdout.apply(parseHostFacts);
    this.registerOutputs({ facts: this.facts });
  }
}
