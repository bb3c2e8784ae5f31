/**
 * The component graph of a whole stack, for every profile, under Pulumi mocks: every remote
 * step recorded (sorted by name), its scripts and the names of its secret variables,
 * compared with reviewed golden files. For the RHEL-family profiles, which cannot run here,
 * these files are the proof of what the installer would run on their hosts.
 */
import { describe, expect, it } from "vitest";
import { serviceCatalog, serviceIds } from "../../catalog/services";
import { supportedProfiles } from "../../profiles/profiles";
import { recordDeployment } from "../support/deployment";
import { expectGolden } from "../support/golden";
import { RecordedResource } from "../support/mocks";
import { stackFor } from "../support/stacks";

function describeStep(resource: RecordedResource): string {
  const { inputs } = resource;
  const lines = [`### ${resource.name} on ${inputs.connection.hostName}: ${inputs.description}`];
  // A secret input reaches the mocks wrapped as {<secret signature>: ..., value}.
  const secrets = Object.keys(inputs.secrets?.value ?? inputs.secrets ?? {}).sort();
  if (secrets.length > 0) {
    lines.push(`secrets: ${secrets.join(", ")}`);
  }
  for (const phase of ["create", "update", "delete", "repair"]) {
    if (inputs[phase] !== undefined) {
      lines.push(`--- ${phase}`, String(inputs[phase]).trimEnd());
    }
  }
  // What a refresh reads back: a file's attributes, or the check script.
  const check = inputs.check as { kind: string; script?: string; path?: string; owner?: string; group?: string; mode?: string } | undefined;
  if (check?.kind === "script") lines.push("--- check", String(check.script).trimEnd());
  if (check?.kind === "file") lines.push("--- check", `file ${check.path} ${check.owner}:${check.group} ${check.mode}`);
  return lines.join("\n");
}

describe.each(supportedProfiles)("deployment of %s", (key) => {
  const [operatingSystem, release] = key.split("/");

  it("runs the reviewed steps", async () => {
    const recorded = await recordDeployment(stackFor(operatingSystem, release));
    // Sorted by name: registration order depends on when outputs resolve, not on the plan.
    const steps = recorded.filter((resource) => resource.type.endsWith(":RemoteScript")).sort((a, b) => a.name.localeCompare(b.name));
    expectGolden(`${operatingSystem}/${release}/steps.txt`, steps.map(describeStep).join("\n\n") + "\n");
  });
});

