/**
 * `nova-installer doctor`: the probe script (run here by this machine's own sh), its parsers on
 * captured outputs of each supported OS, and every rule that judges them.
 */
import { execFileSync } from "child_process";
import { describe, expect, it } from "vitest";
import { exitCodeOf, formatCheckTable, parseCheckTable } from "../../cli/checkTable";
import {
  controllerPorts,
  checkClock,
  checkDisk,
  checkHostname,
  checkMemory,
  checkOs,
  checkPorts,
  checkResolution,
  checkVirtualization,
  doctorProbeScript,
  hostChecks,
  HostProbe,
  parseControllerState,
  parseListeningPorts,
  parseKeyValues,
  parseProbeSections,
  parseResolution,
} from "../../cli/doctor";
import { serviceCatalog, serviceIds } from "../../catalog/services";
import { stackFor } from "../support/stacks";
import { parseVirtualizationReport } from "../../steps/virtualization";

/** The controller at 10.0.0.11 and compute1 at 10.0.0.31. */
const stack = stackFor();
const [controller, compute1] = stack.hosts;
const gib = 1024 * 1024;

const osReleases = {
  debian12:
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  debian13:
    'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nVERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nDEBIAN_VERSION_FULL=13.2\nID=debian\n',
  centos7:
    'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\nCPE_NAME="cpe:/o:centos:centos:7"\n',
  stream9:
    'NAME="CentOS Stream"\nVERSION="9"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="CentOS Stream 9"\n',
  ubuntu: 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n',
};

/** `ss -ltn` of a deployed Debian controller (iproute2 6.1: header, Process column). */
const ssDeployedController = `State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
LISTEN 0      80         10.0.0.11:3306       0.0.0.0:*
LISTEN 0      128          0.0.0.0:22         0.0.0.0:*
LISTEN 0      1024       10.0.0.11:11211      0.0.0.0:*
LISTEN 0      128        10.0.0.11:5000       0.0.0.0:*
LISTEN 0      100          0.0.0.0:6080       0.0.0.0:*
LISTEN 0      128          0.0.0.0:8774       0.0.0.0:*
LISTEN 0      128          0.0.0.0:8778       0.0.0.0:*
LISTEN 0      128          0.0.0.0:9292       0.0.0.0:*
LISTEN 0      128          0.0.0.0:9696       0.0.0.0:*
LISTEN 0      4096       127.0.0.53%lo:53     0.0.0.0:*
LISTEN 0      128                 *:5672             *:*
LISTEN 0      128              [::]:22            [::]:*
`;

/** `ss -ltn` of CentOS 7 (iproute 4.11: no -H, no Process column). */
const ssCentos7Fresh = `State      Recv-Q Send-Q Local Address:Port               Peer Address:Port
LISTEN     0      128          *:22                       *:*
LISTEN     0      100    127.0.0.1:25                       *:*
LISTEN     0      128       [::]:22                    [::]:*
`;

describe("probe", () => {
  it("runs under this machine's sh and yields every section the parsers read", () => {
    const output = execFileSync("/bin/sh", ["-c", doctorProbeScript(["localhost", "no-such-host.invalid"], "no-such-unit")], { encoding: "utf8" });
    const sections = parseProbeSections(output);
    expect(Object.keys(sections)).toEqual(["os-release", "hostname", "resolve", "virtualization", "memory", "disk", "listening", "nova-api"]);
    expect(parseKeyValues(sections["os-release"])["ID"]).toMatch(/^[a-z]+$/);
    expect(parseResolution(sections["resolve"])).toMatchObject({
      localhost: expect.stringMatching(/^(127\.|::1)/),
      "no-such-host.invalid": undefined,
    });
    expect(Number(sections["memory"])).toBeGreaterThan(0);
    expect(Number(sections["disk"])).toBeGreaterThan(0);
    expect(parseControllerState(sections["nova-api"])).toBe("not deployed");
    expect(parseVirtualizationReport(sections["virtualization"]).kvmReason).toMatch(/\/dev\/kvm is/);
  });

  it("quotes every host name and unit", () => {
    expect(doctorProbeScript(["a'b"], "x; rm -rf /")).toContain(`for name in 'a'\\''b'; do`);
    expect(doctorProbeScript(["a"], "x; rm -rf /")).toContain(`systemctl show -p LoadState -p ActiveState 'x; rm -rf /'`);
  });
});

