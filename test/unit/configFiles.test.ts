import { describe, expect, it } from "vitest";
import { escapeOsloInterpolation, mergeFragments, renderOsloIni } from "../../lib/osloIni";
import { profileFor, supportedProfiles } from "../../profiles/profiles";
import { CloudSettings, renderNovaConf, renderPlacementConf } from "../../render/novaConf";
import { databaseUrl, percentEncode, transportUrl } from "../../render/urls";
import { expectGolden } from "../support/golden";

/** Example values the golden files are rendered with (the install guide's placeholders). */
const exampleCloud: CloudSettings = {
  controllerHost: "controller",
  region: "RegionOne",
  passwords: {
    rabbit: "RABBIT_PASS",
    novaDatabase: "NOVA_DBPASS",
    nova: "NOVA_PASS",
    placementDatabase: "PLACEMENT_DBPASS",
    placement: "PLACEMENT_PASS",
    neutron: "NEUTRON_PASS",
  },
};

describe.each(supportedProfiles)("configuration files of %s", (key) => {
  const [operatingSystem, release] = key.split("/");
  const profile = profileFor(operatingSystem, release);

  it("controller nova.conf matches the reviewed golden file", () => {
    expectGolden(`${operatingSystem}/${release}/controller/nova.conf`, renderNovaConf(profile, exampleCloud, { role: "controller", myIp: "10.0.0.11" }));
  });

  it("compute nova.conf matches the reviewed golden file", () => {
    expectGolden(
      `${operatingSystem}/${release}/compute/nova.conf`,
      renderNovaConf(profile, exampleCloud, { role: "compute", myIp: "10.0.0.31", virtType: "qemu" }),
    );
  });

  it("placement.conf matches the reviewed golden file, where the release has one", () => {
    const placement = renderPlacementConf(profile, exampleCloud, "10.0.0.11");
    expect(placement === undefined).toBe(profile.placementHosting === "nova-placement-in-httpd");
    if (placement !== undefined) {
      expectGolden(`${operatingSystem}/${release}/controller/placement.conf`, placement);
    }
  });
});

describe("nova.conf content rules", () => {
  const profile = profileFor("debian-12", "zed");

  it("points api_database at nova_api and database at nova", () => {
    const text = renderNovaConf(profile, exampleCloud, { role: "controller", myIp: "10.0.0.11" });
    expect(text).toMatch(/\[api_database\]\nconnection = mysql\+pymysql:\/\/nova:NOVA_DBPASS@controller\/nova_api\n/);
    expect(text).toMatch(/\[database\]\nconnection = mysql\+pymysql:\/\/nova:NOVA_DBPASS@controller\/nova\n/);
  });

  it("leaves out keys whose value is not set", () => {
    const text = renderNovaConf(profile, exampleCloud, { role: "controller", myIp: "10.0.0.11" });
    expect(text).not.toContain("discover_hosts_in_cells_interval");
    const withInterval = renderNovaConf(profile, exampleCloud, { role: "controller", myIp: "10.0.0.11", discoverHostsInterval: 300 });
    expect(withInterval).toContain("[scheduler]\ndiscover_hosts_in_cells_interval = 300\n");
  });

  it("merges the operator's overrides last", () => {
    const text = renderNovaConf(profile, exampleCloud, {
      role: "compute",
      myIp: "10.0.0.31",
      virtType: "qemu",
      overrides: { DEFAULT: { debug: true }, libvirt: { cpu_mode: "none" } },
    });
    expect(text).toMatch(/\[DEFAULT\]\n(.+\n)*debug = true\n/);
    expect(text).toMatch(/\[libvirt\]\nvirt_type = qemu\ncpu_mode = none\n/);
  });

  it("refuses overrides of keys the installer sets, naming them", () => {
    expect(() =>
      renderNovaConf(profile, exampleCloud, {
        role: "controller",
        myIp: "10.0.0.11",
        overrides: { database: { connection: "sqlite://" }, DEFAULT: { transport_url: "x", debug: true } },
      }),
    ).toThrow("nova.conf: these keys are set by the installer and cannot be overridden: [database] connection, [DEFAULT] transport_url");
  });
});

describe("oslo.config value rules", () => {
  it("doubles $ in substituted values and keeps template references", () => {
    expect(escapeOsloInterpolation("a$b$$c")).toBe("a$$b$$$$c");
    const text = renderNovaConf(profileFor("debian-12", "zed"), { ...exampleCloud, passwords: { ...exampleCloud.passwords, nova: "pa$word" } }, { role: "controller", myIp: "10.0.0.11" });
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

  it("builds the database and transport URLs of the guide", () => {
    expect(databaseUrl("nova", "NOVA_DBPASS", "controller", "nova_api")).toBe("mysql+pymysql://nova:NOVA_DBPASS@controller/nova_api");
    expect(transportUrl("openstack", "p@ss:w/rd", "controller")).toBe("rabbit://openstack:p%40ss%3Aw%2Frd@controller:5672/");
  });
});
