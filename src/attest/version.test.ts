import { describe, expect, it } from "vitest";
import { compareVersions, isVersion } from "./index.js";

describe("compareVersions", () => {
  it("compares components as numbers, not text", () => {
    expect(compareVersions("2026.11.22.3", "2026.11.22.10")).toBe(-1);
    expect(compareVersions("10.0", "9.99")).toBe(1);
    expect(compareVersions("1.2.3", "1.2.3")).toBe(0);
    expect(compareVersions("0", "0")).toBe(0);
  });

  it("ranks the longer version newer when one is a prefix of the other", () => {
    expect(compareVersions("1.2", "1.2.0")).toBe(-1);
    expect(compareVersions("1.2.0", "1.2")).toBe(1);
    expect(compareVersions("1.3", "1.2.9.9")).toBe(1);
  });

  it("compares components beyond 2^53 exactly", () => {
    expect(compareVersions("90071992547409931", "90071992547409930")).toBe(1);
    expect(compareVersions("1.123456789012345678901", "1.123456789012345678902")).toBe(-1);
  });

  it("refuses leading zeros, empty components and anything but digits", () => {
    for (const bad of ["01", "1.02", "1..2", ".1", "1.", "", "v1", "1.-2", "1.2a", " 1", "1e3"]) {
      expect(isVersion(bad)).toBe(false);
      expect(() => compareVersions(bad, "1")).toThrow(
        expect.objectContaining({ code: "E_VERSION_MALFORMED" }),
      );
    }
  });
});
