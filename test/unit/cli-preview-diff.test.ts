/**
 * `nova-installer preview-diff`: the summary of a preview (in the shape `pulumi preview --json`
 * prints it), the settings diff of configuration files against the state exported with
 * --show-secrets, and the Markdown, which never holds a value.
 */
import { describe, expect, it } from "vitest";
import {
  countBy,
  currentFileRenderer,
  deployedFiles,
  exportedStackOutputs,
  exportedVirtTypes,
  fileChanges,
  PreviewJson,
  previewMarkdown,
  resourceChanges,
  revealed,
  StackExport,
  urnParts,
} from "../../cli/previewDiff";
import { describeChange, secretSettingTest, settingChanges } from "../../lib/settingsDiff";
import { stackFor } from "../support/stacks";

const prefix = "urn:pulumi:prod::nova-installer::";
const scriptType = "pulumi-nodejs:dynamic/nova-installer:RemoteScript";
const secretSignature = "4dabf18193072939515e22adb298388d";

function connection(hostName: string) {
  return { address: "10.0.0.1", hostName, hostPublicKey: "ssh-ed25519 AAAA", port: 22, privateKeyPath: "/keys/id", user: "root" };
}

/** A RemoteScript's preview step, as the engine prints it (file contents only as "[secret]"). */
function scriptStep(
  op: string,
  componentType: string,
  component: string,
  name: string,
  host: string,
  description: string,
  states: ("old" | "new")[] = ["old", "new"],
) {
  const state = {
    urn: `${prefix}${componentType}$${scriptType}::${name}`,
    custom: true,
    type: scriptType,
    parent: `${prefix}${componentType}::${component}`,
    inputs: { __provider: "exports.handler = __f0;", connection: connection(host), description, create: "...", secrets: "[secret]" },
  };
  return {
    op,
    urn: state.urn,
    provider: `${prefix}pulumi:providers:pulumi-nodejs::default::04da6b54`,
    ...(states.includes("old") ? { oldState: state } : {}),
    ...(states.includes("new") ? { newState: state } : {}),
  };
}

const preview: PreviewJson = {
  // A table, one step a line in the preview's order: left as it is by Prettier.
  // prettier-ignore
  steps: [
    { op: "same", urn: `${prefix}pulumi:pulumi:Stack::nova-installer-prod`, newState: { type: "pulumi:pulumi:Stack", custom: false } },
    { op: "same", urn: `${prefix}pulumi:providers:pulumi-nodejs::default`, newState: { type: "pulumi:providers:pulumi-nodejs", custom: true } },
    {
      op: "create",
      urn: `${prefix}nova-installer:compute:ComputeNode::compute3-compute`,
      newState: { type: "nova-installer:compute:ComputeNode", custom: false, parent: `${prefix}pulumi:pulumi:Stack::nova-installer-prod` },
    },
    scriptStep("same", "nova-installer:controller:NovaController", "controller-nova", "controller-nova-cells", "controller", "map cells and sync the nova databases"),
    scriptStep("update", "nova-installer:controller:NovaController", "controller-nova", "controller-nova-nova-conf", "controller", "write /etc/nova/nova.conf"),
    scriptStep("update", "nova-installer:controller:Placement", "controller-placement", "controller-placement-placement-conf", "controller", "write /etc/placement/placement.conf"),
    scriptStep("create", "nova-installer:compute:ComputeNode", "compute3-compute", "compute3-compute-nova-conf", "compute3", "write /etc/nova/nova.conf", ["new"]),
    scriptStep("create", "nova-installer:compute:ComputeNode", "compute3-compute", "compute3-compute-membership", "controller", "membership of compute3 in the cloud", ["new"]),
    scriptStep("update", "nova-installer:controller:HostDiscovery", "controller-discovery", "controller-discovery-discover", "controller", "discover compute hosts"),
    scriptStep("create-replacement", "nova-installer:host:HostPackages", "compute1-packages", "compute1-packages-install", "compute1", "install packages nova-compute"),
    scriptStep("replace", "nova-installer:host:HostPackages", "compute1-packages", "compute1-packages-install", "compute1", "install packages nova-compute"),
    scriptStep("delete-replaced", "nova-installer:host:HostPackages", "compute1-packages", "compute1-packages-install", "compute1", "install packages nova-compute"),
    scriptStep("delete", "nova-installer:compute:ComputeNode", "compute4-compute", "compute4-compute-nova-conf", "compute4", "write /etc/nova/nova.conf", ["old"]),
  ],
};

const novaConfBefore =
  "[DEFAULT]\nmy_ip = 10.0.0.11\ntransport_url = rabbit://openstack:OLD-rabbit-s3cret@controller:5672/\n\n[keystone_authtoken]\npassword = OLD-nova-s3cret\n\n[wsgi]\napi_paste_config = /etc/nova/api-paste.ini\n";
