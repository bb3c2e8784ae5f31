/**
 * Everything that differs between operating systems and OpenStack releases, as data.
 *
 * A service's own facts (ports, databases, Keystone entries) are the catalog's
 * (catalog/services.ts); a profile says, for each service of the catalog, which packages, units
 * and files a platform uses for it. Components never branch on the OS or the release: they look
 * the profile up here and use its fields. `profileFor` throws on a combination that is not in
 * the table, so an unsupported host is rejected at validation time instead of half-installed.
 */
import { installedServices, ServiceId, ServiceRole } from "../catalog/services";
import type { ComputeDriver } from "../config/types";
import type { RabbitPasswordMethod } from "../steps/rabbitmq";
import { neutronPreloadSetup } from "./neutronPreload";

/** Operating systems the installer knows. */
export type OperatingSystem = "debian-12" | "debian-13" | "centos-7" | "centos-stream-9";

/** OpenStack releases the installer knows, by code name. */
export type OpenStackRelease = "queens" | "rocky" | "zed" | "caracal" | "epoxy";

export type PackageManager = "apt-get" | "yum" | "dnf";

/** One configuration file the installer writes. */
export interface ConfigFileSpec {
  readonly path: string;
  readonly owner: string;
  readonly group: string;
  /** Octal; files holding credentials are 0640, readable by the service's group only. */
  readonly mode: string;
  /**
   * "ini": templates/<name>.ini fragments merged in this order (operator overrides last);
   * "text": one plain-text template, templates/<name>.
   */
  readonly format: "ini" | "text";
  readonly templates: readonly string[];
  /** Units that read the file: restarted when it changes. */
  readonly readers: readonly string[];
  /** The name its step had before files were named by what they are (kept as an alias, so existing stacks keep the step). */
  readonly formerId?: string;
}

/** What a platform uses for one service of the catalog. */
export interface ServicePlatform {
  readonly packages: readonly string[];
  /** The units that serve it (on old RDO Placement runs inside Keystone's httpd). */
  readonly units: readonly string[];
  /** Its files by id, in the order they are written; the id names the step that writes the file. */
  readonly files: Readonly<Record<string, ConfigFileSpec>>;
  /** Where the API runs under its own uwsgi: the file whose `processes` the `apiWorkers` setting sets. */
  readonly uwsgiConfig?: string;
  /** Commands run before the service's schema step (RDO: the WSGI or plugin links). */
  readonly schemaSetup?: readonly string[];
  /** Commands run before each (re)start of its units. */
  readonly startSetup?: readonly string[];
  /** Client commands that must answer after each start, besides the catalog's own check (what the first real request needs). */
  readonly warmUp?: readonly string[];
  /** The platform keeps the service's tables in another service's database (Queens/Rocky: Placement in nova_api): no database of its own. */
  readonly sharesDatabase?: boolean;
  /**
   * Nova 2023.1 and later: the file holding the compute node's UUID (`compute_id` in Nova's
   * state_path). nova-compute refuses to start on a host the cloud knows without it, and a new
   * UUID would make a second compute node and resource provider: the installer writes it.
   */
  readonly identityFile?: string;
}

export interface OsProfile {
  readonly operatingSystem: OperatingSystem;
  readonly release: OpenStackRelease;
  readonly packageManager: PackageManager;
  /** Every service of the catalog, as this platform provides it. */
  readonly services: { readonly [id in ServiceId]: ServicePlatform };
  /** The openstack command line client (used by registration and verification). */
  readonly clientPackages: readonly string[];
  /** The hypervisor daemon nova-compute's libvirt driver talks to. */
  readonly hypervisorUnit: string;
  /** The Python interpreter the installer's helper programs run with. */
  readonly python: "python3" | "python";
  /** How the RabbitMQ password reaches rabbitmqctl without a command line (see steps/rabbitmq.ts). */
  readonly rabbitPasswordMethod: RabbitPasswordMethod;
  /**
   * Whether cell mappings can hold templated URLs (Rocky and later): the mapping then holds no
   * password, each service fills it from its own configuration.
   */
  readonly templatedCellUrls: boolean;
  /** A shell command printing the version of Nova installed on the host, or nothing when none is. */
  readonly installedNovaQuery: string;
}

/** Nova's major version in each release: a host with another Nova installed runs another release. */
export const novaMajorVersions: { readonly [release in OpenStackRelease]: number } = {
  queens: 17,
  rocky: 18,
  zed: 26,
  caracal: 29,
  epoxy: 31,
};

