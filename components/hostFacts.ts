/**
 * HostFacts: what the installer needs to know about a host before configuring it: its OS and
 * release, what virtualization it can run (steps/virtualization.ts) and whether the host's own
 * name resolves (Debian's nova-common install fails without it). A host that cannot meet the
 * stack's settings fails here, before any step touches it.
 */
import * as pulumi from "@pulumi/pulumi";
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
 * Prints the facts as one JSON line (POSIX sh and coreutils only, so it runs on any family),
 * then fails when the host's own name does not resolve (package scripts, Debian's nova-common,
 * and services break later in far less clear ways) or when it cannot meet `requirements`.
 */
export function hostFactsScript(requirements: VirtualizationRequirements = noRequirements): string {
  return [
    ". /etc/os-release",
    ...virtualizationProbeLines(),
    "name=$(hostname)",
    'if getent hosts "$name" >/dev/null; then resolves=true; else resolves=false; fi',
    `printf '{"osId":"%s","osVersionId":"%s","hostname":"%s",${virtualizationJson.format},"hostnameResolves":%s}\\n' \\`,
    `  "$ID" "\${VERSION_ID:-}" "$name" ${virtualizationJson.arguments} "$resolves"`,
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
      { connection: args.connection, description: "read host facts", create: hostFactsScript(args.requirements) },
      { parent: this },
    );
    this.facts = probe.stdout.apply(parseHostFacts);
    this.registerOutputs({ facts: this.facts });
  }
}
