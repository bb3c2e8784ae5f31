/**
 * The older platform, Debian 12 with OpenStack Zed, kept deployable by a short story on its
 * packages-installed layers: a debian-13/epoxy stack refused by these Debian 12 hosts at their
 * facts steps, then deploy 1 controller + 2 computes, the install guide's checks, a real guest
 * ACTIVE with its console marker, a no-change second `pulumi up`. The full story (bare
 * hosts, interruptions, life cycle, rebuilds) runs on the lab's default profile (deploy.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPulumi } from "../../cli/pulumiCli";
import { parseCheckTable } from "../../cli/checkTable";
import { ensureGuestImage, guestImageCacheDir } from "../../guest";
import { LabSpec } from "../../lab/config";
import { labProfileFor } from "../../lab/image-recipe";
import { LabContext, labContext, labDown, labUp } from "../../lab/lab";
import { writeLabStack } from "../../lab/stack";
import { closeAllConnections } from "../../remote/ssh";
import { LabCloud } from "../support/labCloud";

const spec: LabSpec = { name: "zed", bridge: "nova-zed0", subnet: "10.248.0.0/24" };
const stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), "nova-zed-"));
const profile = labProfileFor("debian-12/zed");
const context: LabContext = labContext({
  spec,
  stateDir: path.join(stateRoot, "lab"),
  write: (line) => console.log(line),
  hostStart: "installed",
  profile,
});
const cloud = new LabCloud(`zed-${process.pid}`, "[zed]");
let guestImageDir: string;

describe("debian-12/zed on packages-installed lab hosts (1 controller + 2 computes)", () => {
  beforeAll(async () => {
    process.env.NOVA_INSTALLER_STATE = stateRoot;
    cloud.inventory = await labUp(context, 2);
    guestImageDir = (await ensureGuestImage(guestImageCacheDir(process.env), context.write)).dir;
  });

  afterAll(async () => {
    await closeAllConnections();
    await runPulumi(["stack", "rm", "--yes", "--force", "--stack", cloud.stack]);
    fs.rmSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${cloud.stack}.yaml`), { force: true });
    await labDown(context);
    fs.rmSync(stateRoot, { recursive: true, force: true });
  });

  it("refuses these Debian 12 hosts in a debian-13/epoxy stack at their facts steps, before any other step", async () => {
    await writeLabStack(cloud.stack, cloud.inventory!, { guestImageDir, profile: labProfileFor("debian-13/epoxy") });
    const refused = await cloud.up("a debian-13/epoxy stack on Debian 12 hosts");
    const output = refused.stdout + refused.stderr;
    expect(refused.exitCode, output).not.toBe(0);
    for (const host of ["controller", "compute1", "compute2"]) {
      expect(output).toContain(
        `${host}: the stack's profile is debian-13/epoxy (nova-installer:operatingSystem and nova-installer:openstackRelease), which needs ID=debian VERSION_ID=13 in /etc/os-release; this host runs ID=debian VERSION_ID=12 (Debian GNU/Linux 12 (bookworm))`,
      );
    }
    const created = [...output.matchAll(/RemoteScript (\S+) created/g)].map((match) => match[1]);
    expect(created, "no step but the facts ran").toEqual([]);
  });

  it("deploys on Debian 12 hosts running Zed's Nova", async () => {
    await writeLabStack(cloud.stack, cloud.inventory!, { guestImageDir, profile });
    const run = await cloud.up("first deploy");
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(await cloud.sh("controller", ". /etc/os-release && echo $VERSION_ID")).toBe("12\n");
    expect(await cloud.sh("controller", "dpkg-query -W -f='${Version}' nova-common")).toMatch(/^2:26\./);
  });

  it("passes nova-installer verify: services, catalog, image, cells, hypervisors, upgrade checks", async () => {
    const verify = await cloud.novaInstaller(["verify", "--stack", cloud.stack]);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    expect(parseCheckTable(verify.stdout).filter((row) => row.result !== "OK")).toEqual([]);
    expect(parseCheckTable(verify.stdout).map((row) => `${row.host} ${row.check}`)).toEqual(
      expect.arrayContaining(["controller cells", "compute1 hypervisor", "compute2 hypervisor"]),
    );
  });

  it("boots a real guest: ACTIVE, its console marker written", async () => {
    const server = await cloud.createServer("zed-server");
    try {
      expect(server.status).toBe("ACTIVE");
      expect(["compute1", "compute2"]).toContain(server.host);
      cloud.log(`guest ${server.id} on ${server.host}: ${await cloud.waitForMarker(server.id)}`);
    } finally {
      await cloud.deleteServer(server.id);
    }
  });

  it("changes nothing on a second pulumi up", async () => {
    const second = await cloud.up("second deploy (no changes)");
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/^\s+[+~-]\s+\d+ to /m);
    expect(second.stdout).toMatch(/Resources:\s+\d+ unchanged\s*\n\s*\nDuration/);
  });
});
