/**
 * Everything that differs between operating systems and OpenStack releases, as data.
 *
 * Components never branch on the OS or the release: they look the profile up here and use its
 * fields. `profileFor` throws on a combination that is not in the table, so an unsupported
 * host is rejected at validation time instead of half-installed.
 */

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
  /** Keystone and the web server that hosts it. */
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
  /** The web server that hosts Keystone (and Placement on old RDO). */
  readonly webServer: string;
  readonly imageApi: readonly string[];
  readonly networkApi: readonly string[];
  /** Placement's own unit; undefined where it runs inside the web server. */
  readonly placementApi: string | undefined;
  readonly novaController: readonly string[];
  readonly novaCompute: readonly string[];
  readonly hypervisor: string;
}

/**
 * Which templates/ fragments make each configuration file, merged in this order. Release
 * differences in the files live here: the legacy network keys of Queens/Rocky, Queens'
 * `[placement] os_region_name`, `[service_user]` from Zed on.
 */
export interface ConfigTemplates {
  readonly novaController: readonly string[];
  readonly novaCompute: readonly string[];
  /** Empty where Placement is configured inside nova.conf (Queens/Rocky RDO). */
  readonly placement: readonly string[];
}

export interface OsProfile {
  readonly operatingSystem: OperatingSystem;
  readonly release: OpenStackRelease;
  readonly packageManager: PackageManager;
  readonly packages: PackageSets;
  readonly units: ServiceUnits;
  readonly placementHosting: PlacementHosting;
  /** Group that owns /etc/nova/nova.conf (mode 0640). */
  readonly novaGroup: string;
  /** Group that owns /etc/placement/placement.conf. */
  readonly placementGroup: string;
  readonly configTemplates: ConfigTemplates;
}

export type ProfileKey = `${OperatingSystem}/${OpenStackRelease}`;

const debianBookwormZed: OsProfile = {
  operatingSystem: "debian-12",
  release: "zed",
  packageManager: "apt-get",
  packages: {
    infrastructure: ["mariadb-server", "python3-pymysql", "rabbitmq-server", "memcached", "python3-memcache"],
    identity: ["keystone", "apache2", "libapache2-mod-wsgi-py3"],
    image: ["glance"],
    networkApi: ["neutron-server", "neutron-plugin-ml2"],
    placement: ["placement-api"],
    novaController: ["nova-api", "nova-conductor", "nova-scheduler", "nova-novncproxy"],
    novaCompute: ["nova-compute"],
    client: ["python3-openstackclient"],
  },
  units: {
    database: "mariadb",
    messageQueue: "rabbitmq-server",
    cache: "memcached",
    webServer: "apache2",
    imageApi: ["glance-api"],
    networkApi: ["neutron-api", "neutron-rpc-server"],
    placementApi: "placement-api",
    novaController: ["nova-api", "nova-scheduler", "nova-conductor", "nova-novncproxy"],
    novaCompute: ["nova-compute"],
    hypervisor: "libvirtd",
  },
  placementHosting: "standalone-placement",
  novaGroup: "nova",
  placementGroup: "placement",
  configTemplates: {
    novaController: ["nova/common", "nova/controller", "nova/placement", "nova/neutron", "nova/service-user"],
    novaCompute: ["nova/common", "nova/compute", "nova/placement", "nova/neutron", "nova/service-user"],
    placement: ["placement/placement"],
  },
};

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
  units: {
    database: "mariadb",
    messageQueue: "rabbitmq-server",
    cache: "memcached",
    webServer: "httpd",
    imageApi: ["openstack-glance-api", "openstack-glance-registry"],
    networkApi: ["neutron-server"],
    placementApi: undefined,
    novaController: [
      "openstack-nova-api",
      "openstack-nova-consoleauth",
      "openstack-nova-scheduler",
      "openstack-nova-conductor",
      "openstack-nova-novncproxy",
    ],
    novaCompute: ["openstack-nova-compute"],
    hypervisor: "libvirtd",
  },
  placementHosting: "nova-placement-in-httpd",
  novaGroup: "nova",
  placementGroup: "nova",
  configTemplates: {
    novaController: ["nova/common", "nova/legacy-network", "nova/controller", "nova/placement-os-region-name", "nova/neutron"],
    novaCompute: ["nova/common", "nova/legacy-network", "nova/compute", "nova/placement-os-region-name", "nova/neutron"],
    placement: [],
  },
};

/** Rocky differs from Queens in the placement region key only (region_name replaces os_region_name). */
const centos7Rocky: OsProfile = {
  ...centos7Queens,
  release: "rocky",
  configTemplates: {
    novaController: ["nova/common", "nova/legacy-network", "nova/controller", "nova/placement", "nova/neutron"],
    novaCompute: ["nova/common", "nova/legacy-network", "nova/compute", "nova/placement", "nova/neutron"],
    placement: [],
  },
};

/** CentOS Stream 9 with RDO 2024.1 (Caracal): separate placement, no consoleauth, service tokens. */
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
  units: {
    database: "mariadb",
    messageQueue: "rabbitmq-server",
    cache: "memcached",
    webServer: "httpd",
    imageApi: ["openstack-glance-api"],
    networkApi: ["neutron-server"],
    placementApi: undefined,
    novaController: ["openstack-nova-api", "openstack-nova-scheduler", "openstack-nova-conductor", "openstack-nova-novncproxy"],
    novaCompute: ["openstack-nova-compute"],
    hypervisor: "libvirtd",
  },
  placementHosting: "standalone-placement",
  novaGroup: "nova",
  placementGroup: "placement",
  configTemplates: debianBookwormZed.configTemplates,
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

/** Every package a profile installs on any role: what an offline package cache must hold. */
export function allPackages(profile: OsProfile): string[] {
  const sets = Object.values(profile.packages) as readonly (readonly string[])[];
  return [...new Set(sets.flat())].sort();
}
