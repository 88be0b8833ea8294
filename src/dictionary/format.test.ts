import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CrosscheckError } from "../errors/index.js";
import { parseDictionary } from "./format.js";

const EDR = new URL("../../examples/dictionary/edr.yaml", import.meta.url);

const HEAD = `$schema: crosscheck/dictionary/v1
name: demo
version: "1.0"
`;

function refusal(text: string): CrosscheckError {
  try {
    parseDictionary(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CrosscheckError);
    expect((err as CrosscheckError).code).toBe("E_DICTIONARY_INVALID");
    return err as CrosscheckError;
  }
  throw new Error("the dictionary was accepted");
}

describe("parseDictionary", () => {
  it("reads the demo EDR dictionary with every event the generator emits", () => {
    const d = parseDictionary(readFileSync(EDR, "utf8"));
    expect(d.name).toBe("edr");
    expect(d.events.map((e) => e.name)).toEqual([
      "process_start",
      "file_write",
      "network_connect",
      "detection",
      "dns_query",
      "script_block",
      "user_logon",
    ]);
    expect(d.common.map((f) => f.name)).toEqual([
      "id",
      "time",
      "host_id",
      "resource",
      "severity_text",
      "body",
    ]);
    const resource = d.common.find((f) => f.name === "resource");
    expect(resource?.fields?.map((f) => f.name)).toContain("service.name");
    // Children of an object inherit what they leave out.
    expect(resource?.fields?.[0]?.sensitivity).toBe("technical");
    expect(resource?.fields?.[0]?.retentionDays).toBe(30);
    const answers = d.events.find((e) => e.name === "dns_query")?.fields[1];
    expect(answers).toMatchObject({ type: "array", items: "ip", maxItems: 64 });
  });

  it("reads JSON too, and applies default string bounds", () => {
    const d = parseDictionary(
      JSON.stringify({
        $schema: "crosscheck/dictionary/v1",
        name: "j",
        version: "2",
        events: {
          e: {
            description: "An event.",
            fields: {
              t: { type: "text", purpose: "p", sensitivity: "interaction", retention_days: 1 },
              s: { type: "string", purpose: "p", sensitivity: "technical", retention_days: 1 },
            },
          },
        },
      }),
    );
    expect(d.events[0]?.fields.map((f) => f.maxLength)).toEqual([8192, 1024]);
  });

  it("names the line and column of a YAML syntax error", () => {
    const err = refusal(`${HEAD}events:\n  e:\n    description: "unterminated\n`);
    expect(err.message).toMatch(/line \d+, column \d+/);
    expect(err.message).toContain("not valid YAML");
  });

  it("refuses duplicate keys, with their line", () => {
    const err = refusal(`${HEAD}events:\n  e:\n    description: a\n    description: b\n`);
    expect(err.message).toMatch(/line 7/);
  });

  it("names the event, field and line of a field without a purpose", () => {
    const err = refusal(
      `${HEAD}events:\n  process_start:\n    description: d\n    fields:\n      pid: { type: integer, sensitivity: technical, retention_days: 1 }\n`,
    );
    expect(err.message).toContain("Event process_start, field pid");
    expect(err.message).toContain("purpose");
    expect(err.message).toMatch(/^line 8, column/);
  });

  it("names an unknown type, sensitivity, missing retention and a bad retention", () => {
    const field = (body: string) =>
      `${HEAD}events:\n  e:\n    description: d\n    fields:\n      f: { ${body} }\n`;
    expect(
      refusal(field("type: blob, purpose: p, sensitivity: technical, retention_days: 1")).message,
    ).toMatch(/field f: unknown type "blob"/);
    expect(
      refusal(field("type: text, purpose: p, sensitivity: secret, retention_days: 1")).message,
    ).toMatch(/unknown sensitivity "secret"/);
    expect(refusal(field("type: text, purpose: p, sensitivity: technical")).message).toMatch(
      /field f: retention_days is missing/,
    );
    expect(
      refusal(field("type: text, purpose: p, sensitivity: technical, retention_days: -3")).message,
    ).toMatch(/field f: retention_days/);
    expect(refusal(field("type: text, purpose: p, retention_days: 3")).message).toMatch(
      /sensitivity is missing/,
    );
  });

  it("refuses keys that do not apply to the type", () => {
    const err = refusal(
      `${HEAD}events:\n  e:\n    description: d\n    fields:\n      n: { type: integer, purpose: p, sensitivity: technical, retention_days: 1, max_length: 3 }\n`,
    );
    expect(err.message).toContain("max_length does not apply to a field of type integer");
    expect(err.message).toMatch(/^line 8/);
  });

  it("refuses enums without values, arrays of objects, objects without fields", () => {
    const f = (body: string) =>
      `${HEAD}events:\n  e:\n    description: d\n    fields:\n      f: { purpose: p, sensitivity: technical, retention_days: 1, ${body} }\n`;
    expect(refusal(f("type: enum")).message).toContain("an enum needs values");
    expect(refusal(f("type: array, items: object")).message).toContain("items must be a scalar");
    expect(refusal(f("type: array")).message).toContain("an array needs items");
    expect(refusal(f("type: object")).message).toContain("an object needs fields");
    expect(refusal(f("type: text, scan_for: [EMAIL, SOUL]")).message).toContain('"SOUL"');
  });

  it("names nested fields by their path", () => {
    const err = refusal(
      `${HEAD}events:\n  detection:\n    description: d\n    fields:\n      process:\n        type: object\n        purpose: p\n        sensitivity: technical\n        retention_days: 1\n        fields:\n          pid: { type: int, purpose: p }\n`,
    );
    expect(err.message).toContain("Event detection, field process/pid: unknown type");
    expect(err.message).toMatch(/^line 14/);
  });

  it("refuses a declared `event`, a field in both common and an event, and slashes in names", () => {
    const f = (name: string) =>
      `${HEAD}common:\n  fields:\n    id: { type: guid, purpose: p, sensitivity: technical, retention_days: 1 }\nevents:\n  e:\n    description: d\n    fields:\n      "${name}": { type: text, purpose: p, sensitivity: technical, retention_days: 1 }\n`;
    expect(refusal(f("event")).message).toContain('"event" is implicit');
    expect(refusal(f("id")).message).toContain("already a common field");
    expect(refusal(f("a/b")).message).toContain('without "/"');
    expect(refusal(f("__proto__")).message).toContain("reserved");
    expect(() => parseDictionary(f("service.name"))).not.toThrow();
  });

  it("refuses a wrong $schema, a bad version, unknown top-level keys and no events", () => {
    expect(refusal(`${HEAD.replace("v1", "v9")}events: {}\n`).message).toContain("$schema");
    expect(refusal(`${HEAD.replace('"1.0"', '"1.0-beta"')}events: {}\n`).message).toContain(
      "version",
    );
    expect(refusal(`${HEAD}events: {}\nextra: 1\n`).message).toContain(
      "extra: is not a known key here",
    );
    expect(refusal(`${HEAD}events: {}\n`).message).toContain("declares no events");
    expect(refusal("just a string").message).toContain("expected a mapping");
  });

  it("refuses an alias bomb", () => {
    const bomb = [
      `${HEAD}a: &a ["x","x","x","x","x","x","x","x","x","x"]`,
      ...Array.from({ length: 8 }, (_, i) => {
        const prev = i === 0 ? "a" : `b${i - 1}`;
        return `b${i}: &b${i} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`;
      }),
      "events: {}",
    ].join("\n");
    expect(() => parseDictionary(bomb)).toThrow(CrosscheckError);
  });
});

describe("the dictionary component", () => {
  it("is pure: nothing its index reaches imports from node:", () => {
    const seen = new Set<string>();
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const source = readFileSync(url, "utf8");
      expect(source, url.href).not.toMatch(/from\s+"node:/);
      for (const [, spec] of source.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)) {
        if (spec?.startsWith(".")) visit(new URL(spec.replace(/\.js$/, ".ts"), url));
      }
    };
    visit(new URL("./index.ts", import.meta.url));
    expect(seen.size).toBeGreaterThan(3);
  });
});
