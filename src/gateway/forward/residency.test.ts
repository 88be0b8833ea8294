import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import { backoffDelay, parseRetryAfter } from "./backoff.js";
import { checkRegions, endpointsByRegion, type RegionEndpoints } from "./residency.js";

function refusal(regions: RegionEndpoints[]): string {
  try {
    checkRegions(regions);
  } catch (err) {
    if (isCrosscheckError(err, "E_GATEWAY_CONFIG")) return err.message;
    throw err;
  }
  throw new Error("accepted");
}

describe("regions and their vendor endpoints", () => {
  it("accepts distinct endpoints per region, and a region with none (it sends nothing)", () => {
    const map = endpointsByRegion([
      {
        region: "eu",
        endpoints: [{ url: "https://eu.vendor.example/v1" }, { url: "https://eu2.vendor.example" }],
      },
      {
        region: "us",
        endpoints: [
          {
            url: "https://us.vendor.example/v1",
            allowedAddresses: ["203.0.113.0/24", "2001:db8::/32"],
          },
        ],
      },
      { region: "apac", endpoints: [] },
    ]);
    expect(map.get("eu")?.map((e) => e.origin)).toEqual([
      "https://eu.vendor.example",
      "https://eu2.vendor.example",
    ]);
    expect(map.get("apac")).toEqual([]);
    const us = map.get("us")?.[0];
    expect(us?.allows("203.0.113.9")).toBe(true);
    expect(us?.allows("2001:db8::1")).toBe(true);
    expect(us?.allows("198.51.100.1")).toBe(false);
    expect(us?.allows("not an address")).toBe(false);
    expect(map.get("eu")?.[0]?.allows("198.51.100.1")).toBe(true);
  });

  it("refuses one endpoint in two regions, even under another path", () => {
    expect(
      refusal([
        { region: "eu", endpoints: [{ url: "https://vendor.example/eu" }] },
        { region: "us", endpoints: [{ url: "https://vendor.example/us" }] },
      ]),
    ).toMatch(/listed in regions eu and us/);
  });

  it("refuses a region listed twice", () => {
    expect(
      refusal([
        { region: "eu", endpoints: [] },
        { region: "eu", endpoints: [] },
      ]),
    ).toMatch(/listed twice/);
  });

  it("refuses URLs that are not http(s), carry credentials or a fragment, or do not parse", () => {
    const one = (url: string) => refusal([{ region: "eu", endpoints: [{ url }] }]);
    expect(one("ftp://vendor.example/")).toMatch(/not an http\(s\) URL/);
    expect(one("file:///etc/passwd")).toMatch(/not an http\(s\) URL/);
    expect(one("https://user:secret@vendor.example/")).toMatch(/credentials/);
    expect(one("https://user:secret@vendor.example/")).not.toMatch(/secret/);
    expect(one("https://vendor.example/#x")).toMatch(/fragment/);
    expect(one("vendor.example")).toMatch(/not a URL/);
  });

  it("refuses malformed or empty address ranges", () => {
    const ranges = (allowedAddresses: string[]) =>
      refusal([{ region: "eu", endpoints: [{ url: "https://vendor.example", allowedAddresses }] }]);
    expect(ranges([])).toMatch(/allows no address/);
    expect(ranges(["10.0.0.0/33"])).toMatch(/not an address or CIDR/);
    expect(ranges(["vendor.example"])).toMatch(/not an address or CIDR/);
    expect(ranges(["10.0.0.0/8/1"])).toMatch(/not an address or CIDR/);
    expect(ranges(["10.0.0.0/x"])).toMatch(/not an address or CIDR/);
  });
});

describe("backoff", () => {
  const b = { baseMs: 100, maxMs: 5000 };
  it("doubles per attempt with jitter in the upper half, capped at maxMs", () => {
    expect(backoffDelay(1, b, () => 0)).toBe(50);
    expect(backoffDelay(1, b, () => 1)).toBe(100);
    expect(backoffDelay(4, b, () => 0)).toBe(400);
    expect(backoffDelay(4, b, () => 1)).toBe(800);
    expect(backoffDelay(50, b, () => 1)).toBe(5000);
    expect(backoffDelay(50, b, () => 0)).toBe(2500);
  });

  it("reads Retry-After in seconds or as a date, bounded", () => {
    const now = new Date("2026-11-23T10:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("99999999", now)).toBe(3_600_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
