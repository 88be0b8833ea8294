import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { type PiiFinding, scanText } from "./index.js";

const SECRET_TEXT = "contact: bob.jones@example.org;";

function only(text: string): PiiFinding {
  const findings = scanText(text);
  expect(findings).toHaveLength(1);
  return findings[0] as PiiFinding;
}

describe("looking through encodings", () => {
  it("finds personal data in plain text with no encoding", () => {
    expect(only(`x ${SECRET_TEXT} y`).encoding).toEqual([]);
  });

  it.each([
    ["base64", Buffer.from(SECRET_TEXT).toString("base64")],
    ["base64 (URL-safe)", Buffer.from(`${SECRET_TEXT}??>>`).toString("base64url")],
    ["hex", Buffer.from(SECRET_TEXT).toString("hex")],
    ["url", encodeURIComponent(SECRET_TEXT)],
  ])("reports %s with the span of the whole token", (_name, token) => {
    const text = `payload ${token} end`;
    const f = only(text);
    expect(f.entity).toBe("EMAIL");
    expect(text.slice(f.start, f.end)).toBe(token);
    expect(f.encoding).toEqual([_name.startsWith("base64") ? "base64" : _name]);
  });

  it("reads JSON inside a string, whole or embedded, through its escapes", () => {
    // `\u0040` is "@" only once the JSON is parsed: plain text holds no address here.
    const json = String.raw`{"user":"bob.jones\u0040example.org","n":1}`;
    expect(scanText(json, { decode: false }).map((f) => f.entity)).not.toContain("EMAIL");
    expect(only(json)).toMatchObject({
      entity: "EMAIL",
      start: 0,
      end: json.length,
      encoding: ["json"],
    });
    const text = `app.exe --config ${json} --debug`;
    const f = only(text);
    expect(text.slice(f.start, f.end)).toBe(json);
  });

  it("peels gzip inside base64", () => {
    const token = gzipSync(Buffer.from("ssn 460-89-9847")).toString("base64");
    expect(only(`blob ${token}`)).toMatchObject({ entity: "US_SSN", encoding: ["base64", "gzip"] });
  });

  it("peels two layers: base64 of URL-encoding, and base64 of JSON", () => {
    const urlInB64 = Buffer.from(encodeURIComponent(SECRET_TEXT)).toString("base64");
    expect(only(urlInB64).encoding).toEqual(["base64", "url"]);
    const jsonInB64 = Buffer.from(String.raw`{"v":"bob.jones\u0040example.org"}`).toString(
      "base64",
    );
    expect(only(jsonInB64)).toMatchObject({ entity: "EMAIL", encoding: ["base64", "json"] });
  });

  it("peels at most maxDepth layers (3 by default)", () => {
    let token = SECRET_TEXT;
    for (let i = 0; i < 3; i++) token = Buffer.from(token).toString("base64");
    expect(only(token).encoding).toEqual(["base64", "base64", "base64"]);
    token = Buffer.from(token).toString("base64");
    expect(scanText(token)).toEqual([]);
    expect(scanText(token, { limits: { maxDepth: 4 } })[0]?.encoding).toHaveLength(4);
  });

  it("decodes nothing when decode is false", () => {
    expect(scanText(Buffer.from(SECRET_TEXT).toString("base64"), { decode: false })).toEqual([]);
  });
});

describe("identifiers stay quiet", () => {
  it("does not report SHA-256, SHA-1 and MD5 digests, GUIDs, timestamps, versions or numbers", () => {
    for (let i = 0; i < 200; i++) {
      const text = [
        randomBytes(32).toString("hex"),
        randomBytes(20).toString("hex").toUpperCase(),
        randomBytes(16).toString("hex"),
        crypto.randomUUID(),
        new Date(1_700_000_000_000 + i * 86_400_123).toISOString(),
        `10.0.${19041 + i}.${i}`,
        String(1_000_000 + i * 7919),
        randomBytes(24).toString("base64"),
      ].join(" ");
      expect(scanText(text)).toEqual([]);
    }
  });
});

describe("which report wins", () => {
  it("reports a value readable inside JSON with its own span, so the JSON stays JSON", () => {
    const json = '{"user":"bob.jones@example.org","n":1}';
    const f = only(json);
    expect(json.slice(f.start, f.end)).toBe("bob.jones@example.org");
    expect(f.encoding).toEqual([]);
  });

  it("settles overlaps inside a token before choosing its entity (an IBAN holding a card-like number)", () => {
    // The 23 digits after FR44 include a Luhn-valid run; the IBAN is the longer, right reading.
    const iban = "FR44 2619 6682 8557 4722 5334 927";
    const token = Buffer.from(`data: ${iban};`).toString("base64");
    expect(scanText(iban).map((x) => x.entity)).toEqual(["IBAN"]);
    expect(only(`x ${token}`).entity).toBe("IBAN");
  });
});
