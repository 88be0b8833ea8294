import { describe, expect, it } from "vitest";
import { toHex, utf8Encode } from "./encoding.js";
import { nodeSha256 } from "./node.js";
import { nobleSha256, sha256, useSha256 } from "./sha256.js";

describe("sha256", () => {
  it("hashes the FIPS 180-2 examples with the default implementation", () => {
    expect(toHex(sha256(utf8Encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(toHex(sha256(new Uint8Array(0)))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("gives the same digests with node:crypto, as plain Uint8Arrays", () => {
    for (let n = 0; n < 200; n += 13) {
      const data = globalThis.crypto.getRandomValues(new Uint8Array(n));
      const digest = nodeSha256(data);
      expect(digest.constructor).toBe(Uint8Array);
      expect(toHex(digest)).toBe(toHex(nobleSha256(data)));
    }
  });

  it("routes every call through the installed implementation", () => {
    useSha256(() => new Uint8Array(32).fill(1));
    try {
      expect(sha256(utf8Encode("abc"))).toEqual(new Uint8Array(32).fill(1));
    } finally {
      useSha256(nobleSha256);
    }
    expect(toHex(sha256(utf8Encode("abc"))).startsWith("ba7816bf")).toBe(true);
  });
});