describe("parsers", () => {
  it("reads os-release with and without quotes", () => {
    expect(parseKeyValues(osReleases.debian12)).toMatchObject({ ID: "debian", VERSION_ID: "12", VERSION_CODENAME: "bookworm" });
    expect(parseKeyValues(osReleases.centos7)).toMatchObject({ ID: "centos", VERSION_ID: "7" });
  });

  it("reads listening ports of IPv4, IPv6, wildcard and interface-scoped sockets, header or not", () => {
    expect([...parseListeningPorts(ssDeployedController)].sort((a, b) => a - b)).toEqual([
      22, 53, 3306, 5000, 5672, 6080, 8774, 8778, 9292, 9696, 11211,
    ]);
    expect([...parseListeningPorts(ssCentos7Fresh)].sort((a, b) => a - b)).toEqual([22, 25]);
    expect(parseListeningPorts("LISTEN 0 128 10.0.0.11:3306 0.0.0.0:*\n").has(3306)).toBe(true);
  });

  it("tells a fresh controller from an installed or running one", () => {
    expect(parseControllerState("LoadState=not-found\nActiveState=inactive\n")).toBe("not deployed");
    expect(parseControllerState("")).toBe("not deployed");
    expect(parseControllerState("LoadState=loaded\nActiveState=failed\n")).toBe("installed, not running");
    expect(parseControllerState("LoadState=loaded\nActiveState=active\n")).toBe("running");
  });
});

