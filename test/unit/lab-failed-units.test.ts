import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { failedUnitJournalLines, failedUnitNames, unitReportCommand } from "../../lab/failed-units";

describe("failed units of a lab host", () => {
  it("reads the unit names out of systemctl's failed listing", () => {
    const listing = [
      "systemd-sysctl.service loaded failed failed Apply Kernel Variables",
      "",
      "● rabbitmq-server.service   loaded failed failed RabbitMQ broker",
      "  foo@bar.service loaded failed failed Foo",
    ].join("\n");
    expect(failedUnitNames(listing)).toEqual(["systemd-sysctl.service", "rabbitmq-server.service", "foo@bar.service"]);
    expect(failedUnitNames("")).toEqual([]);
    expect(failedUnitNames("\n  \n")).toEqual([]);
  });

  it("asks for the unit's status and this boot's journal, quoting the name, and never fails", () => {
    const command = unitReportCommand("systemd-sysctl.service");
    expect(command).toContain("systemctl status --no-pager --full --lines=0 -- 'systemd-sysctl.service'");
    expect(command).toContain(
      `journalctl --no-pager --boot --output=short-precise --lines=${failedUnitJournalLines} --unit='systemd-sysctl.service'`,
    );
    expect(command).toMatch(/; true$/);
    expect(unitReportCommand("x.service", 5)).toContain("--lines=5 ");
    expect(() => unitReportCommand("x.service", 0)).toThrow(/journal lines for x.service is 0: expected a positive integer/);
  });

  it("keeps a hostile unit name one word", () => {
    // systemctl and journalctl replaced by stubs that print their arguments, one per line.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "failed-units-"));
    try {
      for (const tool of ["systemctl", "journalctl"]) {
        fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nfor a in "$@"; do echo "${tool}: $a"; done\nexit 3\n`, { mode: 0o755 });
      }
      const unit = "a'; touch pwned; echo '$(x).service";
      const output = execFileSync("sh", ["-c", unitReportCommand(unit)], { cwd: bin, env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: "utf8" });
      expect(output.split("\n")).toContain(`systemctl: ${unit}`);
      expect(output.split("\n")).toContain(`journalctl: --unit=${unit}`);
      expect(fs.existsSync(path.join(bin, "pwned"))).toBe(false);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
