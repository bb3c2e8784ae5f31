import { describe, expect, it } from "vitest";
import { defaultLabSpec } from "../../lab/config";
import { nspawnArguments } from "../../lab/machine";
import { planHosts } from "../../lab/network";

describe("nspawnArguments", () => {
  const [controller] = planHosts(defaultLabSpec, 0);
  const args = nspawnArguments(controller, defaultLabSpec, "/s/lab/hosts/controller/root");

  it("boots the host's root on the lab bridge without registering (no system bus here)", () => {
    expect(args).toEqual(
      expect.arrayContaining([
        "--register=no",
        "--keep-unit",
        "--boot",
        "--directory=/s/lab/hosts/controller/root",
        "--network-bridge=nova-lab0",
        "--machine=nova-controller",
        "--hostname=controller",
      ]),
    );
  });

  it("gives the host the capabilities its services need", () => {
    expect(args).toContain("--capability=all");
  });
});
