/**
 * `nova-installer verify`: each command's parser and rule, fed outputs captured from the lab's
 * Debian 12 / Zed controller (and older clients' formats where they differ).
 */
import { describe, expect, it } from "vitest";
import {
  adminClient,
  asRoot,
  checkCatalog,
  checkCells,
  checkComputeServices,
  checkHypervisors,
  checkImages,
  checkUpgradeStatus,
  judgeRun,
  parseBoxTable,
  parseOpenstackJson,
  parseUpgradeCheck,
  verifications,
  checkUnits,
  unitStatesCommand,
} from "../../cli/verify";
import { spawnSync } from "child_process";
import { hostPlan, managedUnits } from "../../plan/hostPlan";
import { stackFor, testHosts } from "../support/stacks";

/** The controller, compute1 and compute2. */
const twoComputes = { hosts: testHosts(2) };
const stack = stackFor("debian-12", "zed", true, twoComputes);

const computeServices = `[
  {
    "ID": "2b9dc2a6-5a5c-4c1c-9a3e-1a0e4a0b9a11",
    "Binary": "nova-scheduler",
    "Host": "controller",
    "Zone": "internal",
    "Status": "enabled",
    "State": "up",
    "Updated At": "2026-11-21T11:20:31.000000"
  },
  {
    "ID": "6f0c8a8e-0a51-4d0e-8a59-6a2c3f1f6b22",
    "Binary": "nova-conductor",
    "Host": "controller",
    "Zone": "internal",
    "Status": "enabled",
    "State": "up",
    "Updated At": "2026-11-21T11:20:33.000000"
  },
  {
    "ID": "a3c1d7f4-4a55-4f4e-9b38-0c9b1d9c7c33",
    "Binary": "nova-compute",
    "Host": "compute1",
    "Zone": "nova",
    "Status": "enabled",
    "State": "up",
    "Updated At": "2026-11-21T11:20:30.000000"
  },
  {
    "ID": "c8e2f0b5-6b66-4e5f-8c49-1dac2ead8d44",
    "Binary": "nova-compute",
    "Host": "compute2",
    "Zone": "nova",
    "Status": "enabled",
    "State": "up",
    "Updated At": "2026-11-21T11:20:32.000000"
  }
]
`;

const catalog = `[
  {"Name": "keystone", "Type": "identity", "Endpoints": [{"id": "1", "interface": "public", "region_id": "RegionOne", "url": "http://controller:5000/v3/", "region": "RegionOne"}]},
  {"Name": "glance", "Type": "image", "Endpoints": [{"id": "2", "interface": "public", "region_id": "RegionOne", "url": "http://controller:9292", "region": "RegionOne"}]},
  {"Name": "neutron", "Type": "network", "Endpoints": [{"id": "3", "interface": "public", "region_id": "RegionOne", "url": "http://controller:9696", "region": "RegionOne"}]},
  {"Name": "nova", "Type": "compute", "Endpoints": [{"id": "4", "interface": "public", "region_id": "RegionOne", "url": "http://controller:8774/v2.1", "region": "RegionOne"}]},
  {"Name": "placement", "Type": "placement", "Endpoints": [{"id": "5", "interface": "public", "region_id": "RegionOne", "url": "http://controller:8778", "region": "RegionOne"}]}
]`;

/** The Queens client prints Endpoints as text. */
const queensCatalog = `[
  {"Name": "keystone", "Type": "identity", "Endpoints": "RegionOne\\n  public: http://controller:5000/v3/\\n"},
  {"Name": "nova", "Type": "compute", "Endpoints": "RegionOne\\n  public: http://controller:8774/v2.1\\n"},
  {"Name": "placement", "Type": "placement", "Endpoints": "RegionOne\\n  public: http://controller:8778\\n"}
]`;

const images = `[
  {"ID": "5f1a2c3d-1111-4e4e-8a8a-000000000001", "Name": "tiny", "Status": "active"}
]`;

const hypervisors = `[
  {"ID": "5b0f5a0e-2b43-4c3e-8f0e-0c6f1b6a7d55", "Hypervisor Hostname": "compute1", "Hypervisor Type": "fake", "Host IP": "10.0.0.31", "State": "up"},
  {"ID": "8e9d2c1b-7a65-4b3c-9d2e-1f0a9b8c7d66", "Hypervisor Hostname": "compute2", "Hypervisor Type": "fake", "Host IP": "10.0.0.32", "State": "up"}
]`;