describe("rules", () => {
  it("matches os-release against the profile's operating system", () => {
    expect(checkOs("debian-12", parseKeyValues(osReleases.debian12)).result).toBe("OK");
    expect(checkOs("centos-7", parseKeyValues(osReleases.centos7)).result).toBe("OK");
    expect(checkOs("centos-stream-9", parseKeyValues(osReleases.stream9)).result).toBe("OK");
    expect(checkOs("centos-7", parseKeyValues(osReleases.stream9))).toEqual({
      check: "os",
      result: "FAIL",
      detail: "ID=centos VERSION_ID=9 (CentOS Stream 9); the stack's operatingSystem centos-7 needs ID=centos VERSION_ID=7",
    });
    expect(checkOs("debian-12", parseKeyValues(osReleases.ubuntu)).result).toBe("FAIL");
    expect(checkOs("debian-13", parseKeyValues(osReleases.debian13))).toEqual({
      check: "os",
      result: "OK",
      detail: "ID=debian VERSION_ID=13 (Debian GNU/Linux 13 (trixie))",
    });
    expect(checkOs("debian-13", parseKeyValues(osReleases.debian12))).toEqual({
      check: "os",
      result: "FAIL",
      detail: "ID=debian VERSION_ID=12 (Debian GNU/Linux 12 (bookworm)); the stack's operatingSystem debian-13 needs ID=debian VERSION_ID=13",
    });
  });

  it("wants the host to call itself by its stack name", () => {
    expect(checkHostname(compute1, "compute1\n").result).toBe("OK");
    expect(checkHostname(compute1, "compute-01\n")).toMatchObject({ result: "FAIL", detail: expect.stringContaining('"compute-01"') });
  });

  it("fails a name that does not resolve, warns about one resolving elsewhere", () => {
    expect(checkResolution(stack.hosts, { controller: "10.0.0.11", compute1: "10.0.0.31" }).result).toBe("OK");
    expect(checkResolution(stack.hosts, { controller: "127.0.1.1", compute1: "10.0.0.31" })).toEqual({
      check: "resolve",
      result: "WARN",
      detail: "controller -> 127.0.1.1 (stack: 10.0.0.11)",
    });
    expect(checkResolution(stack.hosts, { controller: "10.0.0.11", compute1: undefined })).toMatchObject({
      result: "FAIL",
      detail: expect.stringMatching(/^does not resolve compute1/),
    });
  });

  it("allows clocks within 5 s, allowing for the round trip", () => {
    expect(checkClock(0.3, 0.01).result).toBe("OK");
    expect(checkClock(-5.5, 0.6).result).toBe("OK");
    expect(checkClock(-7.25, 0.05)).toMatchObject({ result: "FAIL", detail: expect.stringMatching(/^7\.25 s behind this machine/) });
    expect(checkClock(6, 0.1).detail).toMatch(/^6\.00 s ahead of/);
  });

  it("needs 2 GiB of memory and 5 GiB of disk on the controller, 1 and 2 on a compute", () => {
    expect(checkMemory("controller", 2 * gib).result).toBe("OK");
    expect(checkMemory("controller", 1.9 * gib).result).toBe("FAIL");
    expect(checkMemory("compute", 1 * gib).result).toBe("OK");
    expect(checkMemory("compute", NaN).result).toBe("FAIL");
    expect(checkDisk("controller", 4 * gib)).toEqual({ check: "disk", result: "FAIL", detail: "4.0 GiB free on /; controller needs 5 GiB" });
    expect(checkDisk("compute", 3 * gib).result).toBe("OK");
  });

  it("reports virtualization: both facts (CPU flags, /dev/kvm) and the virt_type that follows; refuses what the facts step refuses", () => {
    const kvm = {
      virtualizationFlags: 0,
      kvmDevice: true,
      kvmModule: "kvm_intel",
      kvmUsable: true,
      kvmReason: "/dev/kvm is present (kvm_intel)",
      tunDevice: true,
    };
    const pvm = {
      ...kvm,
      virtualizationFlags: 8,
      kvmModule: "kvm_pvm",
      kvmUsable: false,
      kvmReason: "/dev/kvm is served by kvm_pvm, which boots only guest kernels built for PVM",
    };
    const noTun = { ...kvm, tunDevice: false };
    const libvirt = "libvirt.LibvirtDriver" as const;
    expect(checkVirtualization({ computeDriver: "fake.FakeDriver", virtType: undefined }, pvm)).toEqual({
      check: "virtualization",
      result: "OK",
      detail:
        "fake.FakeDriver runs no guests (the host would give qemu): 8 CPU threads with vmx/svm; /dev/kvm is served by kvm_pvm, which boots only guest kernels built for PVM; /dev/net/tun present",
    });
    expect(checkVirtualization({ computeDriver: libvirt, virtType: undefined }, kvm)).toEqual({
      check: "virtualization",
      result: "OK",
      detail: "kvm (what the host can run): 0 CPU threads with vmx/svm; /dev/kvm is present (kvm_intel); /dev/net/tun present",
    });
    expect(checkVirtualization({ computeDriver: libvirt, virtType: undefined }, pvm)).toMatchObject({
      result: "WARN",
      detail: expect.stringMatching(/^qemu \(what the host can run; software emulation, slow\): 8 CPU/),
    });
    expect(checkVirtualization({ computeDriver: libvirt, virtType: "qemu" }, pvm)).toMatchObject({
      result: "OK",
      detail: expect.stringMatching(/^qemu \(nova-installer:virtType; software emulation\)/),
    });
    expect(checkVirtualization({ computeDriver: libvirt, virtType: "kvm" }, pvm)).toMatchObject({
      result: "FAIL",
      detail: expect.stringMatching(/^kvm \(nova-installer:virtType\) but this host cannot run KVM guests: .*kvm_pvm/),
    });
    expect(checkVirtualization({ computeDriver: libvirt, virtType: "qemu" }, noTun)).toMatchObject({
      result: "FAIL",
      detail: expect.stringMatching(/needs \/dev\/net\/tun \(nova-installer:computeDriver\)/),
    });
  });

  it("wants the controller's ports free before deployment and listening after", () => {
    const all = parseListeningPorts(ssDeployedController);
    expect(checkPorts("running", all, true).result).toBe("OK");
    expect(checkPorts("not deployed", parseListeningPorts(ssCentos7Fresh), true)).toMatchObject({
      result: "OK",
      detail: expect.stringMatching(/^not deployed; listening: none; free: 3306 /),
    });
    expect(checkPorts("not deployed", new Set([22, 8774]), true)).toEqual({
      check: "ports",
      result: "FAIL",
      detail: "not deployed: 8774 (nova-api) already in use by another program",
    });
    expect(checkPorts("running", new Set([3306, 5672, 11211, 5000, 9292, 9696, 8774, 8778]), true)).toEqual({
      check: "ports",
      result: "FAIL",
      detail: "running: 6080 (noVNC proxy) not listening",
    });
    expect(checkPorts("running", new Set([3306, 5672, 11211, 5000, 9292, 8774, 8778, 6080]), true)).toEqual({
      check: "ports",
      result: "FAIL",
      detail: "running: 9696 (Networking API) not listening",
    });
    expect(checkPorts("installed, not running", new Set([3306, 5672, 11211, 5000, 9292]), true).result).toBe("WARN");
  });

  it("without prerequisites, wants the operator's services listening on the controller already", () => {
    const operators = new Set([3306, 5672, 11211, 5000, 9292]);
    expect(checkPorts("not deployed", operators, false).result).toBe("OK");
    expect(checkPorts("not deployed", new Set([3306, 5672, 11211, 5000]), false)).toMatchObject({
      result: "FAIL",
      detail: expect.stringContaining("9292 (Glance) not listening: prerequisites is off"),
    });
    // Nova finds the Networking API through Keystone's catalog: the operator's may run elsewhere.
    expect(checkPorts("not deployed", operators, false).detail).not.toContain("9696 (Networking API) not listening");
  });

  it("checks every port of the catalog's controller services", () => {
    const catalogPorts = serviceIds
      .filter((id) => serviceCatalog[id].role === "controller")
      .flatMap((id) => serviceCatalog[id].ports.map((entry) => entry.port));
    expect(controllerPorts.map((entry) => entry.port)).toEqual(catalogPorts);
    expect(catalogPorts).toEqual([3306, 5672, 11211, 5000, 9292, 9696, 8778, 8774, 6080]);
  });
});