const novaConfAfter =
  "[DEFAULT]\nmy_ip = 10.0.0.11\ntransport_url = rabbit://openstack:NEW-rabbit-s3cret@controller:5672/\ndebug = true\n\n[keystone_authtoken]\npassword = OLD-nova-s3cret\n";

function secret(value: unknown) {
  return { [secretSignature]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(value) };
}

const exported: StackExport = {
  deployment: {
    resources: [
      { urn: `${prefix}pulumi:pulumi:Stack::nova-installer-prod`, type: "pulumi:pulumi:Stack", outputs: { virtTypes: { compute1: "kvm" } } },
      {
        urn: `${prefix}nova-installer:controller:NovaController$${scriptType}::controller-nova-nova-conf`,
        type: scriptType,
        inputs: { connection: connection("controller"), description: "write /etc/nova/nova.conf", secrets: secret({ FILE_CONTENT: novaConfBefore }) },
        outputs: {
          connection: connection("controller"),
          description: "write /etc/nova/nova.conf",
          secrets: secret({ FILE_CONTENT: novaConfBefore }),
          stdout: "",
        },
      },
      {
        urn: `${prefix}nova-installer:controller:Placement$${scriptType}::controller-placement-placement-conf`,
        type: scriptType,
        outputs: {
          connection: connection("controller"),
          description: "write /etc/placement/placement.conf",
          secrets: { [secretSignature]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" },
        },
      },
      {
        urn: `${prefix}nova-installer:controller:NovaController$${scriptType}::controller-nova-cells`,
        type: scriptType,
        outputs: { connection: connection("controller"), description: "map cells and sync the nova databases", stdout: "cells" },
      },
    ],
  },
};

describe("preview steps", () => {
  it("splits a URN into its name and type chain", () => {
    expect(urnParts(`${prefix}nova-installer:controller:NovaController$${scriptType}::controller-nova-nova-conf`)).toEqual({
      name: "controller-nova-nova-conf",
      types: ["nova-installer:controller:NovaController", scriptType],
    });
  });

  it("keeps the steps that change, once each, with their host and component", () => {
    const changes = resourceChanges(preview);
    expect(changes.map((change) => [change.operation, change.name, change.host, change.component, change.componentType])).toEqual([
      ["update", "controller-nova-nova-conf", "controller", "controller-nova", "NovaController"],
      ["update", "controller-placement-placement-conf", "controller", "controller-placement", "Placement"],
      ["create", "compute3-compute-nova-conf", "compute3", "compute3-compute", "ComputeNode"],
      ["create", "compute3-compute-membership", "controller", "compute3-compute", "ComputeNode"],
      ["update", "controller-discovery-discover", "controller", "controller-discovery", "HostDiscovery"],
      ["replace", "compute1-packages-install", "compute1", "compute1-packages", "HostPackages"],
      ["delete", "compute4-compute-nova-conf", "compute4", "compute4-compute", "ComputeNode"],
    ]);
  });

  it("counts per host, where each step runs", () => {
    expect(Object.fromEntries(countBy(resourceChanges(preview), (change) => change.host))).toEqual({
      controller: { create: 1, update: 3, replace: 0, delete: 0 },
      compute3: { create: 1, update: 0, replace: 0, delete: 0 },
      compute1: { create: 0, update: 0, replace: 1, delete: 0 },
      compute4: { create: 0, update: 0, replace: 0, delete: 1 },
    });
  });
});

describe("settings diff", () => {
  it("lists added, changed and removed keys by section, with the values of settings that are not secret", () => {
    expect(settingChanges(novaConfBefore, novaConfAfter)).toEqual([
      { section: "DEFAULT", key: "transport_url", change: "changed", secret: true },
      { section: "DEFAULT", key: "debug", change: "added", before: undefined, after: "true" },
      { section: "wsgi", key: "api_paste_config", change: "removed", before: "/etc/nova/api-paste.ini", after: undefined },
    ]);
  });

  it("shows old -> new, and a secret only as changed", () => {
    const [ratio] = settingChanges("[DEFAULT]\ncpu_allocation_ratio = 4.0\n", "[DEFAULT]\ncpu_allocation_ratio = 3.0\n");
    expect(describeChange(ratio)).toBe("4.0 -> 3.0");
    const [password] = settingChanges("[keystone_authtoken]\npassword = OLD-s3cret\n", "[keystone_authtoken]\npassword = NEW-s3cret\n");
    expect(describeChange(password)).toBe("[secret] changed");
    expect(JSON.stringify(password)).not.toMatch(/s3cret/);
  });

  it("keeps the values of the settings an operator marks secret, by key or by [section] key", () => {
    const before = "[libvirt]\nrbd_secret_uuid = aaa\n[DEFAULT]\nmy_token = t1\nother = 1\n";
    const after = "[libvirt]\nrbd_secret_uuid = bbb\n[DEFAULT]\nmy_token = t2\nother = 2\n";
    const changes = settingChanges(before, after, secretSettingTest(["[libvirt] rbd_secret_uuid", "my_token"]));
    expect(changes.map(describeChange)).toEqual(["[secret] changed", "[secret] changed", "1 -> 2"]);
    expect(JSON.stringify(changes)).not.toMatch(/aaa|bbb|t1|t2/);
  });

  it("reads keys before any section, dotted sections and shell files", () => {
    expect(settingChanges("a = 1\n[filter.one]\nb = 2\n", "a = 2\n[filter.one]\nb = 3\n").map(describeChange)).toEqual(["1 -> 2", "2 -> 3"]);
    expect(
      settingChanges("export OS_PASSWORD='old'\nexport OS_REGION_NAME='One'\n", "export OS_PASSWORD='new'\nexport OS_REGION_NAME='One'\n"),
    ).toEqual([{ section: "", key: "export OS_PASSWORD", change: "changed", secret: true }]);
    expect(settingChanges(novaConfAfter, novaConfAfter)).toEqual([]);
  });
});

describe("deployed state", () => {
  it("reveals secrets exported with --show-secrets, not encrypted ones", () => {
    expect(revealed(secret({ FILE_CONTENT: "x" }))).toEqual({ FILE_CONTENT: "x" });
    expect(revealed(secret(secret("nested")))).toBe("nested");
    expect(revealed({ [secretSignature]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" })).toBeUndefined();
    expect(revealed("plain")).toBe("plain");
  });

  it("finds the deployed content of every readable file by host and path, and the stack outputs", () => {
    expect([...deployedFiles(exported)]).toEqual([["controller\n/etc/nova/nova.conf", novaConfBefore]]);
    expect(exportedStackOutputs(exported)).toEqual({ virtTypes: { compute1: "kvm" } });
  });

  it("knows each compute's virt_type from the stack outputs, else from its recorded facts", () => {
    const probe = (host: string, flags: number, kvmUsable?: boolean) => ({
      urn: `${prefix}nova-installer:host:HostFacts$${scriptType}::${host}-facts-probe`,
      type: scriptType,
      outputs: {
        connection: connection(host),
        description: "read host facts",
        // Facts recorded before the probe read /dev/kvm have only the CPU flags: the old rule.
        stdout: `{"osId":"debian","osVersionId":"12","hostname":"${host}","virtualizationFlags":${flags},${kvmUsable === undefined ? "" : `"kvmUsable":${kvmUsable},`}"hostnameResolves":true}\n`,
      },
    });
    const withFacts: StackExport = {
      deployment: {
        resources: [
          ...exported.deployment!.resources!,
          probe("compute1", 0),
          probe("compute2", 4),
          probe("compute3", 0),
          probe("compute4", 4, false),
          probe("compute5", 0, true),
        ],
      },
    };
    expect(exportedVirtTypes(withFacts)).toEqual({ compute1: "kvm", compute2: "kvm", compute3: "qemu", compute4: "qemu", compute5: "kvm" });
  });
});

describe("file changes", () => {
  const render = (host: string, path: string) => {
    if (host === "controller" && path === "/etc/nova/nova.conf") return novaConfAfter;
    throw new Error(`no ${path} on ${host}`);
  };

  it("diffs updated files and notes new, removed and unreadable ones", () => {
    expect(fileChanges(resourceChanges(preview), deployedFiles(exported), render)).toEqual([
      {
        host: "controller",
        path: "/etc/nova/nova.conf",
        operation: "update",
        settings: [
          { section: "DEFAULT", key: "transport_url", change: "changed", secret: true },
          { section: "DEFAULT", key: "debug", change: "added", before: undefined, after: "true" },
          { section: "wsgi", key: "api_paste_config", change: "removed", before: "/etc/nova/api-paste.ini", after: undefined },
        ],
      },
      { host: "controller", path: "/etc/placement/placement.conf", operation: "update", note: "deployed content not readable from the state" },
      { host: "compute3", path: "/etc/nova/nova.conf", operation: "create", note: "new file" },
      { host: "compute4", path: "/etc/nova/nova.conf", operation: "delete", note: "no longer managed (the file stays on the host)" },
    ]);
  });

  it("notes a file whose step changes but whose settings do not", () => {
    const changes = resourceChanges(preview).filter((change) => change.name === "controller-nova-nova-conf");
    expect(fileChanges(changes, deployedFiles(exported), () => novaConfBefore)[0]).toMatchObject({
      settings: [],
      note: "no setting changes (the step's script or file attributes do)",
    });
    expect(
      fileChanges(changes, deployedFiles(exported), () => {
        throw new Error("boom\nmore");
      })[0],
    ).toMatchObject({ note: "cannot render the new content: boom" });
  });

  it("renders the current files with the real passwords and the deployed virt_type", () => {
    // Its passwords are the stand-ins <name>-password.
    const stack = stackFor("debian-12", "zed", false);
    const render = currentFileRenderer(stack, { compute1: "kvm" });
    expect(render("compute1", "/etc/nova/nova.conf")).toContain("virt_type = kvm\n");
    expect(render("controller", "/etc/nova/nova.conf")).toContain("password = nova-password\n");
    expect(() => render("controller", "/etc/nova/nova-compute.conf")).toThrow(
      "the current configuration writes no /etc/nova/nova-compute.conf on controller",
    );
  });
});

describe("Markdown", () => {
  const report = () => {
    const changes = resourceChanges(preview);
    const render = (host: string, path: string) => (host === "controller" && path === "/etc/nova/nova.conf" ? novaConfAfter : "");
    return { stack: "prod", changes, files: fileChanges(changes, deployedFiles(exported), render) };
  };

  it("summarizes per host, per component, per setting, with the steps folded", () => {
    expect(previewMarkdown(report())).toBe(`## nova-installer preview: stack \`prod\`

**7 steps to change**: 2 to create, 3 to update, 1 to replace, 1 to delete.

### Per host

| host | create | update | replace | delete |
|---|---:|---:|---:|---:|
| compute1 | 0 | 0 | 1 | 0 |
| compute3 | 1 | 0 | 0 | 0 |
| compute4 | 0 | 0 | 0 | 1 |
| controller | 1 | 3 | 0 | 0 |

### Per component

| component | type | create | update | replace | delete |
|---|---|---:|---:|---:|---:|
| compute1-packages | HostPackages | 0 | 0 | 1 | 0 |
| compute3-compute | ComputeNode | 2 | 0 | 0 | 0 |
| compute4-compute | ComputeNode | 0 | 0 | 0 | 1 |
| controller-discovery | HostDiscovery | 0 | 1 | 0 | 0 |
| controller-nova | NovaController | 0 | 1 | 0 | 0 |
| controller-placement | Placement | 0 | 1 | 0 | 0 |

### Configuration files

| host | file | operation | setting | change | old -> new |
|---|---|---|---|---|---|
| compute3 | \`/etc/nova/nova.conf\` | create | | new file | |
| compute4 | \`/etc/nova/nova.conf\` | delete | | no longer managed (the file stays on the host) | |
| controller | \`/etc/nova/nova.conf\` | update | \`[DEFAULT] transport_url\` | changed | [secret] changed |
| controller | \`/etc/nova/nova.conf\` | update | \`[DEFAULT] debug\` | added | (absent) -> true |
| controller | \`/etc/nova/nova.conf\` | update | \`[wsgi] api_paste_config\` | removed | /etc/nova/api-paste.ini -> (absent) |
| controller | \`/etc/placement/placement.conf\` | update | | deployed content not readable from the state | |

Secret values (passwords, transport_url, connection strings, \`nova-installer:secretSettings\`) are never shown: compare them with \`nova-installer render --show-secrets\` on a trusted machine.

<details><summary>Steps (7)</summary>

| host | step | operation | what it does |
|---|---|---|---|
| compute1 | \`compute1-packages-install\` | replace | install packages nova-compute |
| compute3 | \`compute3-compute-nova-conf\` | create | write /etc/nova/nova.conf |
| compute4 | \`compute4-compute-nova-conf\` | delete | write /etc/nova/nova.conf |
| controller | \`compute3-compute-membership\` | create | membership of compute3 in the cloud |
| controller | \`controller-discovery-discover\` | update | discover compute hosts |
| controller | \`controller-nova-nova-conf\` | update | write /etc/nova/nova.conf |
| controller | \`controller-placement-placement-conf\` | update | write /etc/placement/placement.conf |

</details>
`);
  });

  it("shows old and new values of settings, never a secret's", () => {
    const markdown = previewMarkdown(report());
    expect(markdown).toContain("(absent) -> true");
    for (const value of ["s3cret", "rabbit://"]) expect(markdown).not.toContain(value);
  });

  it("says so when nothing changes", () => {
    expect(previewMarkdown({ stack: "prod", changes: [], files: [] })).toBe(
      "## nova-installer preview: stack `prod`\n\nNo changes: every step is up to date.\n",
    );
  });
});
