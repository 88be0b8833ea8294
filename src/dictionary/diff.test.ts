import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diffDictionaries, isEmptyDictionaryDiff } from "./diff.js";
import { parseDictionary } from "./format.js";

const TEXT = readFileSync(new URL("../../examples/dictionary/edr.yaml", import.meta.url), "utf8");
const EDR = parseDictionary(TEXT);

describe("diffDictionaries", () => {
  it("finds nothing between a dictionary and itself", () => {
    const diff = diffDictionaries(EDR, parseDictionary(TEXT));
    expect(isEmptyDictionaryDiff(diff)).toBe(true);
    expect(diff.from).toEqual({ name: "edr", version: "2026.11.23.1" });
  });

  it("reports added and removed events with their fields", () => {
    const next = parseDictionary(
      TEXT.replace(/ {2}script_block:[\s\S]*?(?= {2}user_logon:)/, "").replace(
        "  user_logon:",
        `  clipboard:
    description: The clipboard changed.
    fields:
      content: { type: text, purpose: p, sensitivity: highly_sensitive, retention_days: 7 }
  user_logon:`,
      ),
    );
    const diff = diffDictionaries(EDR, next);
    expect(diff.eventsAdded).toEqual(["clipboard"]);
    expect(diff.eventsRemoved).toEqual(["script_block"]);
    expect(diff.fieldsAdded).toEqual([
      expect.objectContaining({
        event: "clipboard",
        field: "content",
        type: "text",
        sensitivity: "highly_sensitive",
      }),
    ]);
    expect(diff.fieldsRemoved).toEqual([
      expect.objectContaining({ event: "script_block", field: "script" }),
    ]);
  });

  it("reports type, sensitivity, retention, purpose and bound changes of nested and common fields", () => {
    const next = parseDictionary(
      TEXT.replace(
        "purpose: The matching process's executable.",
        "purpose: The matching process's executable and its owner.\n            sensitivity: highly_sensitive\n            retention_days: 365",
      )
        .replace("      signer:\n        type: string", "      signer:\n        type: text")
        .replace(
          "          purpose: The agent component that emitted the record.\n          max_length: 128",
          "          purpose: The agent component that emitted the record.\n          max_length: 4096",
        ),
    );
    const diff = diffDictionaries(EDR, next);
    expect(diff.fieldsAdded).toEqual([]);
    expect(diff.fieldsRemoved).toEqual([]);
    const image = diff.fieldsChanged.find((c) => c.field === "process/image_path");
    expect(image).toMatchObject({
      event: "detection",
      sensitivity: { from: "interaction", to: "highly_sensitive" },
      retentionDays: { from: 90, to: 365 },
    });
    expect(image?.purpose?.to).toContain("its owner");
    const signer = diff.fieldsChanged.find((c) => c.field === "signer");
    expect(signer?.type).toEqual({ from: "string", to: "text" });
    const service = diff.fieldsChanged.find((c) => c.field === "resource/service.name");
    expect(service).toMatchObject({
      event: null,
      bounds: { from: "max_length 128", to: "max_length 4096" },
    });
    expect(diff.fieldsChanged).toHaveLength(3);
  });

  it("sees an object turned into a string as its leaves removed and one added", () => {
    const next = parseDictionary(
      TEXT.replace(
        /( {6}process:\n {8}type: )object([\s\S]*?)(?= {2}dns_query:)/,
        "$1string\n        purpose: The process.\n        sensitivity: interaction\n        retention_days: 90\n\n",
      ),
    );
    const diff = diffDictionaries(EDR, next);
    expect(diff.fieldsAdded.map((f) => f.field)).toEqual(["process"]);
    expect(diff.fieldsRemoved.map((f) => f.field).sort()).toEqual([
      "process/image_path",
      "process/pid",
    ]);
  });
});