const dpkgNovaQuery = "dpkg-query -W -f='${db:Status-Status} ${Version}' nova-common 2>/dev/null | sed -n 's/^installed //p'";
const rpmNovaQuery = "rpm -q --qf '%{VERSION}' openstack-nova-common 2>/dev/null | grep -v 'not installed'";

export type ProfileKey = `${OperatingSystem}/${OpenStackRelease}`;

function iniFile(path: string, group: string, templates: readonly string[], readers: readonly string[]): ConfigFileSpec {
  return { path, owner: "root", group, mode: "0640", format: "ini", templates, readers };
}

function textFile(path: string, template: string, readers: readonly string[]): ConfigFileSpec {
  return { path, owner: "root", group: "root", mode: "0644", format: "text", templates: [template], readers };
}

/** nova.conf's fragments for the controller and the computes, in merge order. */
interface NovaTemplates {
  readonly controller: readonly string[];
  readonly compute: readonly string[];
}

/**
 * nova.conf's fragments of a release: the common ones, the role's, Placement's and the
 * Networking API's, with the keys old releases need (use_neutron, firewall_driver) and new ones
 * add ([service_user]) where the release has them.
 */
function novaTemplates(release: { readonly legacyNetwork: boolean; readonly placement: string; readonly serviceUser: boolean }): NovaTemplates {
  const role = (name: string) => [
    "nova/common",
    ...(release.legacyNetwork ? ["nova/legacy-network"] : []),
    `nova/${name}`,
    release.placement,
    "nova/neutron",
    ...(release.serviceUser ? ["nova/service-user"] : []),
  ];
  return { controller: role("controller"), compute: role("compute") };
}

const modernNova = novaTemplates({ legacyNetwork: false, placement: "nova/placement", serviceUser: true });

/** Where Nova 2023.1+ keeps the compute node's UUID: `compute_id` in its state_path, /var/lib/nova on every family. */
const novaIdentityFile = "/var/lib/nova/compute_id";

const debianNovaController = ["nova-api", "nova-scheduler", "nova-conductor", "nova-novncproxy"];
const debianNeutron = ["neutron-api", "neutron-rpc-server"];

/** Debian 12 ships Zed; every API runs under its own uwsgi unit. */
const debianBookwormZed: OsProfile = {
  operatingSystem: "debian-12",
  release: "zed",
  packageManager: "apt-get",
  services: {
    mariadb: {
      packages: ["mariadb-server", "python3-pymysql"],
      units: ["mariadb"],
      files: {
        "database-settings": { ...iniFile("/etc/mysql/mariadb.conf.d/99-openstack.cnf", "root", ["mariadb/openstack"], ["mariadb"]), mode: "0644" },
      },
    },
    rabbitmq: { packages: ["rabbitmq-server"], units: ["rabbitmq-server"], files: {} },
    memcached: {
      packages: ["memcached", "python3-memcache"],
      units: ["memcached"],
      files: { "cache-settings": textFile("/etc/memcached.conf", "memcached/debian.conf", ["memcached"]) },
    },
    keystone: {
      packages: ["keystone"],
      units: ["keystone"],
      files: { "keystone-conf": iniFile("/etc/keystone/keystone.conf", "keystone", ["keystone/keystone"], ["keystone"]) },
      uwsgiConfig: "/etc/keystone/keystone-uwsgi.ini",
    },
    glance: {
      packages: ["glance"],
      units: ["glance-api"],
      files: { "glance-api-conf": iniFile("/etc/glance/glance-api.conf", "glance", ["glance/glance-api"], ["glance-api"]) },
      uwsgiConfig: "/etc/glance/glance-api-uwsgi.ini",
    },
    neutron: {
      // ML2 is part of neutron-common in Debian (it provides neutron-plugin-ml2).
      packages: ["neutron-server"],
      units: debianNeutron,
      files: {
        "neutron-conf": iniFile("/etc/neutron/neutron.conf", "neutron", ["neutron/neutron"], debianNeutron),
        "ml2-conf": iniFile("/etc/neutron/plugins/ml2/ml2_conf.ini", "neutron", ["neutron/ml2_conf"], debianNeutron),
      },
      uwsgiConfig: "/etc/neutron/neutron-api-uwsgi.ini",
      startSetup: neutronPreloadSetup("/etc/neutron/neutron-api-uwsgi.ini"),
      warmUp: ["openstack port list"],
    },
    placement: {
      packages: ["placement-api"],
      units: ["placement-api"],
      files: { "placement-conf": iniFile("/etc/placement/placement.conf", "placement", ["placement/placement"], ["placement-api"]) },
      uwsgiConfig: "/etc/placement/placement-api-uwsgi.ini",
    },
    nova: {
      // nova-novncproxy is provided by nova-consoleproxy.
      packages: ["nova-api", "nova-conductor", "nova-scheduler", "nova-consoleproxy"],
      units: debianNovaController,
      files: {
        "nova-conf": iniFile("/etc/nova/nova.conf", "nova", modernNova.controller, debianNovaController),
      },
      uwsgiConfig: "/etc/nova/nova-api-uwsgi.ini",
      // The console proxy is noVNC, not SPICE.
      startSetup: ["sed -i 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' /etc/default/nova-consoleproxy"],
    },
    novaCompute: {
      packages: ["nova-compute"],
      units: ["nova-compute"],
      files: {
        "nova-conf": iniFile("/etc/nova/nova.conf", "nova", modernNova.compute, ["nova-compute"]),
        // Debian's nova-compute reads it after nova.conf: what it sets there wins.
        "nova-compute-conf": iniFile("/etc/nova/nova-compute.conf", "nova", ["nova/nova-compute"], ["nova-compute"]),
      },
    },
  },
  clientPackages: ["python3-openstackclient"],
  hypervisorUnit: "libvirtd",
  python: "python3",
  rabbitPasswordMethod: "stdin",
  templatedCellUrls: true,
  installedNovaQuery: dpkgNovaQuery,
};