const cells = `+-------+--------------------------------------+------------------------------------------+------------------------------------------------------------------------------------------+----------+
|  Name |                 UUID                 |              Transport URL               |                                   Database Connection                                    | Disabled |
+-------+--------------------------------------+------------------------------------------+------------------------------------------------------------------------------------------+----------+
| cell0 | 00000000-0000-0000-0000-000000000000 |                  none:/                  | mysql+pymysql://nova@controller/nova_cell0?read_default_file=/etc/nova/nova-database.cnf |  False   |
| cell1 | c86da24e-2363-457c-af93-47b3793daba7 | rabbit://openstack:****@controller:5672/ |    mysql+pymysql://nova@controller/nova?read_default_file=/etc/nova/nova-database.cnf    |  False   |
+-------+--------------------------------------+------------------------------------------+------------------------------------------------------------------------------------------+----------+
`;

/** Queens' list_cells has no Disabled column. */
const queensCells = `+-------+--------------------------------------+------------------------------------------+-------------------------------------------------+
|  Name |                 UUID                 |              Transport URL               |               Database Connection               |
+-------+--------------------------------------+------------------------------------------+-------------------------------------------------+
| cell0 | 00000000-0000-0000-0000-000000000000 |                  none:/                  | mysql+pymysql://nova:****@controller/nova_cell0 |
| cell1 | 2c4b2d7e-0000-4000-8000-000000000001 | rabbit://openstack:****@controller:5672/ |    mysql+pymysql://nova:****@controller/nova    |
+-------+--------------------------------------+------------------------------------------+-------------------------------------------------+
`;

const novaStatus = `+-------------------------------------------+
| Upgrade Check Results                     |
+-------------------------------------------+
| Check: Cells v2                           |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: Placement API                      |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: Cinder API                         |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: Policy File JSON to YAML Migration |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: Older than N-1 computes            |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: hw_machine_type unset              |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
| Check: Service User Token Configuration   |
| Result: Success                           |
| Details: None                             |
+-------------------------------------------+
`;

const novaStatusWarning = `+---------------------------------------------------------------------+
| Upgrade Check Results                                               |
+---------------------------------------------------------------------+
| Check: Cells v2                                                     |
| Result: Success                                                     |
| Details: None                                                       |
+---------------------------------------------------------------------+
| Check: Placement API                                                |
| Result: Warning                                                     |
| Details: There are no compute resource providers in the Placement   |
|   service nor are there compute nodes in the database.              |
+---------------------------------------------------------------------+
`;

/** Captured from a lab controller where nova-status found the Placement credentials not working. */
const novaStatusFailure = `+--------------------------------------------------------------------+
| Upgrade Check Results                                              |
+--------------------------------------------------------------------+
| Check: Cells v2                                                    |
| Result: Success                                                    |
| Details: No host mappings or compute nodes were found. Remember to |
|   run command 'nova-manage cell_v2 discover_hosts' when new        |
|   compute hosts are deployed.                                      |
+--------------------------------------------------------------------+
| Check: Placement API                                               |
| Result: Failure                                                    |
| Details: Placement service credentials do not work.                |
+--------------------------------------------------------------------+
| Check: Cinder API                                                  |
| Result: Success                                                    |
| Details: None                                                      |
+--------------------------------------------------------------------+
| Check: Policy File JSON to YAML Migration                          |
| Result: Success                                                    |
| Details: None                                                      |
+--------------------------------------------------------------------+
| Check: Older than N-1 computes                                     |
| Result: Success                                                    |
| Details: None                                                      |
+--------------------------------------------------------------------+
| Check: hw_machine_type unset                                       |
| Result: Success                                                    |
| Details: None                                                      |
+--------------------------------------------------------------------+
| Check: Service User Token Configuration                            |
| Result: Success                                                    |
| Details: None                                                      |
+--------------------------------------------------------------------+
`;

const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });

describe("parsers", () => {
  it("reads the openstack client's JSON listings and refuses anything else", () => {
    expect(parseOpenstackJson(computeServices)).toHaveLength(4);
    expect(() => parseOpenstackJson("Missing value auth-url required for auth plugin password")).toThrow(/not the JSON listing/);
    expect(() => parseOpenstackJson('{"a": 1}')).toThrow(/expected a JSON list/);
  });

  it("reads box tables with and without the Disabled column", () => {
    expect(parseBoxTable(cells).map((row) => [row.Name, row.Disabled])).toEqual([
      ["cell0", "False"],
      ["cell1", "False"],
    ]);
    expect(parseBoxTable(queensCells).map((row) => row.Name)).toEqual(["cell0", "cell1"]);
    expect(parseBoxTable("")).toEqual([]);
  });

  it("reads every check and result of an upgrade check", () => {
    expect(parseUpgradeCheck(novaStatus)).toHaveLength(7);
    expect(parseUpgradeCheck(novaStatusWarning)).toEqual([
      { check: "Cells v2", result: "Success" },
      { check: "Placement API", result: "Warning" },
    ]);
  });
});

