/**
 * nova.conf and placement.conf, rendered from templates/ for a role, profile and cloud.
 *
 * Merge order (later wins): the profile's templates for the file, in the profile's order, then
 * the operator's overrides. Overrides may add keys but not change one the installer sets:
 * those are derived from the rest of the configuration and must stay consistent with it.
 */
import { fillTemplate, IniFragment, mergeFragments, renderOsloIni, TemplateVariables } from "../lib/osloIni";
import type { OsProfile } from "../profiles/profiles";
import { databaseUrl, transportUrl } from "./urls";

/** Passwords the configuration files embed. */
export interface ServicePasswords {
  readonly rabbit: string;
  readonly novaDatabase: string;
  readonly nova: string;
  readonly placementDatabase: string;
  readonly placement: string;
  readonly neutron: string;
}

/** Everything about the cloud a Nova host's configuration depends on. */
export interface CloudSettings {
  /** Name (or address) every host reaches the controller's services at. */
  readonly controllerHost: string;
  readonly region: string;
  readonly passwords: ServicePasswords;
}

export interface NovaHostSettings {
  readonly role: "controller" | "compute";
  /** The host's management address ([DEFAULT] my_ip). */
  readonly myIp: string;
  /** Compute only: nova's virt driver. Default "libvirt.LibvirtDriver". */
  readonly computeDriver?: string;
  /** Compute only: "kvm" or "qemu" (from the host's CPU flags unless set). */
  readonly virtType?: string;
  /** Controller only: seconds between periodic host discoveries; undefined leaves it off. */
  readonly discoverHostsInterval?: number;
  /** The operator's additions, merged last. */
  readonly overrides?: IniFragment;
}

export function templateVariables(cloud: CloudSettings, host: NovaHostSettings): TemplateVariables {
  const controller = cloud.controllerHost;
  const passwords = cloud.passwords;
  return {
    transportUrl: transportUrl("openstack", passwords.rabbit, controller),
    myIp: host.myIp,
    region: cloud.region,
    identityPublicUrl: `http://${controller}:5000/`,
    identityInternalUrl: `http://${controller}:5000/v3`,
    memcachedServers: `${controller}:11211`,
    imageUrl: `http://${controller}:9292`,
    novncproxyBaseUrl: `http://${controller}:6080/vnc_auto.html`,
    novaUser: "nova",
    novaPassword: passwords.nova,
    placementUser: "placement",
    placementPassword: passwords.placement,
    neutronUser: "neutron",
    neutronPassword: passwords.neutron,
    apiDatabaseUrl: databaseUrl("nova", passwords.novaDatabase, controller, "nova_api"),
    databaseUrl: databaseUrl("nova", passwords.novaDatabase, controller, "nova"),
    placementDatabaseUrl: databaseUrl("placement", passwords.placementDatabase, controller, "placement"),
    computeDriver: host.computeDriver ?? "libvirt.LibvirtDriver",
    virtType: host.virtType,
    discoverHostsInterval: host.discoverHostsInterval,
  };
}

/** Refuses overrides of keys the templates set, naming each. */
export function checkOverrides(file: string, base: IniFragment, overrides: IniFragment = {}): void {
  const owned = Object.entries(overrides).flatMap(([section, entries]) =>
    Object.keys(entries)
      .filter((key) => base[section]?.[key] !== undefined)
      .map((key) => `[${section}] ${key}`),
  );
  if (owned.length > 0) {
    throw new Error(`${file}: these keys are set by the installer and cannot be overridden: ${owned.join(", ")}`);
  }
}

function render(file: string, templates: readonly string[], variables: TemplateVariables, overrides?: IniFragment): string {
  const base = mergeFragments(...templates.map((template) => fillTemplate(template, variables)));
  checkOverrides(file, base, overrides);
  return renderOsloIni(mergeFragments(base, overrides ?? {}));
}

export function renderNovaConf(profile: OsProfile, cloud: CloudSettings, host: NovaHostSettings): string {
  const templates = host.role === "controller" ? profile.configTemplates.novaController : profile.configTemplates.novaCompute;
  return render("nova.conf", templates, templateVariables(cloud, host), host.overrides);
}

/** placement.conf of the standalone Placement service; undefined where the profile has none. */
export function renderPlacementConf(profile: OsProfile, cloud: CloudSettings, myIp: string, overrides?: IniFragment): string | undefined {
  if (profile.configTemplates.placement.length === 0) {
    return undefined;
  }
  return render("placement.conf", profile.configTemplates.placement, templateVariables(cloud, { role: "controller", myIp }), overrides);
}
