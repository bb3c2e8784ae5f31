/**
 * Every file the installer writes on one host, as data: where, with which owner and mode, by
 * which step, and how its content is rendered. The operator CLI uses it to show a file before
 * it is written (`nova-installer render`) and to diff configuration changes in a preview.
 *
 * It follows deployment.ts: the same files, the same host settings and the same overrides per
 * file (test/unit/cli-render.test.ts renders every profile both ways and compares them), so
 * what it shows is what `pulumi up` writes.
 */
import type { HostConfig, StackConfig } from "../config/stackConfig";
import type { IniFragment } from "../lib/osloIni";
import type { ConfigFileSpec } from "../profiles/profiles";
import { adminOpenrc } from "../steps/openstackClient";
import {
  CloudPasswords,
  CloudSettings,
  databaseCredentialsSpec,
  DatabaseUserName,
  HostSettings,
  passwordNames,
  renderConfigFile,
  renderDatabaseCredentials,
} from "./configFiles";

export type VirtType = "kvm" | "qemu";

export interface HostFile {
  /** The step (resource name) that writes the file: `<host>-<component>-<step>`. */
  readonly step: string;
  readonly path: string;
  readonly owner: string;
  readonly group: string;
  readonly mode: string;
  /** "ini" files hold `[section] key = value` settings; "text" files anything else. */
  readonly format: "ini" | "text";
  /** Whether the content depends on the compute's virt_type (decided from its CPU at deploy time). */
  readonly needsVirtType: boolean;
  /** The file's text for these passwords (and virt_type, where `needsVirtType`). */
  render(passwords: CloudPasswords, virtType?: VirtType): string;
}

/** The admin credentials file AdminCredentials writes on the controller. */
export const adminOpenrcFile = { path: "/root/admin-openrc", owner: "root", group: "root", mode: "0600" } as const;

function hostNamed(config: StackConfig, hostName: string): HostConfig {
  const host = config.hosts.find((entry) => entry.name === hostName);
  if (host === undefined) {
    throw new Error(`no host "${hostName}" in the stack; its hosts are ${config.hosts.map((entry) => entry.name).join(", ")}`);
  }
  return host;
}

function cloudOf(config: StackConfig, passwords: CloudPasswords): CloudSettings {
  return { controllerHost: config.controller.name, controllerAddress: config.controller.address, region: config.region, passwords };
}

/**
 * Every file written on the host, in the order the deployment's phases write them.
 * @throws Error naming the stack's hosts when there is no host of that name.
 */
export function hostFiles(config: StackConfig, hostName: string): HostFile[] {
  const host = hostNamed(config, hostName);
  const files = config.profile.files;
  const configFile = (step: string, spec: ConfigFileSpec, settings: (virtType?: VirtType) => HostSettings, overrides?: IniFragment, needsVirtType = false): HostFile => ({
    step,
    path: spec.path,
    owner: spec.owner,
    group: spec.group,
    mode: spec.mode,
    format: spec.format,
    needsVirtType,
    render: (passwords, virtType) => {
      if (needsVirtType && virtType === undefined) {
        throw new Error(`${spec.path} on ${host.name} needs its virt_type (kvm or qemu), decided from the CPU at deploy time`);
      }
      return renderConfigFile(spec, cloudOf(config, passwords), settings(virtType), overrides);
    },
  });
  const credentials = (step: string, user: DatabaseUserName): HostFile => {
    const spec = databaseCredentialsSpec(user, []);
    return {
      step,
      path: spec.path,
      owner: spec.owner,
      group: spec.group,
      mode: spec.mode,
      format: spec.format,
      needsVirtType: false,
      render: (passwords) => renderDatabaseCredentials(user, passwords),
    };
  };

  if (host.role === "compute") {
    const settings = (virtType?: VirtType): HostSettings => ({ myIp: host.address, computeDriver: config.computeDriver, virtType });
    return [
      configFile(`${host.name}-compute-nova-conf`, files.novaCompute, settings, config.configOverrides.novaCompute, true),
      ...(files.novaComputeDriver ? [configFile(`${host.name}-compute-nova-compute-conf`, files.novaComputeDriver, settings, undefined, true)] : []),
    ];
  }

  const name = host.name;
  const controllerSettings = (): HostSettings => ({ myIp: host.address });
  const prerequisites: HostFile[] = config.prerequisites
    ? [
        configFile(`${name}-infrastructure-database-settings`, files.databaseServer, controllerSettings),
        configFile(`${name}-infrastructure-cache-settings`, files.cache, controllerSettings),
        credentials(`${name}-identity-database-credentials`, "keystone"),
        ...[files.identity, ...files.identityWebServer].map((spec, index) =>
          configFile(`${name}-identity-${index === 0 ? "keystone-conf" : `web-server-${index}`}`, spec, controllerSettings),
        ),
        configFile(`${name}-image-glance-api-conf`, files.imageApi, controllerSettings),
        credentials(`${name}-image-database-credentials`, "glance"),
        configFile(`${name}-network-api-neutron-conf`, files.networkApi, controllerSettings),
        configFile(`${name}-network-api-ml2-conf`, files.networkPlugin, controllerSettings),
        credentials(`${name}-network-api-database-credentials`, "neutron"),
      ]
    : [];
  const placement: HostFile[] = files.placement
    ? [
        configFile(`${name}-placement-placement-conf`, files.placement, controllerSettings, config.configOverrides.placement),
        credentials(`${name}-placement-database-credentials`, "placement"),
      ]
    : [];
  const authUrl = `http://${name}:5000/v3`;
  return [
    ...prerequisites,
    {
      step: `${name}-admin-credentials-openrc`,
      ...adminOpenrcFile,
      format: "text",
      needsVirtType: false,
      render: (passwords) => adminOpenrc(authUrl, config.region, passwords.admin),
    },
    ...placement,
    configFile(`${name}-nova-nova-conf`, files.novaController, controllerSettings, config.configOverrides.novaController),
    credentials(`${name}-nova-database-credentials`, "nova"),
  ];
}

/**
 * Stand-in passwords that survive every encoding a file applies unchanged (percent-encoding in
 * URLs, `$$` for oslo.config, shell quoting), so a rendering with them can be masked exactly.
 */
export function maskingPasswords(): CloudPasswords {
  return Object.fromEntries(passwordNames.map((name) => [name, `MASKEDxPASSWORDx${name}xMASKED`])) as unknown as CloudPasswords;
}

/** Replaces every stand-in password of `maskingPasswords()` with "****". */
export function maskStandInPasswords(text: string): string {
  return text.replace(/MASKEDxPASSWORDx[A-Za-z]+xMASKED/g, "****");
}

/** The file's text with every password replaced by "****": rendered with stand-ins, never with the real values. */
export function renderMasked(file: HostFile, virtType?: VirtType): string {
  return maskStandInPasswords(file.render(maskingPasswords(), virtType));
}