describe("rules", () => {
  it("passes a healthy deployment's compute services and names each compute's", () => {
    expect(checkComputeServices(parseOpenstackJson(computeServices), stack)).toEqual([
      { host: "controller", check: "compute services", result: "OK", detail: "4 services, 4 up: nova-scheduler, nova-conductor" },
      { host: "compute1", check: "nova-compute", result: "OK", detail: "up, enabled" },
      { host: "compute2", check: "nova-compute", result: "OK", detail: "up, enabled" },
    ]);
  });

  it("fails a service that is down or missing, warns about a stranger or a disabled service", () => {
    const rows = parseOpenstackJson(computeServices);
    const down = rows.map((row) => (row.Host === "compute2" ? { ...row, State: "down" } : row));
    expect(checkComputeServices(down, stack).map((row) => row.result)).toEqual(["FAIL", "OK", "FAIL"]);
    const noScheduler = rows.filter((row) => row.Binary !== "nova-scheduler");
    expect(checkComputeServices(noScheduler, stack)[0]).toMatchObject({
      result: "FAIL",
      detail: expect.stringContaining("no nova-scheduler on controller"),
    });
    const stranger = [...rows, { ...rows[2], Host: "compute9" }];
    expect(checkComputeServices(stranger, stack)[0]).toMatchObject({ result: "WARN", detail: expect.stringContaining("not in the stack: compute9") });
    expect(checkComputeServices([], stack).map((row) => row.result)).toEqual(["FAIL", "FAIL", "FAIL"]);
    const withoutCompute2 = rows.filter((row) => row.Host !== "compute2");
    expect(checkComputeServices(withoutCompute2, stack)[2]).toEqual({
      host: "compute2",
      check: "nova-compute",
      result: "FAIL",
      detail: "not registered",
    });
  });

  it("wants identity, compute and placement in the catalog; image and network with prerequisites", () => {
    expect(checkCatalog(parseOpenstackJson(catalog), "controller", true)).toEqual({
      host: "controller",
      check: "catalog",
      result: "OK",
      detail: "identity, image, network, compute, placement",
    });
    expect(checkCatalog(parseOpenstackJson(queensCatalog), "controller", true)).toMatchObject({
      result: "FAIL",
      detail: expect.stringMatching(/^missing image, network/),
    });
    expect(checkCatalog(parseOpenstackJson(queensCatalog), "controller", false)).toMatchObject({
      result: "WARN",
      detail: expect.stringMatching(/^no image, network service/),
    });
  });

  it("wants active images", () => {
    expect(checkImages(parseOpenstackJson(images), "controller")).toMatchObject({ result: "OK", detail: "tiny" });
    expect(checkImages([], "controller").result).toBe("FAIL");
    expect(checkImages([{ Name: "tiny", Status: "queued" }], "controller")).toMatchObject({ result: "FAIL", detail: "not active: tiny (queued)" });
  });

  it("wants cell0 and cell1 mapped and enabled", () => {
    expect(checkCells(parseBoxTable(cells), "controller")).toMatchObject({ result: "OK", detail: "cell0, cell1" });
    expect(checkCells(parseBoxTable(queensCells), "controller").result).toBe("OK");
    expect(checkCells(parseBoxTable(cells).slice(0, 1), "controller")).toMatchObject({ result: "FAIL", detail: "missing cell1; mapped: cell0" });
    expect(checkCells([{ Name: "cell0" }, { Name: "cell1", Disabled: "True" }], "controller")).toMatchObject({
      result: "FAIL",
      detail: "disabled cell1; mapped: cell0, cell1",
    });
  });

  it("wants a hypervisor up for every compute of the stack, short or fully qualified", () => {
    expect(checkHypervisors(parseOpenstackJson(hypervisors), stack.computes)).toEqual([
      { host: "compute1", check: "hypervisor", result: "OK", detail: "up, fake" },
      { host: "compute2", check: "hypervisor", result: "OK", detail: "up, fake" },
    ]);
    const rows = [
      { "Hypervisor Hostname": "compute1.example.org", State: "up" },
      { "Hypervisor Hostname": "compute2", State: "down" },
    ];
    expect(checkHypervisors(rows, stack.computes).map((row) => row.result)).toEqual(["OK", "FAIL"]);
    expect(checkHypervisors([], stack.computes)[0]).toMatchObject({ result: "FAIL", detail: expect.stringMatching(/^not listed/) });
  });

  it("reads an upgrade check's exit code: 0 OK, 1 a warning, else a failure", () => {
    expect(checkUpgradeStatus("nova-status", ok(novaStatus), "controller")).toEqual({
      host: "controller",
      check: "nova-status",
      result: "OK",
      detail: "7 checks passed",
    });
    expect(checkUpgradeStatus("nova-status", { stdout: novaStatusWarning, stderr: "", exitCode: 1 }, "controller")).toEqual({
      host: "controller",
      check: "nova-status",
      result: "WARN",
      detail: "exit 1 (warning): Placement API: Warning",
    });
    expect(checkUpgradeStatus("nova-status", { stdout: novaStatusFailure, stderr: "", exitCode: 2 }, "controller")).toEqual({
      host: "controller",
      check: "nova-status",
      result: "FAIL",
      detail: "exit 2: Placement API: Failure",
    });
    expect(
      checkUpgradeStatus(
        "placement-status",
        { stdout: "", stderr: "Traceback...\nsqlalchemy.exc.OperationalError: (1045) Access denied\n", exitCode: 255 },
        "controller",
      ),
    ).toMatchObject({
      result: "FAIL",
      detail: "exit 255: sqlalchemy.exc.OperationalError: (1045) Access denied",
    });
  });
});

