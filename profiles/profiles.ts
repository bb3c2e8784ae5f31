/**
 * Everything that differs between operating systems and OpenStack releases, as data.
 *
 * Components never branch on the OS or the release: they look the profile up here and use its
 * fields. `profileFor` throws on a combination that is not in the table, so an unsupported
 * host is rejected at validation time instead of half-installed.
 */
import type { RabbitPasswordMethod } from "../steps/rabbitmq";
import { neutronPreloadSetup } from "./neutronPreload";

/** Operating systems the installer knows. */
export type OperatingSystem = "debian-12" | "centos-7" | "centos-stream-9";

/** OpenStack releases the installer knows, by code name. */
export type OpenStackRelease = "queens" | "rocky" | "zed" | "caracal";

export type PackageManager = "apt-get" | "yum" | "dnf";

/** How the Placement API is served on a release. */
export type PlacementHosting =
  /** Queens/Rocky RDO: openstack-nova-placement-api, a WSGI app inside httpd, tables in nova_api. */
  | "nova-placement-in-httpd"
  /** Stein and later: the separate placement project with its own database. */
  | "standalone-placement";

/** The package names of each installable part, per profile. */
export interface PackageSets {
  /** Database, message queue and cache for the control plane. */
  readonly infrastructure: readonly string[];
  /** Keystone and whatever serves it. */
  readonly identity: readonly string[];
  /** Glance. */
  readonly image: readonly string[];
  /** Neutron server with ML2 (API only, no agents). */
  readonly networkApi: readonly string[];
  /** Placement API (empty where Nova ships it, see `novaController`). */
  readonly placement: readonly string[];
  /** Nova control plane services. */
  readonly novaController: readonly string[];
  /** Nova compute service with its hypervisor stack. */
  readonly novaCompute: readonly string[];
  /** The openstack command line client (used by registration and verification). */
  readonly client: readonly string[];
}

/** systemd unit names of each service, per profile. */
export interface ServiceUnits {
  readonly database: string;
  readonly messageQueue: string;
  readonly cache: string;
  /** What serves Keystone: its own uwsgi unit (Debian) or httpd (RDO). */
  readonly identity: readonly string[];
  readonly imageApi: readonly string[];
  readonly networkApi: readonly string[];
  /** Placement's own units; on old RDO Placement runs inside httpd (the identity units). */
  readonly placementApi: readonly string[];
  readonly novaController: readonly string[];
  readonly novaCompute: readonly string[];
  /** The hypervisor daemon nova-compute's libvirt driver talks to. */
  readonly hypervisor: string;
}

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
}

/** The files of each part; a part a profile does not have is absent. */
export interface ConfigFiles {
  readonly databaseServer: ConfigFileSpec;
  readonly cache: ConfigFileSpec;
  readonly identity: ConfigFileSpec;
  /** Web server settings Keystone (and old Placement) need: ServerName, the /usr/bin grant. */
  readonly identityWebServer: readonly ConfigFileSpec[];
  readonly imageApi: ConfigFileSpec;
  readonly networkApi: ConfigFileSpec;
  readonly networkPlugin: ConfigFileSpec;
  readonly placement?: ConfigFileSpec;
  readonly novaController: ConfigFileSpec;
  readonly novaCompute: ConfigFileSpec;
  /** A second file nova-compute reads after nova.conf (Debian's nova-compute.conf); absent elsewhere. */
  readonly novaComputeDriver?: ConfigFileSpec;
}

export interface OsProfile {
  readonly operatingSystem: OperatingSystem;
  readonly release: OpenStackRelease;
  readonly packageManager: PackageManager;
  readonly packages: PackageSets;
  readonly units: ServiceUnits;
  readonly files: ConfigFiles;
  readonly placementHosting: PlacementHosting;
  /** The Python interpreter the installer's helper programs run with. */
  readonly python: "python3" | "python";
  /** How the RabbitMQ password reaches rabbitmqctl without a command line (see steps/rabbitmq.ts). */
  readonly rabbitPasswordMethod: RabbitPasswordMethod;
  /**
   * Whether cell mappings can hold templated URLs (Rocky and later): the mapping then holds no
   * password, each service fills it from its own configuration.
   */
  readonly templatedCellUrls: boolean;
  /** Commands that put Keystone's WSGI app in place before it starts (RDO: httpd's wsgi-keystone.conf). */
  readonly identitySetup: readonly string[];
  /** Commands run before the Networking API's schema migrations (RDO: the plugin.ini link). */
  readonly networkApiSetup: readonly string[];
  /**
   * Commands run before each (re)start of the Networking API. Debian: every uwsgi worker
   * configures the database models before it serves (profiles/neutronPreload.ts).
   */
  readonly networkApiStartSetup: readonly string[];
  /** Whether the API's readiness check also lists ports (what Nova asks for every instance). */
  readonly networkApiWarmUp: boolean;
  /**
   * uwsgi configuration of each API that runs under its own uwsgi (Debian), where the
   * `apiWorkers` setting sets the number of worker processes; absent where httpd serves them.
   */
  readonly uwsgiConfigs: Readonly<Partial<Record<"identity" | "imageApi" | "networkApi" | "placementApi" | "novaApi", string>>>;
  /** Commands run before Nova's control plane services start. Debian: the console proxy is noVNC, not SPICE. */
  readonly novaControllerSetup: readonly string[];
}

