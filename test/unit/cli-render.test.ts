/**
 * `nova-installer render`: it shows the host's plan (plan/hostPlan.ts), which the components
 * build their steps from (checked here against what the component graph writes under Pulumi
 * mocks, for every profile), and a masked rendering never holds a password.
 */
import { describe, expect, it } from "vitest";
import { chooseVirtType, formatFileList, selectFile } from "../../cli/render";
import { passwordsFrom } from "../../config/passwords";
import { StackConfig } from "../../config/types";
import { supportedProfiles } from "../../profiles/profiles";
import { hostPlan } from "../../plan/hostPlan";
import { maskingPasswords, renderMasked } from "../../render/masking";
import { recordDeployment } from "../support/deployment";
import { stackFor } from "../support/stacks";

/**
 * A stack whose every password holds characters each file format encodes differently, in a
 * region of its own, with overrides in every file the profile writes.
 */
function trickyStack(operatingSystem: string, openstackRelease: string, prerequisites: boolean): StackConfig {
  return stackFor(operatingSystem, openstackRelease, prerequisites, {
    passwords: passwordsFrom((name) => `${name}-'$@:%&=!#; "x${name === "rabbit" ? "" : "/"}`),
    region: "RegionTwo",
    configOverrides: {
      novaController: { DEFAULT: { debug: true } },
      novaCompute: { libvirt: { cpu_mode: "host-model" } },
      ...(operatingSystem !== "centos-7" ? { placement: { DEFAULT: { debug: true } } } : {}),
    },
  });
}

/** A secret input reaches the mocks wrapped as {<secret signature>: ..., value}. */
function unwrap(value: unknown): unknown {
  return typeof value === "object" && value !== null && "value" in value && Object.keys(value).some((key) => key.length === 32)
    ? unwrap(value.value)
    : value;
}

/** What the deployment writes, per host: step name, path and content. */
async function writtenByDeployment(stack: StackConfig): Promise<{ host: string; step: string; path: string; content: string }[]> {
  const recorded = await recordDeployment(stack);
  const writes = recorded.filter((resource) => resource.type.endsWith(":RemoteScript") && String(resource.inputs.description).startsWith("write "));
  return writes.map((resource) => {
    const secrets = unwrap(resource.inputs.secrets) as Record<string, unknown>;
    return {
      host: resource.inputs.connection.hostName as string,
      step: resource.name,
      path: String(resource.inputs.description).slice("write ".length),
      content: unwrap(secrets.FILE_CONTENT) as string,
    };
  });
}

describe.each(supportedProfiles.flatMap((key) => [true, false].map((prerequisites) => [key, prerequisites] as const)))(
  "host files of %s (prerequisites %s)",
  (key, prerequisites) => {
    const [operatingSystem, release] = key.split("/");

    it("are exactly the files the deployment writes, step names and content included", async () => {
      const stack = trickyStack(operatingSystem, release, prerequisites);
      const deployed = await writtenByDeployment(stack);
      const planned = stack.hosts.flatMap((host) =>
        hostPlan(stack, host.name).files.map((file) => ({
          host: host.name,
          step: file.step,
          path: file.path,
          content: file.render(stack.passwords, "qemu"),
        })),
      );
      const byStep = (a: { step: string }, b: { step: string }) => a.step.localeCompare(b.step);
      expect(planned.sort(byStep)).toEqual(deployed.sort(byStep));
    });

    it("masks every password, whatever its encoding in the file", () => {
      const stack = trickyStack(operatingSystem, release, prerequisites);
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
  const stack = trickyStack("debian-12", "zed", true);

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
    expect(() => selectFile(hostPlan(stack, "compute1").files, "/etc/keystone/keystone.conf", "compute1")).toThrow(
      /no file "\/etc\/keystone\/keystone.conf" on compute1; it writes:\n {2}\/etc\/nova\/nova.conf/,
    );
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