describe("managed units", () => {
  it("are each service's units, and libvirtd on a compute with the libvirt driver", () => {
    const config = stackFor("debian-13", "epoxy", true);
    expect(managedUnits(config, hostPlan(config, "compute1"))).toEqual(["libvirtd", "nova-compute"]);
    expect(managedUnits(config, hostPlan(config, "controller"))).toContain("nova-scheduler");
    const fake = stackFor("debian-13", "epoxy", true, { computeDriver: "fake.FakeDriver" });
    expect(managedUnits(fake, hostPlan(fake, "compute1"))).toEqual(["nova-compute"]);
  });

  it("pass when active and enabled, and fail naming each one that is not", () => {
    expect(checkUnits("controller", ["nova-api", "nova-scheduler"], "nova-api active enabled\nnova-scheduler active enabled\n").result).toBe("OK");
    expect(
      checkUnits("controller", ["nova-api", "nova-scheduler", "nova-conductor"], "nova-api active enabled\nnova-scheduler inactive disabled\n"),
    ).toEqual({
      host: "controller",
      check: "units",
      result: "FAIL",
      detail: "nova-scheduler: inactive, disabled; nova-conductor: not reported (pulumi up --refresh starts and enables them)",
    });
  });

  it("are read with one command that prints each unit's states", () => {
    const systemctl = 'systemctl() { if [ "$1" = is-active ]; then [ "$2" = b ] && echo failed || echo active; else echo enabled; fi; }';
    const result = spawnSync("/bin/bash", ["-c", `${systemctl}\n${unitStatesCommand(["a", "b"])}`], { encoding: "utf8" });
    expect(result.stdout).toBe("a active enabled\nb failed enabled\n");
    expect(checkUnits("h", ["a", "b"], result.stdout).detail).toMatch(/^b: failed/);
  });
});

describe("verifications", () => {
  it("runs the guide's commands, image list only with prerequisites, placement-status only where Placement is its own service", () => {
    expect(verifications(stack).map((entry) => entry.command)).toEqual([
      ". /root/admin-openrc && openstack compute service list -f json",
      ". /root/admin-openrc && openstack catalog list -f json",
      ". /root/admin-openrc && openstack image list -f json",
      "nova-manage cell_v2 list_cells",
      ". /root/admin-openrc && openstack hypervisor list -f json",
      "nova-status upgrade check",
      "placement-status upgrade check",
    ]);
    expect(verifications(stackFor("centos-7", "queens", false, twoComputes)).map((entry) => entry.command)).not.toContain(
      "placement-status upgrade check",
    );
    expect(verifications(stackFor("debian-12", "zed", false, twoComputes)).map((entry) => entry.command)).not.toContain(adminClient("image list"));
  });

  it("fails every check of a command that cannot run, with its error", () => {
    const [services] = verifications(stack);
    expect(
      judgeRun(services, {
        stdout: "",
        stderr: "Failed to discover available identity versions when contacting http://controller:5000/v3.\n",
        exitCode: 1,
      }),
    ).toEqual([
      {
        host: "controller",
        check: "compute services",
        result: "FAIL",
        detail:
          "openstack compute service list -f json: exit 1: Failed to discover available identity versions when contacting http://controller:5000/v3.",
      },
      {
        host: "compute1",
        check: "nova-compute",
        result: "FAIL",
        detail:
          "openstack compute service list -f json: exit 1: Failed to discover available identity versions when contacting http://controller:5000/v3.",
      },
      {
        host: "compute2",
        check: "nova-compute",
        result: "FAIL",
        detail:
          "openstack compute service list -f json: exit 1: Failed to discover available identity versions when contacting http://controller:5000/v3.",
      },
    ]);
    expect(judgeRun(services, ok("not json"))[0]).toMatchObject({ result: "FAIL", detail: expect.stringMatching(/^not the JSON listing/) });
  });

  it("runs as root, through sudo for another user", () => {
    expect(asRoot("nova-status upgrade check", "root")).toBe("nova-status upgrade check");
    expect(asRoot(". /root/admin-openrc && openstack x", "ops")).toBe("sudo -n sh -c '. /root/admin-openrc && openstack x'");
  });
});