describe("deployment graph", () => {
  it("names every child after its component and parents it", async () => {
    const recorded = await recordDeployment(stackFor("debian-12", "zed"));
    const components = recorded.filter((resource) => resource.type.startsWith("nova-installer:"));
    expect(components.map((resource) => resource.type).sort()).toEqual(
      [
        "nova-installer:host:HostFacts",
        "nova-installer:host:HostFacts",
        "nova-installer:host:HostPackages",
        "nova-installer:controller:ControllerInfrastructure",
        "nova-installer:controller:Databases",
        "nova-installer:controller:Identity",
        "nova-installer:controller:ServiceRegistration",
        "nova-installer:controller:AdminCredentials",
        "nova-installer:controller:ImageService",
        "nova-installer:controller:NetworkApi",
        "nova-installer:controller:Placement",
        "nova-installer:controller:NovaController",
        "nova-installer:compute:ComputeNode",
        "nova-installer:controller:HostDiscovery",
        "nova-installer:index:DestroyGuard",
      ].sort(),
    );
    const componentNames = components.map((resource) => resource.name);
    expect(componentNames).toContain("destroy-guard");
    for (const step of recorded.filter((resource) => resource.type.endsWith(":RemoteScript"))) {
      expect(
        componentNames.some((name) => step.name.startsWith(`${name}-`)),
        step.name,
      ).toBe(true);
    }
  });

  it("installs and configures computes without waiting for the controller, and starts them after its control plane", async () => {
    const recorded = await recordDeployment(stackFor("debian-12", "zed"));
    const compute = recorded.find((resource) => resource.type === "nova-installer:compute:ComputeNode");
    expect(compute?.name).toBe("compute1-compute");
    const packages = recorded.find((resource) => resource.name === "compute1-compute-packages");
    expect(packages?.inputs.connection.hostName).toBe("compute1");
    const membership = recorded.find((resource) => resource.name === "compute1-compute-membership");
    expect(membership?.inputs.connection.hostName).toBe("controller");
    expect(membership?.inputs.delete).toContain("openstack compute service delete");
    const discovery = recorded.find((resource) => resource.name === "controller-discovery-discover");
    expect(discovery?.inputs.create).toContain("nova-manage cell_v2 discover_hosts --verbose");
  });

  it("orders steps by what they need: configuration and schemas after the databases, alongside Keystone; services after the registration", async () => {
    const recorded = await recordDeployment(stackFor("debian-12", "zed"));
    const byName = new Map(recorded.map((resource) => [resource.name, resource]));
    /** Every step `name` waits for: its dependencies, its parent's (a child registers once its parent has), theirs. */
    const edges = (name: string): string[] => {
      const resource = byName.get(name);
      return [...(resource?.dependencies ?? []), ...(resource?.parent === undefined ? [] : [resource.parent])];
    };
    const waitsFor = (name: string): Set<string> => {
      const seen = new Set<string>();
      const pending = edges(name);
      while (pending.length > 0) {
        const next = pending.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        pending.push(...edges(next));
      }
      return seen;
    };
    const keystone = ["controller-identity-bootstrap", "controller-registration-keystone"];
    for (const early of [
      "controller-image-schema",
      "controller-network-api-schema",
      "controller-placement-schema",
      "controller-nova-cells",
      "controller-nova-nova-conf",
    ]) {
      const before = waitsFor(early);
      expect(before, early).toContain("controller-databases-grants");
      for (const step of keystone) expect(before.has(step), `${early} waits for ${step}`).toBe(false);
    }
    for (const service of ["controller-image-services", "controller-network-api-services", "controller-placement-services"]) {
      expect(waitsFor(service), service).toContain("controller-registration-keystone");
    }
    const novaServices = waitsFor("controller-nova-services");
    for (const step of [
      "controller-registration-keystone",
      "controller-placement-services",
      "controller-image-services",
      "controller-network-api-services",
      "controller-nova-cells",
    ]) {
      expect(novaServices, step).toContain(step);
    }
    // A compute installs and writes its files on its own; it starts once the control plane runs.
    for (const step of ["compute1-compute-packages", "compute1-compute-nova-conf"]) {
      expect(
        [...waitsFor(step)].filter((name) => name.startsWith("controller-")),
        step,
      ).toEqual([]);
    }
    expect(waitsFor("compute1-compute-services")).toContain("controller-nova-services");
    expect(waitsFor("controller-discovery-discover")).toContain("compute1-compute-services");
  });

  it("keeps every password out of scripts and puts them only in secrets", async () => {
    const stack = stackFor("debian-12", "zed");
    const recorded = await recordDeployment(stack);
    for (const step of recorded.filter((resource) => resource.type.endsWith(":RemoteScript"))) {
      const visible = JSON.stringify({ ...step.inputs, secrets: undefined });
      expect(step.inputs.secrets === undefined || step.inputs.secrets.value !== undefined, `${step.name} secrets not wrapped as secret`).toBe(true);
      for (const password of Object.values(stack.passwords)) {
        expect(visible, `${step.name} shows a password`).not.toContain(password);
      }
    }
  });

  it("without prerequisites, installs and configures Nova and Placement only", async () => {
    const recorded = await recordDeployment(stackFor("debian-12", "zed", false));
    const types = recorded.map((resource) => resource.type);
    for (const absent of ["ControllerInfrastructure", "Identity", "ImageService", "NetworkApi"]) {
      expect(types).not.toContain(`nova-installer:controller:${absent}`);
    }
    expect(types).toContain("nova-installer:controller:Placement");
    expect(types).toContain("nova-installer:controller:NovaController");
    const grants = recorded.find((resource) => resource.name === "controller-databases-grants");
    expect(grants?.inputs.description).toBe("databases placement nova_api nova nova_cell0");
  });

  it("waits only for ports the service catalog lists, each on the service that owns it", async () => {
    const recorded = await recordDeployment(stackFor("debian-12", "zed"));
    const owners = new Map<number, string>(
      serviceIds.flatMap((id) => serviceCatalog[id].ports.map((entry) => [entry.port, serviceCatalog[id].component] as const)),
    );
    const checked: number[] = [];
    for (const step of recorded.filter((resource) => resource.type.endsWith(":RemoteScript"))) {
      for (const match of String(step.inputs.create ?? "").matchAll(/<\/dev\/tcp\/[^/]+\/(\d+)'/g)) {
        const port = Number(match[1]);
        checked.push(port);
        expect(owners.has(port), `${step.name} waits for port ${port}, which no catalog record lists`).toBe(true);
        expect(step.name, `port ${port}`).toMatch(new RegExp(`^controller-${owners.get(port)}-`));
      }
    }
    expect(new Set(checked)).toEqual(new Set(owners.keys()));
  });

  it("drops no data on delete unless the stack allows it; then drops the databases and the registration", async () => {
    const kept = await recordDeployment(stackFor("debian-12", "zed"));
    for (const name of ["controller-databases-grants", "controller-registration-keystone"]) {
      expect(kept.find((resource) => resource.name === name)?.inputs.delete, name).toBeUndefined();
    }
    const allowed = await recordDeployment(stackFor("debian-12", "zed", true, { allowDataDestruction: true }));
    const drop = String(allowed.find((resource) => resource.name === "controller-databases-grants")?.inputs.delete);
    for (const database of ["nova_api", "nova", "nova_cell0", "placement", "keystone"]) {
      expect(drop).toContain(`DROP DATABASE IF EXISTS ${database};`);
    }
    expect(drop).toContain("DROP USER IF EXISTS 'nova'@'localhost', 'nova'@'%';");
    expect(String(allowed.find((resource) => resource.name === "controller-registration-keystone")?.inputs.delete)).toMatch(
      /"\$program" unregister$/m,
    );
  });
});