export type ProfileKey = `${OperatingSystem}/${OpenStackRelease}`;

function iniFile(path: string, group: string, templates: readonly string[], readers: readonly string[]): ConfigFileSpec {
  return { path, owner: "root", group, mode: "0640", format: "ini", templates, readers };
}

function textFile(path: string, template: string, readers: readonly string[]): ConfigFileSpec {
  return { path, owner: "root", group: "root", mode: "0644", format: "text", templates: [template], readers };
}

const debianUnits: ServiceUnits = {
  database: "mariadb",
  messageQueue: "rabbitmq-server",
  cache: "memcached",
  identity: ["keystone"],
  imageApi: ["glance-api"],
  networkApi: ["neutron-api", "neutron-rpc-server"],
  placementApi: ["placement-api"],
  novaController: ["nova-api", "nova-scheduler", "nova-conductor", "nova-novncproxy"],
  novaCompute: ["nova-compute"],
  hypervisor: "libvirtd",
};

/** Debian 12 ships Zed; every API runs under its own uwsgi unit. */
const debianBookwormZed: OsProfile = {
  operatingSystem: "debian-12",
  release: "zed",
  packageManager: "apt-get",
  packages: {
    infrastructure: ["mariadb-server", "python3-pymysql", "rabbitmq-server", "memcached", "python3-memcache"],
    identity: ["keystone"],
    image: ["glance"],
    // ML2 is part of neutron-common in Debian (it provides neutron-plugin-ml2).
    networkApi: ["neutron-server"],
    placement: ["placement-api"],
    // nova-novncproxy is provided by nova-consoleproxy.
    novaController: ["nova-api", "nova-conductor", "nova-scheduler", "nova-consoleproxy"],
    novaCompute: ["nova-compute"],
    client: ["python3-openstackclient"],
  },
  units: debianUnits,
  files: {
    databaseServer: { ...iniFile("/etc/mysql/mariadb.conf.d/99-openstack.cnf", "root", ["mariadb/openstack"], ["mariadb"]), mode: "0644" },
    cache: textFile("/etc/memcached.conf", "memcached/debian.conf", ["memcached"]),
    identity: iniFile("/etc/keystone/keystone.conf", "keystone", ["keystone/keystone"], debianUnits.identity),
    identityWebServer: [],
    imageApi: iniFile("/etc/glance/glance-api.conf", "glance", ["glance/glance-api"], debianUnits.imageApi),
    networkApi: iniFile("/etc/neutron/neutron.conf", "neutron", ["neutron/neutron"], debianUnits.networkApi),
    networkPlugin: iniFile("/etc/neutron/plugins/ml2/ml2_conf.ini", "neutron", ["neutron/ml2_conf"], debianUnits.networkApi),
    placement: iniFile("/etc/placement/placement.conf", "placement", ["placement/placement"], debianUnits.placementApi),
    novaController: iniFile(
      "/etc/nova/nova.conf",
      "nova",
      ["nova/common", "nova/controller", "nova/placement", "nova/neutron", "nova/service-user"],
      debianUnits.novaController,
    ),
    novaCompute: iniFile(
      "/etc/nova/nova.conf",
      "nova",
      ["nova/common", "nova/compute", "nova/placement", "nova/neutron", "nova/service-user"],
      debianUnits.novaCompute,
    ),
    novaComputeDriver: iniFile("/etc/nova/nova-compute.conf", "nova", ["nova/nova-compute"], debianUnits.novaCompute),
  },
  placementHosting: "standalone-placement",
  python: "python3",
  rabbitPasswordMethod: "stdin",
  templatedCellUrls: true,
  identitySetup: [],
  networkApiSetup: [],
  networkApiStartSetup: neutronPreloadSetup("/etc/neutron/neutron-api-uwsgi.ini"),
  networkApiWarmUp: true,
  uwsgiConfigs: {
    identity: "/etc/keystone/keystone-uwsgi.ini",
    imageApi: "/etc/glance/glance-api-uwsgi.ini",
    networkApi: "/etc/neutron/neutron-api-uwsgi.ini",
    placementApi: "/etc/placement/placement-api-uwsgi.ini",
    novaApi: "/etc/nova/nova-api-uwsgi.ini",
  },
  novaControllerSetup: ["sed -i 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' /etc/default/nova-consoleproxy"],
};

