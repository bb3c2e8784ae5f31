import { describe, expect, it } from "vitest";
import { defaultLabSpec, parseSubnet24, validateComputeCount, validateLabSpec } from "../../lab/config";

describe("lab config", () => {
  it("accepts the default lab", () => {
    expect(validateLabSpec(defaultLabSpec)).toBe(defaultLabSpec);
  });

  it("rejects names that cannot prefix machine and veth names", () => {
    expect(() => validateLabSpec({ ...defaultLabSpec, name: "Nova_Lab" })).toThrow(/lab name "Nova_Lab" is invalid/);
    expect(() => validateLabSpec({ ...defaultLabSpec, name: "averyverylongname" })).toThrow(/1-10/);
  });

  it("rejects bridge names longer than an interface name", () => {
    expect(() => validateLabSpec({ ...defaultLabSpec, bridge: "a-very-long-bridge0" })).toThrow(/lab bridge "a-very-long-bridge0"/);
  });

  it("parses /24 subnets and rejects anything else, naming the value", () => {
    expect(parseSubnet24("10.241.0.0/24")).toBe("10.241.0");
    for (const bad of ["10.241.0.1/24", "10.241.0.0/16", "10.300.0.0/24", "10.241.0.0"]) {
      expect(() => parseSubnet24(bad)).toThrow(`lab subnet "${bad}" is invalid`);
    }
  });

  it("bounds the compute count", () => {
    expect(validateComputeCount(0)).toBe(0);
    expect(validateComputeCount(2)).toBe(2);
    expect(() => validateComputeCount(-1)).toThrow(/--computes -1 is invalid/);
    expect(() => validateComputeCount(1.5)).toThrow(/--computes 1.5/);
    expect(() => validateComputeCount(201)).toThrow(/from 0 to 200/);
  });
});
