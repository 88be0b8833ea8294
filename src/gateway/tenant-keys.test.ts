import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmacSha256, tenantKeys } from "./tenant-keys.js";

describe("hmacSha256", () => {
  it.each([
    ["any bytes", randomBytes(32)],
    ["7-bit bytes (the fast path)", randomBytes(64).map((b) => b & 0x7f)],
  ])("equals node's HMAC-SHA256 for strings and bytes of every length, key of %s", (_, key) => {
    const mac = hmacSha256(key);
    for (const length of [0, 1, 55, 63, 64, 65, 1000, 1024, 5000, 3]) {
      const bytes = randomBytes(length);
      expect(mac(bytes)).toBe(createHmac("sha256", key).update(bytes).digest("hex"));
      const text = `é${"x".repeat(length)}🙂`;
      expect(mac(text)).toBe(createHmac("sha256", key).update(text, "utf8").digest("hex"));
    }
  });

  it("keys commitments and pseudonyms per tenant", () => {
    const a = tenantKeys(new Uint8Array(32).fill(1));
    const b = tenantKeys(new Uint8Array(32).fill(2));
    expect(a.commit("x")).not.toBe(b.commit("x"));
    expect(a.pseudonym("CORP\\alice")).toBe(a.pseudonym("CORP\\alice"));
    expect(a.pseudonym("CORP\\alice")).not.toBe(b.pseudonym("CORP\\alice"));
    expect(a.pseudonym("CORP\\alice")).toMatch(/^[0-9a-f]{16}$/);
  });
});