/**
 * Debian 13 ships 2025.1 (Epoxy) with the same packages, units and paths as Debian 12's Zed: the
 * noVNC proxy still comes with nova-consoleproxy, ML2 still with neutron-common (Debian dropped
 * the neutron-plugin-ml2 name), every API under its own uwsgi unit and the same uwsgi files.
 * What changed in Nova itself (the compute node identity file, service tokens now required) is
 * the same configuration on both: see docs/debian-13-epoxy.md for the comparison.
 */
const debianTrixieEpoxy: OsProfile = {
  ...debianBookwormZed,
  operatingSystem: "debian-13",
  release: "epoxy",
  services: {
    ...debianBookwormZed.services,
    novaCompute: { ...debianBookwormZed.services.novaCompute, identityFile: novaIdentityFile },
  },
};

/** RDO services whose platform facts every release on CentOS shares. */
function rdoServices(
  packages: { readonly pymysql: string; readonly memcache: string; readonly nova: readonly string[] },
  units: { readonly glance: readonly string[]; readonly nova: readonly string[] },
  novaTemplates: NovaTemplates,
): Omit<OsProfile["services"], "keystone" | "placement"> {
  const novaCompute = ["openstack-nova-compute"];
  return {
    mariadb: {
      packages: ["mariadb", "mariadb-server", packages.pymysql],
      units: ["mariadb"],
      files: { "database-settings": { ...iniFile("/etc/my.cnf.d/openstack.cnf", "root", ["mariadb/openstack"], ["mariadb"]), mode: "0644" } },
    },
    rabbitmq: { packages: ["rabbitmq-server"], units: ["rabbitmq-server"], files: {} },
    memcached: {
      packages: ["memcached", packages.memcache],
      units: ["memcached"],
      files: { "cache-settings": textFile("/etc/sysconfig/memcached", "memcached/rhel.sysconfig", ["memcached"]) },
    },
    glance: {
      packages: ["openstack-glance"],
      units: units.glance,
      files: { "glance-api-conf": iniFile("/etc/glance/glance-api.conf", "glance", ["glance/glance-api"], units.glance) },
    },
    neutron: {
      packages: ["openstack-neutron", "openstack-neutron-ml2"],
      units: ["neutron-server"],
      files: {
        "neutron-conf": iniFile("/etc/neutron/neutron.conf", "neutron", ["neutron/neutron"], ["neutron-server"]),
        "ml2-conf": iniFile("/etc/neutron/plugins/ml2/ml2_conf.ini", "neutron", ["neutron/ml2_conf"], ["neutron-server"]),
      },
      schemaSetup: ["ln -sfn /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini"],
    },
    nova: {
      packages: packages.nova,
      units: units.nova,
      files: { "nova-conf": iniFile("/etc/nova/nova.conf", "nova", novaTemplates.controller, units.nova) },
    },
    novaCompute: {
      packages: ["openstack-nova-compute"],
      units: novaCompute,
      files: { "nova-conf": iniFile("/etc/nova/nova.conf", "nova", novaTemplates.compute, novaCompute) },
    },
  };
}