describe("hostChecks", () => {
  /** A Debian 12 host of the stack that calls itself `hostname` and resolves every host's name; then its own sections. */
  const probe = (hostname: string, sections: Record<string, string>): HostProbe => ({
    reachable: true,
    sections: { "os-release": osReleases.debian12, hostname: `${hostname}\n`, resolve: "controller 10.0.0.11\ncompute1 10.0.0.31\n", ...sections },
    clockOffsetSeconds: 0.2,
    clockUncertaintySeconds: 0.01,
  });

  it("judges a deployed controller and a compute, one row per check", () => {
    const rows = [
      ...hostChecks(
        stack,
        controller,
        probe("controller", {
          memory: `${8 * gib}\n`,
          disk: `${40 * gib}\n`,
          listening: ssDeployedController,
          "nova-api": "LoadState=loaded\nActiveState=active\n",
          virtualization: "cpu_flags=0\nkvm_device=false\nkvm_usable=false\ntun_device=true\n",
        }),
      ),
      ...hostChecks(
        stack,
        compute1,
        probe("compute1", {
          memory: `${4 * gib}\n`,
          disk: `${1 * gib}\n`,
          virtualization: "cpu_flags=4\nkvm_device=true\nkvm_module=kvm_intel\nkvm_usable=true\ntun_device=true\n",
        }),
      ),
    ];
    expect(rows.map((row) => `${row.host} ${row.check} ${row.result}`)).toEqual([
      "controller ssh OK",
      "controller os OK",
      "controller hostname OK",
      "controller resolve OK",
      "controller clock OK",
      "controller memory OK",
      "controller disk OK",
      "controller ports OK",
      "compute1 ssh OK",
      "compute1 os OK",
      "compute1 hostname OK",
      "compute1 resolve OK",
      "compute1 clock OK",
      "compute1 memory OK",
      "compute1 disk FAIL",
      "compute1 virtualization OK",
    ]);
    expect(rows[0].detail).toMatch(/^root@10\.0\.0\.11:22, host key SHA256:\S+ as pinned$/);
    expect(exitCodeOf(rows)).toBe(3);
  });

  it("reports an unreachable host in one row", () => {
    const rows = hostChecks(stack, compute1, { reachable: false, error: "host key of compute1 (10.0.0.31:22) does not match the pinned key" });
    expect(rows).toEqual([
      { host: "compute1", check: "ssh", result: "FAIL", detail: "host key of compute1 (10.0.0.31:22) does not match the pinned key" },
    ]);
  });
});

describe("check table", () => {
  it("prints aligned columns and a summary; exit code 0 with warnings only", () => {
    const rows = [
      { host: "controller", check: "ssh", result: "OK" as const, detail: "fine" },
      { host: "compute1", check: "virtualization", result: "WARN" as const, detail: "qemu" },
    ];
    expect(formatCheckTable(rows)).toBe(
      "HOST        CHECK           RESULT  DETAIL\n" +
        "controller  ssh             OK      fine\n" +
        "compute1    virtualization  WARN    qemu\n" +
        "1 OK, 1 WARN, 0 FAIL\n",
    );
    expect(exitCodeOf(rows)).toBe(0);
    expect(parseCheckTable(formatCheckTable(rows))).toEqual(rows);
  });

  it("refuses to read anything else as a table", () => {
    expect(() => parseCheckTable("nova-installer: pulumi config failed\n")).toThrow(/not a check table/);
  });
});
