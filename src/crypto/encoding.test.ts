import { describe, expect, it } from "vitest";
import {
  bytesEqual,
  constantTimeEqual,
  fromBase64,
  fromHex,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
} from "./encoding.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("base64", () => {
  it("encodes and decodes the RFC 4648 test vectors", () => {
    const cases: [string, string][] = [
      ["", ""],
      ["f", "Zg=="],
      ["fo", "Zm8="],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg=="],
      ["fooba", "Zm9vYmE="],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of cases) {
      expect(toBase64(utf8Encode(plain))).toBe(encoded);
      expect(utf8Decode(fromBase64(encoded))).toBe(plain);
    }
  });

  it("round-trips every byte value and length", () => {
    for (let n = 0; n < 70; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(fromBase64(toBase64(data))).toEqual(data);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64(toBase64(all))).toEqual(all);
  });

  it("rejects anything but the one canonical spelling", () => {
    for (const bad of [
      "Zg", // missing padding
      "Zh==", // non-zero trailing bits (Go's non-strict decoder would accept this)
      "Zm9=", // non-zero trailing bits
      "Zm9v\n",
      " Zm9v",
      "Zm=v",
      "Z===",
      "Zm9v-_==", // URL-safe alphabet
      "Zm9vYmFyé===",
    ]) {
      expect(() => fromBase64(bad), bad).toThrow(expect.objectContaining({ code: "E_ENCODING" }));
    }
  });
});

describe("hex", () => {
  it("writes lowercase and reads either case", () => {
    expect(toHex(bytes(0, 1, 0xab, 0xff))).toBe("0001abff");
    expect(fromHex("0001ABff")).toEqual(bytes(0, 1, 0xab, 0xff));
    expect(fromHex("")).toEqual(new Uint8Array(0));
  });

  it("rejects odd lengths and non-hex characters", () => {
    for (const bad of ["0", "0g", "0x00", " 00", "+1"]) {
      expect(() => fromHex(bad), bad).toThrow(expect.objectContaining({ code: "E_ENCODING" }));
    }
  });
});

describe("byte equality", () => {
  it("compares length and content, in both variants", () => {
    for (const equal of [bytesEqual, constantTimeEqual]) {
      expect(equal(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true);
      expect(equal(bytes(), bytes())).toBe(true);
      expect(equal(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false);
      expect(equal(bytes(1, 2), bytes(1, 2, 3))).toBe(false);
    }
  });
});

describe("UTF-8", () => {
  it("keeps a leading byte order mark, because signed bytes must round-trip", () => {
    expect(utf8Decode(bytes(0xef, 0xbb, 0xbf, 0x41))).toBe("\ufeffA");
  });

  it("refuses invalid UTF-8 instead of substituting U+FFFD", () => {
    expect(() => utf8Decode(bytes(0x41, 0xff))).toThrow(
      expect.objectContaining({ code: "E_ENCODING" }),
    );
    expect(() => utf8Decode(bytes(0xc0, 0xaf))).toThrow(
      expect.objectContaining({ code: "E_ENCODING" }),
    );
  });

  it("refuses to encode a lone surrogate", () => {
    expect(() => utf8Encode("a\ud800b")).toThrow(expect.objectContaining({ code: "E_ENCODING" }));
    expect(utf8Encode("😀")).toEqual(bytes(0xf0, 0x9f, 0x98, 0x80));
  });
});