const rdoIdentitySetup = ["ln -sfn /usr/share/keystone/wsgi-keystone.conf /etc/httpd/conf.d/wsgi-keystone.conf"];

const rdoQueensUnits: ServiceUnits = {
  database: "mariadb",
  messageQueue: "rabbitmq-server",
  cache: "memcached",
  identity: ["httpd"],
  imageApi: ["openstack-glance-api", "openstack-glance-registry"],
  networkApi: ["neutron-server"],
  placementApi: ["httpd"],
  novaController: [
    "openstack-nova-api",
    "openstack-nova-consoleauth",
    "openstack-nova-scheduler",
    "openstack-nova-conductor",
    "openstack-nova-novncproxy",
  ],
  novaCompute: ["openstack-nova-compute"],
  hypervisor: "libvirtd",
};

/** RDO files shared by every release on CentOS. */
function rdoFiles(units: ServiceUnits, nova: { controller: readonly string[]; compute: readonly string[] }) {
  return {
    databaseServer: { ...iniFile("/etc/my.cnf.d/openstack.cnf", "root", ["mariadb/openstack"], ["mariadb"]), mode: "0644" },
    cache: textFile("/etc/sysconfig/memcached", "memcached/rhel.sysconfig", ["memcached"]),
    identity: iniFile("/etc/keystone/keystone.conf", "keystone", ["keystone/keystone"], units.identity),
    imageApi: iniFile("/etc/glance/glance-api.conf", "glance", ["glance/glance-api"], units.imageApi),
    networkApi: iniFile("/etc/neutron/neutron.conf", "neutron", ["neutron/neutron"], units.networkApi),
    networkPlugin: iniFile("/etc/neutron/plugins/ml2/ml2_conf.ini", "neutron", ["neutron/ml2_conf"], units.networkApi),
    novaController: iniFile("/etc/nova/nova.conf", "nova", nova.controller, units.novaController),
    novaCompute: iniFile("/etc/nova/nova.conf", "nova", nova.compute, units.novaCompute),
  };
}

/** CentOS 7 with RDO Queens, the release the source documents were written for. */
const centos7Queens: OsProfile = {
  operatingSystem: "centos-7",
  release: "queens",
  packageManager: "yum",
  packages: {
    infrastructure: ["mariadb", "mariadb-server", "python2-PyMySQL", "rabbitmq-server", "memcached", "python-memcached"],
    identity: ["openstack-keystone", "httpd", "mod_wsgi"],
    image: ["openstack-glance"],
    networkApi: ["openstack-neutron", "openstack-neutron-ml2"],
    placement: [],
    novaController: [
      "openstack-nova-api",
      "openstack-nova-conductor",
      "openstack-nova-console",
      "openstack-nova-novncproxy",
      "openstack-nova-scheduler",
      "openstack-nova-placement-api",
    ],
    novaCompute: ["openstack-nova-compute"],
    client: ["python-openstackclient"],
  },
  units: rdoQueensUnits,
  files: {
    ...rdoFiles(rdoQueensUnits, {
      controller: ["nova/common", "nova/legacy-network", "nova/controller", "nova/placement-os-region-name", "nova/neutron"],
      compute: ["nova/common", "nova/legacy-network", "nova/compute", "nova/placement-os-region-name", "nova/neutron"],
    }),
    identityWebServer: [
      textFile("/etc/httpd/conf.d/00-servername.conf", "httpd/servername.conf", ["httpd"]),
      textFile("/etc/httpd/conf.d/00-nova-placement-directory.conf", "httpd/placement-directory-grant.conf", ["httpd"]),
    ],
  },
  placementHosting: "nova-placement-in-httpd",
  python: "python",
  rabbitPasswordMethod: "erlang-file",
  templatedCellUrls: false,
  identitySetup: rdoIdentitySetup,
  networkApiSetup: ["ln -sfn /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini"],
  networkApiStartSetup: [],
  networkApiWarmUp: false,
  uwsgiConfigs: {},
  novaControllerSetup: [],
};

/** Rocky: the placement region key is region_name, and cell mappings take templated URLs. */
const centos7Rocky: OsProfile = {
  ...centos7Queens,
  release: "rocky",
  files: {
    ...centos7Queens.files,
    ...rdoFiles(rdoQueensUnits, {
      controller: ["nova/common", "nova/legacy-network", "nova/controller", "nova/placement", "nova/neutron"],
      compute: ["nova/common", "nova/legacy-network", "nova/compute", "nova/placement", "nova/neutron"],
    }),
  },
  templatedCellUrls: true,
};