const rdoQueensNovaUnits = [
  "openstack-nova-api",
  "openstack-nova-consoleauth",
  "openstack-nova-scheduler",
  "openstack-nova-conductor",
  "openstack-nova-novncproxy",
];
const rdoQueensPackages = {
  pymysql: "python2-PyMySQL",
  memcache: "python-memcached",
  nova: [
    "openstack-nova-api",
    "openstack-nova-conductor",
    "openstack-nova-console",
    "openstack-nova-novncproxy",
    "openstack-nova-scheduler",
    "openstack-nova-placement-api",
  ],
};

/** RDO's Keystone: a WSGI app inside httpd, which may serve other apps (`webServerFiles`). */
function rdoKeystone(modWsgi: string, webServerFiles: Readonly<Record<string, ConfigFileSpec>> = {}): ServicePlatform {
  return {
    packages: ["openstack-keystone", "httpd", modWsgi],
    units: ["httpd"],
    files: {
      "keystone-conf": iniFile("/etc/keystone/keystone.conf", "keystone", ["keystone/keystone"], ["httpd"]),
      "servername-conf": { ...textFile("/etc/httpd/conf.d/00-servername.conf", "httpd/servername.conf", ["httpd"]), formerId: "web-server-1" },
      ...webServerFiles,
    },
    schemaSetup: ["ln -sfn /usr/share/keystone/wsgi-keystone.conf /etc/httpd/conf.d/wsgi-keystone.conf"],
  };
}

/** Queens/Rocky RDO: Placement is Nova's openstack-nova-placement-api, a WSGI app inside Keystone's httpd, tables in nova_api. */
const rdoNovaPlacement: Pick<OsProfile["services"], "keystone" | "placement"> = {
  keystone: rdoKeystone("mod_wsgi", {
    // RDO bug 1430540: httpd refuses the placement WSGI script without this grant.
    "placement-directory-grant-conf": {
      ...textFile("/etc/httpd/conf.d/00-nova-placement-directory.conf", "httpd/placement-directory-grant.conf", ["httpd"]),
      formerId: "web-server-2",
    },
  }),
  placement: { packages: [], units: ["httpd"], files: {}, sharesDatabase: true },
};

/** CentOS 7's services (Queens and Rocky), whose nova.conf differs in the placement region key. */
function centos7Services(placementTemplate: string): OsProfile["services"] {
  return {
    ...rdoServices(
      rdoQueensPackages,
      { glance: ["openstack-glance-api", "openstack-glance-registry"], nova: rdoQueensNovaUnits },
      novaTemplates({ legacyNetwork: true, placement: placementTemplate, serviceUser: false }),
    ),
    ...rdoNovaPlacement,
  };
}

/** CentOS 7 with RDO Queens, the release the source documents were written for. */
const centos7Queens: OsProfile = {
  operatingSystem: "centos-7",
  release: "queens",
  packageManager: "yum",
  services: centos7Services("nova/placement-os-region-name"),
  clientPackages: ["python-openstackclient"],
  hypervisorUnit: "libvirtd",
  python: "python",
  rabbitPasswordMethod: "erlang-file",
  templatedCellUrls: false,
  installedNovaQuery: rpmNovaQuery,
};

/** Rocky: the placement region key is region_name, and cell mappings take templated URLs. */
const centos7Rocky: OsProfile = {
  ...centos7Queens,
  release: "rocky",
  services: centos7Services("nova/placement"),
  templatedCellUrls: true,
};

const rdoCaracalNovaUnits = ["openstack-nova-api", "openstack-nova-scheduler", "openstack-nova-conductor", "openstack-nova-novncproxy"];

const rdoCaracalServices = rdoServices(
  {
    pymysql: "python3-PyMySQL",
    memcache: "python3-memcached",
    nova: ["openstack-nova-api", "openstack-nova-conductor", "openstack-nova-novncproxy", "openstack-nova-scheduler"],
  },
  { glance: ["openstack-glance-api"], nova: rdoCaracalNovaUnits },
  modernNova,
);

