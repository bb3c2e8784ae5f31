/**
 * `nova-installer render`: it shows the host's plan (plan/hostPlan.ts), which the components
 * build their steps from (checked here against what the component graph writes under Pulumi
 * mocks, for every profile), and a masked rendering never holds a password.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { chooseVirtType, formatFileList, selectFile } from "../../cli/render";
import { resolveStackConfig } from "../../config/stackConfig";
import { StackConfig } from "../../config/types";
import { deployNova } from "../../deployment";
import { supportedProfiles } from "../../profiles/profiles";
import { passwordNames } from "../../config/passwords";
import { hostPlan } from "../../plan/hostPlan";
import { maskingPasswords, renderMasked } from "../../render/masking";
import { recordResources, valueOf } from "../support/mocks";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx7c2V0dXBrZXlmb3J0ZXN0c29ubHkAAAAAAAAAAAAAAA";
/** Every password holds characters each file format encodes differently. */
const passwords = Object.fromEntries(passwordNames.map((name) => [name, `${name}-'$@:%&=!#; "x${name === "rabbit" ? "" : "/"}`]));

function stackFor(operatingSystem: string, openstackRelease: string, prerequisites: boolean): StackConfig {
  return resolveStackConfig({
    operatingSystem,
    openstackRelease,
    sshPrivateKeyPath: "/keys/id_ed25519",
    prerequisites,
    passwords,
    region: "RegionTwo",
    configOverrides: {
      novaController: { DEFAULT: { debug: true } },
      novaCompute: { libvirt: { cpu_mode: "host-model" } },
      ...(operatingSystem !== "centos-7" ? { placement: { DEFAULT: { debug: true } } } : {}),
    },
    hosts: [
      { name: "controller", role: "controller", address: "10.0.0.11", hostPublicKey: hostKey },
      { name: "compute1", role: "compute", address: "10.0.0.31", hostPublicKey: hostKey },
    ],
  });
}

/** A secret input reaches the mocks wrapped as {<secret signature>: ..., value}. */
function unwrap(value: unknown): unknown {
  return typeof value === "object" && value !== null && "value" in value && Object.keys(value).some((key) => key.length === 32) ? unwrap((value as { value: unknown }).value) : value;
}

/** What the deployment writes, per host: step name, path and content. */
async function writtenByDeployment(stack: StackConfig): Promise<{ host: string; step: string; path: string; content: string }[]> {
  const factsStdout = '{"osId":"debian","osVersionId":"12","hostname":"x","virtualizationFlags":0,"hostnameResolves":true}';
  const recorded = recordResources((resource) => (resource.name.endsWith("-facts-probe") ? { stdout: factsStdout } : { stdout: "" }));
  const { passwords: plain, ...settings } = stack;
  const outputs = deployNova(settings, pulumi.secret(plain));
  await valueOf(outputs.cells);
  await Promise.all(Object.values(outputs.virtTypes).map(valueOf));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const writes = recorded.filter((resource) => resource.type.endsWith(":RemoteScript") && String(resource.inputs.description).startsWith("write "));
  return Promise.all(
    writes.map(async (resource) => {
      const secrets = unwrap(resource.inputs.secrets) as Record<string, unknown>;
      return {
        host: resource.inputs.connection.hostName as string,
        step: resource.name,
        path: String(resource.inputs.description).slice("write ".length),
        content: unwrap(secrets.FILE_CONTENT) as string,
      };
    }),
  );
}

describe.each(supportedProfiles.flatMap((key) => [true, false].map((prerequisites) => [key, prerequisites] as const)))(
  "host files of %s (prerequisites %s)",
  (key, prerequisites) => {
    const [operatingSystem, release] = key.split("/");

    it("are exactly the files the deployment writes, step names and content included", async () => {
      const stack = stackFor(operatingSystem, release, prerequisites);
      const deployed = await writtenByDeployment(stack);
      const planned = stack.hosts.flatMap((host) =>
        hostPlan(stack, host.name).files.map((file) => ({ host: host.name, step: file.step, path: file.path, content: file.render(stack.passwords, "qemu") })),
      );
      const byStep = (a: { step: string }, b: { step: string }) => a.step.localeCompare(b.step);
      expect(planned.sort(byStep)).toEqual(deployed.sort(byStep));
    });

    it("masks every password, whatever its encoding in the file", () => {
      const stack = stackFor(operatingSystem, release, prerequisites);
      for (const host of stack.hosts) {
        for (const file of hostPlan(stack, host.name).files) {
          const masked = renderMasked(file, "kvm");
          expect(masked, file.path).not.toMatch(/MASKED|Database-|-'\$@/);
          for (const password of Object.values(maskingPasswords())) expect(masked).not.toContain(password);
        }
      }
    });
  },
);

describe("render output", () => {
  const stack = stackFor("debian-12", "zed", true);

  it("shows **** where the installer writes a password, in every encoding", () => {
    const files = hostPlan(stack, "controller").files;
    expect(renderMasked(selectFile(files, "/root/admin-openrc", "controller"))).toContain("export OS_PASSWORD='****'\n");
    const novaConf = renderMasked(selectFile(files, "/etc/nova/nova.conf", "controller"));
    expect(novaConf).toContain("transport_url = rabbit://openstack:****@controller:5672/\n");
    expect(novaConf).toMatch(/\[keystone_authtoken\][^[]*\npassword = \*\*\*\*\n/);
    expect(renderMasked(selectFile(files, "/etc/nova/nova-database.cnf", "controller"))).toContain("password = ****\n");
  });

  it("lists a host's files with owner, mode and the step writing them", () => {
    const list = formatFileList(hostPlan(stack, "compute1").files);
    expect(list.split("\n")).toEqual([
      "/etc/nova/nova.conf          root:nova  0640  compute1-compute-nova-conf",
      "/etc/nova/nova-compute.conf  root:nova  0640  compute1-compute-nova-compute-conf",
      "",
    ]);
  });

  it("names the host's files when asked for one it does not have, and the hosts for an unknown host", () => {
    expect(() => selectFile(hostPlan(stack, "compute1").files, "/etc/keystone/keystone.conf", "compute1")).toThrow(/no file "\/etc\/keystone\/keystone.conf" on compute1; it writes:\n {2}\/etc\/nova\/nova.conf/);
    expect(() => hostPlan(stack, "compute9")).toThrow('no host "compute9" in the stack; its hosts are controller, compute1');
  });

  it("renders a compute's nova.conf only with a known virt_type", () => {
    const novaConf = selectFile(hostPlan(stack, "compute1").files, "/etc/nova/nova.conf", "compute1");
    expect(novaConf.needsVirtType).toBe(true);
    expect(() => novaConf.render(stack.passwords)).toThrow(/needs its virt_type/);
    expect(renderMasked(novaConf, "kvm")).toContain("[libvirt]\nvirt_type = kvm\ncpu_mode = host-model\n");
  });
});

describe("chooseVirtType", () => {
  it("takes the stack's setting, then --virt-type, then the last deployment's choice", () => {
    expect(chooseVirtType("compute1", { configured: "kvm", option: "qemu", deployed: "qemu" })).toBe("kvm");
    expect(chooseVirtType("compute1", { option: "qemu", deployed: "kvm" })).toBe("qemu");
    expect(chooseVirtType("compute1", { deployed: "kvm" })).toBe("kvm");
  });

  it("says how to give one before the first deployment", () => {
    expect(() => chooseVirtType("compute1", {})).toThrow(/first deployment.*--virt-type kvm or --virt-type qemu/);
  });
});