const rdoCaracalUnits: ServiceUnits = {
  ...rdoQueensUnits,
  imageApi: ["openstack-glance-api"],
  placementApi: ["httpd"],
  novaController: ["openstack-nova-api", "openstack-nova-scheduler", "openstack-nova-conductor", "openstack-nova-novncproxy"],
};

/** CentOS Stream 9 with RDO 2024.1 (Caracal): separate placement (in httpd), no consoleauth, service tokens. */
const centosStream9Caracal: OsProfile = {
  operatingSystem: "centos-stream-9",
  release: "caracal",
  packageManager: "dnf",
  packages: {
    infrastructure: ["mariadb", "mariadb-server", "python3-PyMySQL", "rabbitmq-server", "memcached", "python3-memcached"],
    identity: ["openstack-keystone", "httpd", "python3-mod_wsgi"],
    image: ["openstack-glance"],
    networkApi: ["openstack-neutron", "openstack-neutron-ml2"],
    placement: ["openstack-placement-api"],
    novaController: ["openstack-nova-api", "openstack-nova-conductor", "openstack-nova-novncproxy", "openstack-nova-scheduler"],
    novaCompute: ["openstack-nova-compute"],
    client: ["python3-openstackclient"],
  },
  units: rdoCaracalUnits,
  files: {
    ...rdoFiles(rdoCaracalUnits, {
      controller: ["nova/common", "nova/controller", "nova/placement", "nova/neutron", "nova/service-user"],
      compute: ["nova/common", "nova/compute", "nova/placement", "nova/neutron", "nova/service-user"],
    }),
    identityWebServer: [textFile("/etc/httpd/conf.d/00-servername.conf", "httpd/servername.conf", ["httpd"])],
    placement: iniFile("/etc/placement/placement.conf", "placement", ["placement/placement"], rdoCaracalUnits.placementApi),
  },
  placementHosting: "standalone-placement",
  python: "python3",
  rabbitPasswordMethod: "stdin",
  templatedCellUrls: true,
  identitySetup: rdoIdentitySetup,
  networkApiSetup: ["ln -sfn /etc/neutron/plugins/ml2/ml2_conf.ini /etc/neutron/plugin.ini"],
  networkApiStartSetup: [],
  networkApiWarmUp: false,
  uwsgiConfigs: {},
  novaControllerSetup: [],
};

const profiles: { readonly [key in ProfileKey]?: OsProfile } = {
  "debian-12/zed": debianBookwormZed,
  "centos-7/queens": centos7Queens,
  "centos-7/rocky": centos7Rocky,
  "centos-stream-9/caracal": centosStream9Caracal,
};

/** Every supported operating system / release pair, in a stable order. */
export const supportedProfiles: readonly ProfileKey[] = Object.keys(profiles) as ProfileKey[];

/**
 * The profile of an operating system and release.
 * @throws Error naming both values and the supported pairs when the combination is unknown.
 */
export function profileFor(operatingSystem: string, release: string): OsProfile {
  const profile = (profiles as Record<string, OsProfile | undefined>)[`${operatingSystem}/${release}`];
  if (profile === undefined) {
    throw new Error(
      `unsupported operating system/release "${operatingSystem}/${release}"; supported: ${supportedProfiles.join(", ")}`,
    );
  }
  return profile;
}

/**
 * The package sets the controller installs, in order: all of them when the stack installs the
 * prerequisites (database, message queue, Keystone, Glance, Neutron API), else Nova's own.
 */
export function controllerPackageParts(prerequisites: boolean): (keyof PackageSets)[] {
  return prerequisites
    ? ["infrastructure", "identity", "image", "networkApi", "placement", "novaController", "client"]
    : ["placement", "novaController", "client"];
}

/** Every package a host of `role` installs (the controller with the prerequisites). */
export function rolePackages(profile: OsProfile, role: "controller" | "compute"): string[] {
  const parts: (keyof PackageSets)[] = role === "controller" ? controllerPackageParts(true) : ["novaCompute"];
  return [...new Set(parts.flatMap((part) => profile.packages[part]))];
}

/** Every package a profile installs on any role: what an offline package cache must hold. */
export function allPackages(profile: OsProfile): string[] {
  const sets = Object.values(profile.packages) as readonly (readonly string[])[];
  return [...new Set(sets.flat())].sort();
}

/** How each operating system names itself in /etc/os-release (ID and VERSION_ID). */
export interface OsReleaseIdentity {
  readonly id: string;
  readonly versionId: string;
}

export const osReleaseIdentities: { readonly [os in OperatingSystem]: OsReleaseIdentity } = {
  "debian-12": { id: "debian", versionId: "12" },
  "centos-7": { id: "centos", versionId: "7" },
  "centos-stream-9": { id: "centos", versionId: "9" },
};