/** CentOS Stream 9 with RDO 2024.1 (Caracal): separate placement (in httpd), no consoleauth, service tokens. */
const centosStream9Caracal: OsProfile = {
  operatingSystem: "centos-stream-9",
  release: "caracal",
  packageManager: "dnf",
  services: {
    ...rdoCaracalServices,
    keystone: rdoKeystone("python3-mod_wsgi"),
    novaCompute: { ...rdoCaracalServices.novaCompute, identityFile: novaIdentityFile },
    placement: {
      packages: ["openstack-placement-api"],
      units: ["httpd"],
      files: { "placement-conf": iniFile("/etc/placement/placement.conf", "placement", ["placement/placement"], ["httpd"]) },
    },
  },
  clientPackages: ["python3-openstackclient"],
  hypervisorUnit: "libvirtd",
  python: "python3",
  rabbitPasswordMethod: "stdin",
  templatedCellUrls: true,
  installedNovaQuery: rpmNovaQuery,
};

const profiles: { readonly [key in ProfileKey]?: OsProfile } = {
  "debian-13/epoxy": debianTrixieEpoxy,
  "debian-12/zed": debianBookwormZed,
  "centos-7/queens": centos7Queens,
  "centos-7/rocky": centos7Rocky,
  "centos-stream-9/caracal": centosStream9Caracal,
};

/**
 * The profile of a stack that names none, and of the lab: the current Debian and the OpenStack
 * it ships. Stacks deployed with Debian 12 / Zed set both keys (docs/debian-13-epoxy.md).
 */
export const defaultProfile = { operatingSystem: "debian-13", release: "epoxy" } as const satisfies Pick<OsProfile, "operatingSystem" | "release">;

/** Every supported operating system / release pair, in a stable order. */
export const supportedProfiles: readonly ProfileKey[] = Object.keys(profiles) as ProfileKey[];

/**
 * The profile of an operating system and release.
 * @throws Error naming both values and the supported pairs when the combination is unknown.
 */
export function profileFor(operatingSystem: string, release: string): OsProfile {
  const profile = (profiles as Record<string, OsProfile | undefined>)[`${operatingSystem}/${release}`];
  if (profile === undefined) {
    throw new Error(`unsupported operating system/release "${operatingSystem}/${release}"; supported: ${supportedProfiles.join(", ")}`);
  }
  return profile;
}

/**
 * The class nova.conf's `compute_driver` names for the stack's driver setting. Where Nova keeps
 * each node's identity (`identityFile`, 2023.1 and later), `fake.FakeDriver` is a test double
 * whose node UUIDs change at every start of nova-compute, so its first restart fails ("Duplicate
 * compute node record found"); `fake.FakeDriverWithoutFakeNodes` is the fake that keeps the
 * node's identity like a real driver does.
 */
export function computeDriverClass(profile: OsProfile, driver: ComputeDriver): string {
  return driver === "fake.FakeDriver" && profile.services.novaCompute.identityFile !== undefined ? "fake.FakeDriverWithoutFakeNodes" : driver;
}

/** A profile's package sets: one per service of the catalog, then the client. */
export function packageSets(profile: OsProfile): Record<ServiceId | "client", readonly string[]> {
  return {
    ...Object.fromEntries(Object.entries(profile.services).map(([id, platform]) => [id, platform.packages])),
    client: profile.clientPackages,
  } as Record<ServiceId | "client", readonly string[]>;
}

/**
 * Every package a host of `role` installs, in one run: its services' in the catalog's order (the
 * controller's prerequisites with them where the stack installs those), then, on the
 * controller, the openstack client.
 */
export function rolePackages(profile: OsProfile, role: ServiceRole, prerequisites = true): string[] {
  const services = installedServices(role, prerequisites).flatMap((id) => profile.services[id].packages);
  return [...new Set([...services, ...(role === "controller" ? profile.clientPackages : [])])];
}

/** Every package a profile installs on any role: what an offline package cache must hold. */
export function allPackages(profile: OsProfile): string[] {
  return [...new Set(Object.values(packageSets(profile)).flat())].sort();
}

/** How each operating system names itself in /etc/os-release (ID, VERSION_ID and, for Debian, VERSION_CODENAME). */
export interface OsReleaseIdentity {
  readonly id: string;
  readonly versionId: string;
  /** Debian's suite name: what debootstrap and apt sources call the release. */
  readonly codename?: string;
}

export const osReleaseIdentities: { readonly [os in OperatingSystem]: OsReleaseIdentity } = {
  "debian-12": { id: "debian", versionId: "12", codename: "bookworm" },
  "debian-13": { id: "debian", versionId: "13", codename: "trixie" },
  "centos-7": { id: "centos", versionId: "7" },
  "centos-stream-9": { id: "centos", versionId: "9" },
};
