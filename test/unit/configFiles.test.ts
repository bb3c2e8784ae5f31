import { describe, expect, it } from "vitest";
import { escapeOsloInterpolation, mergeFragments, renderOsloIni } from "../../lib/osloIni";
import { profileFor, supportedProfiles } from "../../profiles/profiles";
import type { ConfigFileSpec } from "../../profiles/profiles";
import { serviceCatalog } from "../../catalog/services";
import { passwordsFrom } from "../../config/passwords";
import { CloudSettings, HostSettings, renderConfigFile, renderDatabaseCredentials } from "../../render/configFiles";
import { databaseUrl, percentEncode, transportUrl } from "../../render/urls";
import { expectGolden } from "../support/golden";

/** Example values the golden files are rendered with (the install guide's placeholders). */
const exampleCloud: CloudSettings = {
  controllerHost: "controller",
  controllerAddress: "10.0.0.11",
  region: "RegionOne",
  // The install guide's placeholders: ADMIN_PASS, NOVA_DBPASS, ...
  passwords: passwordsFrom((name) =>
    name.endsWith("Database") ? `${name.slice(0, -"Database".length).toUpperCase()}_DBPASS` : `${name.toUpperCase()}_PASS`,
  ),
};
const controllerHost: HostSettings = { myIp: "10.0.0.11" };
const computeHost: HostSettings = { myIp: "10.0.0.31", virtType: "qemu" };

describe.each(supportedProfiles)("configuration files of %s", (key) => {
  const [operatingSystem, release] = key.split("/");
  const profile = profileFor(operatingSystem, release);
  const { novaCompute, ...controllerServices } = profile.services;
  const controllerFiles = Object.entries(controllerServices).flatMap(([id, platform]) =>
    Object.entries(platform.files).map(([fileId, spec]): [string, ConfigFileSpec] => [`${id} ${fileId}`, spec]),
  );

  it.each(controllerFiles)("controller %s matches the reviewed golden file", (_file, spec) => {
    expectGolden(`${operatingSystem}/${release}/controller${spec.path}`, renderConfigFile(spec, exampleCloud, controllerHost));
  });

  it("compute nova.conf matches the reviewed golden file", () => {
    const spec = novaCompute.files["nova-conf"];
    expectGolden(`${operatingSystem}/${release}/compute${spec.path}`, renderConfigFile(spec, exampleCloud, computeHost));
  });

  it("has a placement.conf exactly when Placement is its own service", () => {
    expect(profile.services.placement.files["placement-conf"] === undefined).toBe(profile.services.placement.sharesDatabase === true);
  });
});

describe("nova.conf content rules", () => {
  const novaConf = profileFor("debian-12", "zed").services.nova.files["nova-conf"];

  it("points api_database at nova_api and database at nova", () => {
    const text = renderConfigFile(novaConf, exampleCloud, controllerHost);
    const credentials = "read_default_file=/etc/nova/nova-database.cnf";
    expect(text).toContain(`[api_database]\nconnection = mysql+pymysql://nova@controller/nova_api?${credentials}\n`);
    expect(text).toContain(`[database]\nconnection = mysql+pymysql://nova@controller/nova?${credentials}\n`);
    expect(text).not.toContain("NOVA_DBPASS");
  });

  it("leaves out keys whose value is not set", () => {
    expect(renderConfigFile(novaConf, exampleCloud, controllerHost)).not.toContain("discover_hosts_in_cells_interval");
    const withInterval = renderConfigFile(novaConf, exampleCloud, { ...controllerHost, discoverHostsInterval: 300 });
    expect(withInterval).toContain("[scheduler]\ndiscover_hosts_in_cells_interval = 300\n");
  });

  it("merges the operator's overrides last", () => {
    const text = renderConfigFile(profileFor("debian-12", "zed").services.novaCompute.files["nova-conf"], exampleCloud, computeHost, {
      DEFAULT: { debug: true },
      libvirt: { cpu_mode: "none" },
    });
    expect(text).toMatch(/\[DEFAULT\]\n(.+\n)*debug = true\n/);
    expect(text).toMatch(/\[libvirt\]\nvirt_type = qemu\ncpu_mode = none\n/);
  });

  it("refuses overrides of keys the installer sets, naming them", () => {
    expect(() =>
      renderConfigFile(novaConf, exampleCloud, controllerHost, {
        database: { connection: "sqlite://" },
        DEFAULT: { transport_url: "x", debug: true },
      }),
    ).toThrow("/etc/nova/nova.conf: these keys are set by the installer and cannot be overridden: [database] connection, [DEFAULT] transport_url");
  });
});

describe("oslo.config value rules", () => {
  it("doubles $ in substituted values and keeps template references", () => {
    expect(escapeOsloInterpolation("a$b$$c")).toBe("a$$b$$$$c");
    const cloud = { ...exampleCloud, passwords: { ...exampleCloud.passwords, nova: "pa$word" } };
    const text = renderConfigFile(profileFor("debian-12", "zed").services.nova.files["nova-conf"], cloud, controllerHost);
    expect(text).toContain("password = pa$$word\n");
    expect(text).toContain("server_listen = $my_ip\n");
  });

  it.each([
    ["a line break", "a\nb", /line break/],
    ["surrounding white space", " padded", /white space/],
    ["surrounding quotes", '"quoted"', /surrounding quotes/],
  ])("refuses a value with %s", (_case, value, message) => {
    expect(() => renderOsloIni({ DEFAULT: { key: value } })).toThrow(message);
  });

  it("renders DEFAULT first and drops empty sections", () => {
    expect(renderOsloIni(mergeFragments({ vnc: { enabled: true } }, { DEFAULT: { debug: false }, empty: { gone: undefined } }))).toBe(
      "[DEFAULT]\ndebug = false\n\n[vnc]\nenabled = true\n",
    );
  });
});

describe("connection URLs", () => {
  const hostile = `' " $ @ : / % & = ! # ; \\ and spaces`;

  it("percent-encodes every reserved character of a password", () => {
    expect(percentEncode(hostile)).toMatch(/^[A-Za-z0-9%._~-]+$/);
    expect(decodeURIComponent(percentEncode(hostile))).toBe(hostile);
  });

  it("keeps database passwords out of URLs, in the credentials file PyMySQL reads", () => {
    expect(databaseUrl("nova", "controller", "nova_api", "/etc/nova/nova-database.cnf")).toBe(
      "mysql+pymysql://nova@controller/nova_api?read_default_file=/etc/nova/nova-database.cnf",
    );
    expect(renderDatabaseCredentials(serviceCatalog.nova.database, { ...exampleCloud.passwords, novaDatabase: hostile })).toContain(
      `\npassword = ${hostile}\n`,
    );
  });

  it("percent-encodes the RabbitMQ password in the transport URL", () => {
    expect(transportUrl("openstack", "p@ss:w/rd", "controller")).toBe("rabbit://openstack:p%40ss%3Aw%2Frd@controller:5672/");
  });
});
