import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { type CheckResult, compileDictionary, entityOf, stripUndeclared } from "./compile.js";
import { type FieldType, parseDictionary } from "./format.js";

const EDR = compileDictionary(
  parseDictionary(
    readFileSync(new URL("../../examples/dictionary/edr.yaml", import.meta.url), "utf8"),
  ),
);

const GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const base = (event: string, fields: Record<string, unknown>) => ({
  event,
  id: GUID,
  time: "2026-11-23T10:00:00.123Z",
  host_id: GUID,
  ...fields,
});

function failed(result: CheckResult) {
  if (result.ok) throw new Error("the record was accepted");
  return result;
}

/** One field of each type, to try values against. */
function single(type: FieldType, extra = "") {
  return compileDictionary(
    parseDictionary(`$schema: crosscheck/dictionary/v1
name: t
version: "1"
events:
  e:
    description: d
    fields:
      f: { type: ${type}, purpose: p, sensitivity: technical, retention_days: 1 ${extra} }
`),
  );
}

const VALID: [FieldType, string, unknown[], unknown[]][] = [
  ["integer", "", [0, -5, 2 ** 53 - 1], [1.5, "1", 2 ** 53, null, true]],
  ["number", "", [0, 1.5, -1e300], ["1", null, false]],
  ["boolean", "", [true, false], [0, "true", null]],
  [
    "timestamp",
    "",
    ["2026-11-23T10:00:00Z", "2026-11-23t10:00:00.123456789+05:30", "2026-12-31T23:59:60Z"],
    ["2026-11-23", "2026-13-01T00:00:00Z", "2026-11-23T10:00:00", "2026-11-23 10:00:00Z", 0],
  ],
  ["guid", "", [GUID, GUID.toUpperCase()], [`{${GUID}}`, GUID.slice(1), "x", 1]],
  ["sha256", "", ["a".repeat(64)], ["A".repeat(64), "a".repeat(63), "g".repeat(64)]],
  ["sha1", "", ["0".repeat(40)], ["0".repeat(64), "0".repeat(39)]],
  ["md5", "", ["f".repeat(32)], ["F".repeat(32), "f".repeat(33)]],
  ["enum", ", values: [tcp, udp]", ["tcp", "udp"], ["TCP", "icmp", 1]],
  ["string", "", ["svc.exe", ""], ["x".repeat(1025), 1, null]],
  ["text", ", max_length: 10", ["hi\nworld"], ["x".repeat(11), {}]],
  ["path", "", ["C:\\Users\\alice\\a.txt", "/home/bob/x"], ["x".repeat(4097), []]],
  [
    "ip",
    "",
    ["10.0.0.1", "255.255.255.255", "::1", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:1.2.3.4"],
    ["256.0.0.1", "1.2.3", "10.0.0.01", "1::2::3", "example.com", "2001:db8::g"],
  ],
  [
    "hostname",
    "",
    ["example.com", "a-b.c_d.example.", "localhost"],
    ["-a.com", "a..b", "a b", "a".repeat(64)],
  ],
  ["username", "", ["alice", "Bob Smith"], ["a\u0000b", "", 5]],
  ["domain_account", "", ["CORP\\alice", "alice@corp.example"], ["alice", "a\\b\\c", "@x"]],
  [
    "url",
    "",
    ["https://example.com/a?b=c", "mailto:a@b.c"],
    ["example.com", "https://a b", "1http://x"],
  ],
  ["email", "", ["alice@example.com"], ["alice@example", "a b@c.d", "@example.com"]],
  [
    "array",
    ", items: ip, max_items: 2",
    [[], ["1.2.3.4", "::1"]],
    [["1.2.3.4", "x"], ["1.1.1.1", "1.1.1.1", "1.1.1.1"], "1.2.3.4"],
  ],
];

describe("compileDictionary: field types", () => {
  for (const [type, extra, good, bad] of VALID) {
    it(`accepts valid ${type} values and refuses invalid ones`, () => {
      const c = single(type, extra);
      for (const v of good)
        expect(c.check({ event: "e", f: v }).ok, `${JSON.stringify(v)}`).toBe(true);
      for (const v of bad) {
        const r = failed(c.check({ event: "e", f: v }));
        expect(r.code, JSON.stringify(v)).toBe("E_FIELD_INVALID");
        expect(r.fields[0]?.startsWith("f")).toBe(true);
      }
    });
  }

  it("agrees with Node on what an IP address is", () => {
    const c = single("ip");
    const samples = [
      "1.2.3.4",
      "01.2.3.4",
      "1.2.3.4.5",
      "::",
      "::1",
      "1::",
      "1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::",
      "::2:3:4:5:6:7:8",
      "1::8",
      "1:2::7:8",
      "fe80::",
      "::ffff:10.0.0.1",
      "64:ff9b::192.0.2.33",
      "1:2:3:4:5:6:1.2.3.4",
      "1::1.2.3.4",
      ":1",
      "1:",
      "12345::",
      "::ffff:1.2.3",
    ];
    for (const s of samples) expect(c.check({ event: "e", f: s }).ok, s).toBe(isIP(s) !== 0);
  });
});

describe("compileDictionary: records", () => {
  it("accepts a record of every EDR event, common and nested fields included", () => {
    const records = [
      base("process_start", {
        pid: 4,
        ppid: 1,
        image_path: "C:\\Windows\\System32\\cmd.exe",
        command_line: "cmd /c whoami",
        sha256: "b".repeat(64),
        user: "alice",
        signer: "Microsoft Windows",
        integrity: "high",
      }),
      base("file_write", {
        pid: 4,
        path: "/tmp/x",
        size: 10,
        sha256: "c".repeat(64),
        entropy: 7.9,
      }),
      base("network_connect", {
        pid: 4,
        remote_ip: "2001:db8::1",
        remote_port: 443,
        local_ip: "10.0.0.5",
        protocol: "tcp",
        domain: "example.com",
      }),
      base("detection", {
        rule: "r1",
        severity: "critical",
        process: { pid: 4, image_path: "C:\\x.exe" },
      }),
      base("dns_query", { query: "example.com", answers: ["93.184.216.34"] }),
      base("script_block", { script: "Write-Host hi" }),
      base("user_logon", { account: "CORP\\alice", logon_type: 3, source_ip: "10.0.0.9" }),
      base("script_block", {
        script: "x",
        resource: { "service.name": "agent", "telemetry.sdk.language": "go" },
        severity_text: "INFO",
        body: "hello",
      }),
    ];
    for (const r of records) {
      const result = EDR.check(r);
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (result.ok) expect(result.event.name).toBe(r.event);
    }
  });

  it("reports an undeclared event type", () => {
    const r = failed(EDR.check(base("keystroke", { key: "a" })));
    expect(r.code).toBe("E_EVENT_UNDECLARED");
    expect(r.event).toBe("keystroke");
    expect(r.message).toContain("keystroke");
  });

  it("reports records that are not objects or do not name their event", () => {
    expect(failed(EDR.check([1])).code).toBe("E_RECORD_INVALID");
    expect(failed(EDR.check("x")).code).toBe("E_RECORD_INVALID");
    expect(failed(EDR.check({ id: GUID })).fields).toEqual(["event"]);
  });

  it("lists every undeclared field, nested ones by path", () => {
    const r = failed(
      EDR.check(
        base("detection", {
          rule: "r",
          severity: "low",
          documents: ["secret.docx"],
          process: { pid: 1, cwd: "C:\\Users\\alice", "a/b": 1 },
          resource: { "service.name": "a", "host.name": "alice-laptop" },
        }),
      ),
    );
    expect(r.code).toBe("E_FIELD_UNDECLARED");
    expect(r.event).toBe("detection");
    expect(r.fields.sort()).toEqual([
      "documents",
      "process/a~1b",
      "process/cwd",
      "resource/host.name",
    ]);
    expect(r.message).toContain("process/cwd");
  });

  it("reports invalid fields before undeclared ones, and lists both", () => {
    const r = failed(
      EDR.check(base("dns_query", { query: "not a host", answers: ["1.2.3.4", "nope"], extra: 1 })),
    );
    expect(r.code).toBe("E_FIELD_INVALID");
    expect(r.fields.sort()).toEqual(["answers/1", "query"]);
    expect(r.undeclared).toEqual(["extra"]);
    expect(r.message).toMatch(/host name|IPv4/);
  });

  it("reports missing required fields, including common ones", () => {
    const r = failed(EDR.check({ event: "script_block", id: GUID, host_id: GUID }));
    expect(r.code).toBe("E_FIELD_INVALID");
    expect(r.fields.sort()).toEqual(["script", "time"]);
    expect(r.message).toContain("required");
  });

  it("reports a nested field of the wrong type and bounds from the dictionary", () => {
    const r = failed(
      EDR.check(base("detection", { rule: "r", severity: "low", process: { pid: "4" } })),
    );
    expect(r.fields).toEqual(["process/pid"]);
    expect(r.message).toContain("an integer");
    const port = failed(
      EDR.check(base("network_connect", { pid: 1, remote_ip: "1.1.1.1", remote_port: 70000 })),
    );
    expect(port.fields).toEqual(["remote_port"]);
    expect(
      failed(EDR.check(base("detection", { rule: "r", severity: "low", process: "x" }))).fields,
    ).toEqual(["process"]);
  });

  it("takes the literal dotted key, not a nested path", () => {
    const ok = EDR.check(base("script_block", { script: "x", resource: { "service.name": "a" } }));
    expect(ok.ok).toBe(true);
    const nested = failed(
      EDR.check(base("script_block", { script: "x", resource: { service: { name: "a" } } })),
    );
    expect(nested.fields).toEqual(["resource/service"]);
  });

  it("does not accept the event of another type's name in the record", () => {
    // `event` dispatches; a record cannot borrow another event's fields.
    const r = failed(EDR.check(base("dns_query", { query: "a.com", script: "x" })));
    expect(r.fields).toEqual(["script"]);
  });
});

describe("compiled fields and scan plans", () => {
  it("flattens leaves with their path, sensitivity, retention and plan", () => {
    const detection = EDR.event("detection");
    const names = detection?.fields.map((f) => f.name);
    expect(names).toContain("process/image_path");
    expect(names).toContain("resource/service.name");
    expect(names).toContain("id");
    expect(names).not.toContain("process");
    const image = detection?.byName.get("process/image_path");
    expect(image).toMatchObject({
      path: ["process", "image_path"],
      type: "path",
      sensitivity: "interaction",
      retentionDays: 90,
      array: false,
    });
    expect(image?.scan.kind).toBe("scan");
    if (image?.scan.kind === "scan") {
      expect(image.scan.decode).toBe(false);
      expect([...image.scan.entities]).toContain("PATH_USER");
    }
    expect(detection?.byName.get("resource/service.name")?.path).toEqual([
      "resource",
      "service.name",
    ]);
  });

  it("plans no scan for formats, whole-value entities for identifiers, and scans of free text", () => {
    const plan = (event: string, field: string) => EDR.event(event)?.byName.get(field)?.scan;
    expect(plan("process_start", "pid")).toEqual({ kind: "none" });
    expect(plan("process_start", "sha256")).toEqual({ kind: "none" });
    expect(plan("process_start", "integrity")).toEqual({ kind: "none" });
    expect(plan("process_start", "user")).toEqual({ kind: "whole", entity: "DOMAIN_ACCOUNT" });
    expect(plan("user_logon", "account")).toEqual({ kind: "whole", entity: "DOMAIN_ACCOUNT" });
    expect(plan("dns_query", "query")).toEqual({ kind: "whole", entity: "HOSTNAME" });
    const answers = EDR.event("dns_query")?.byName.get("answers");
    expect(answers).toMatchObject({
      array: true,
      items: "ip",
      scan: { kind: "whole", entity: "IPV4" },
    });
    const command = plan("process_start", "command_line");
    expect(command?.kind === "scan" && command.decode && command.entities.has("PERSON")).toBe(true);
  });

  it("tells IPv4 from IPv6 by the value", () => {
    const plan = { kind: "whole", entity: "IPV4" } as const;
    expect(entityOf(plan, "10.0.0.1")).toBe("IPV4");
    expect(entityOf(plan, "fe80::1")).toBe("IPV6");
    expect(entityOf({ kind: "whole", entity: "EMAIL" }, "a:b@c.d")).toBe("EMAIL");
  });

  it("lets the dictionary say what to scan a field for", () => {
    const c = single("text", ", scan_for: [EMAIL, PHONE]");
    const scan = c.event("e")?.byName.get("f")?.scan;
    expect(scan?.kind === "scan" && [...scan.entities].sort()).toEqual(["EMAIL", "PHONE"]);
  });
});

describe("stripUndeclared", () => {
  it("removes undeclared fields in place, nested ones too, so the record then passes", () => {
    const record: Record<string, unknown> = base("detection", {
      rule: "r",
      severity: "low",
      documents: ["a"],
      process: { pid: 1, cwd: "C:\\Users\\alice" },
    });
    const first = failed(EDR.check(record));
    const event = EDR.event(first.event as string);
    if (!event) throw new Error("no event");
    expect(stripUndeclared(record, event).sort()).toEqual(["documents", "process/cwd"]);
    expect(record).not.toHaveProperty("documents");
    expect(record.process).toEqual({ pid: 1 });
    expect(EDR.check(record).ok).toBe(true);
    expect(EDR.stripUndeclared(record, event)).toEqual([]);
  });

  it("removes an own __proto__ key from parsed JSON", () => {
    const record = JSON.parse(
      `{"event":"script_block","id":"${GUID}","time":"2026-11-23T10:00:00Z","host_id":"${GUID}","script":"x","__proto__":{"polluted":1}}`,
    );
    const event = EDR.event("script_block");
    if (!event) throw new Error("no event");
    expect(failed(EDR.check(record)).fields).toEqual(["__proto__"]);
    expect(stripUndeclared(record, event)).toEqual(["__proto__"]);
    expect(EDR.check(record).ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("compiled state", () => {
  it("keeps each compile's validators apart", () => {
    const a = single("integer");
    const b = single("text");
    expect(a.check({ event: "e", f: 1 }).ok).toBe(true);
    expect(b.check({ event: "e", f: 1 }).ok).toBe(false);
    expect(b.check({ event: "e", f: "1" }).ok).toBe(true);
    expect(a.check({ event: "e", f: "1" }).ok).toBe(false);
  });

  it("returns the same success object for every accepted record (no allocation)", () => {
    const r = base("script_block", { script: "x" });
    expect(EDR.check(r)).toBe(EDR.check({ ...r }));
  });
});
