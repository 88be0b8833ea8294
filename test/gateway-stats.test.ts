/**
 * The gateway's public statistics and dictionary over HTTP, against a real gateway server: what
 * tenants sent is counted per day, event type, entity type, tenant, region and delivery address,
 * exactly; nothing a sender wrote (record contents, event names the dictionary does not declare)
 * appears in the public answer; the range is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PublishedDictionary, StatisticsReport } from "../src/gateway/index.js";
import {
  eventually,
  fileWrite,
  type GatewayWorld,
  gatewayConfig,
  ndjson,
  scriptBlock,
  startGatewayWorld,
  Upstream,
} from "./support/gateway-world.js";

const EMAIL = "alice.smith@example.com";
const SECRET = "AKIAIOSFODNN7EXAMPLE";
const SENDER_EVENT = "leak_bob.jones@example.org";

describe("the gateway's public statistics", () => {
  let eu: Upstream;
  let us: Upstream;
  let world: GatewayWorld;

  beforeAll(async () => {
    eu = await new Upstream().start();
    us = await new Upstream().start();
    world = await startGatewayWorld(gatewayConfig(eu, us));
  });
  afterAll(async () => {
    await world?.close();
    await eu?.stop();
    await us?.stop();
  });

  const events = async (tenant: string, body: string) => {
    const response = await fetch(`${world.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson", ...world.auth(tenant) },
      body,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { forwarded: number; refused: { code: string }[] };
  };
  const sample = async (bytes: Buffer) => {
    const response = await fetch(`${world.url}/v1/samples`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", ...world.auth("acme-eu") },
      body: new Uint8Array(bytes),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { action: string };
  };
  const stats = async (query = "") => {
    const response = await fetch(`${world.url}/api/v1/gateway/stats${query}`);
    return { status: response.status, body: (await response.json()) as StatisticsReport };
  };

  it("starts at zero, with every day of the range and every configured region", async () => {
    const { status, body } = await stats();
    expect(status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(body.to).toBe(today);
    expect(body.days).toHaveLength(14);
    expect(body.days.at(-1)?.day).toBe(today);
    expect(body.days[0]?.day).toBe(body.from);
    expect(body.totals).toMatchObject({ records: 0, blocked: 0, quarantined: 0, redactions: 0 });
    expect(body.regions.map((r) => [r.region, r.records, r.delivered])).toEqual([
      ["eu", 0, []],
      ["us", 0, []],
    ]);
  });

  it("counts what tenants sent, and publishes counts only", async () => {
    const eu1 = await events(
      "acme-eu",
      [
        ndjson([fileWrite(), fileWrite(), fileWrite()]),
        ndjson([scriptBlock(`Send-MailMessage -To ${EMAIL}`)]),
        ndjson([scriptBlock(`$key = "${SECRET}"`)]),
        ndjson([{ ...fileWrite(), clipboard: "quarterly numbers" }]),
        ndjson([{ ...fileWrite(), event: SENDER_EVENT }]),
        "this is not JSON\n",
      ].join(""),
    );
    expect(eu1.forwarded).toBe(4);
    expect(eu1.refused.map((r) => r.code).sort()).toEqual([
      "E_EVENT_UNDECLARED",
      "E_FIELD_UNDECLARED",
      "E_PII_BLOCKED",
      "E_RECORD_JSON",
    ]);
    expect((await events("acme-us", ndjson([fileWrite(), fileWrite()]))).forwarded).toBe(2);
    const pdf = Buffer.from(
      "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    );
    expect((await sample(pdf)).action).toBe("quarantine");
    await eventually(() => eu.received.length >= 1 && us.received.length >= 1);

    let body: StatisticsReport | undefined;
    await eventually(async () => {
      body = (await stats()).body;
      return body.totals.delivered.batches === 2 && body.totals.records === 11;
    });
    const report = body as StatisticsReport;
    const today = report.to;
    const counts = (type: string) => report.eventTypes.find((e) => e.eventType === type);
    expect(counts("file_write")).toMatchObject({
      records: 6,
      forwarded: 5,
      blocked: 1,
      quarantined: 0,
      days: [{ day: today, records: 6 }],
    });
    expect(counts("script_block")).toMatchObject({ records: 2, forwarded: 1, blocked: 1 });
    expect(counts("(undeclared)")).toMatchObject({ records: 1, blocked: 1 });
    expect(counts("(none)")).toMatchObject({ records: 1, blocked: 1 });
    expect(counts("sample:document")).toMatchObject({ records: 1, quarantined: 1, bytesOut: 0 });
    expect(report.entities.map((e) => [e.entity, e.count])).toEqual([
      ["EMAIL", 1],
      ["SECRET", 1],
    ]);
    expect(report.today).toMatchObject({
      day: today,
      records: 11,
      forwarded: 6,
      blocked: 4,
      quarantined: 1,
      redactions: 2,
      delivered: { batches: 2 },
    });
    expect(report.totals.records).toBe(11);
    expect(report.days.at(-1)).toMatchObject({ day: today, records: 11, blocked: 4 });
    expect(report.tenants.map((t) => [t.tenant, t.region, t.records, t.redactions])).toEqual([
      ["acme-eu", "eu", 9, 2],
      ["acme-us", "us", 2, 0],
    ]);
    const euRegion = report.regions.find((r) => r.region === "eu");
    const usRegion = report.regions.find((r) => r.region === "us");
    expect(euRegion?.delivered).toEqual([
      {
        destination: `127.0.0.1:${eu.port}`,
        batches: 1,
        bytes: eu.received.reduce((n, r) => n + r.body.length, 0),
      },
    ]);
    expect(usRegion?.delivered.map((d) => d.destination)).toEqual([`127.0.0.1:${us.port}`]);
    expect(euRegion?.bytesOut).toBe(report.tenants[0]?.bytesOut);
    expect(report.totals.bytesIn).toBeGreaterThan(report.totals.bytesOut);

    // Counts only: nothing a sender wrote is in the public answer.
    const text = JSON.stringify(report);
    for (const secret of [EMAIL, SECRET, SENDER_EVENT, "bob.jones", "quarterly", "not JSON"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("bounds the range to 1 to 90 days", async () => {
    expect((await stats("?days=90")).body.days).toHaveLength(90);
    expect((await stats("?days=1")).body.days).toHaveLength(1);
    for (const bad of ["0", "91", "-1", "1e1", "abc", ""]) {
      const { status, body } = await stats(`?days=${bad}`);
      expect(status, bad).toBe(400);
      expect((body as unknown as { error: { code: string } }).error.code).toBe("E_INVALID_INPUT");
    }
  });

  it("publishes the dictionary in force: every field with type, purpose, sensitivity, retention", async () => {
    const response = await fetch(`${world.url}/api/v1/gateway/dictionary`);
    expect(response.status).toBe(200);
    const dictionary = (await response.json()) as PublishedDictionary;
    expect(dictionary).toMatchObject({ name: "edr", version: "2026.11.23.1", verified: false });
    expect(dictionary.common.find((f) => f.path === "resource/service.name")).toMatchObject({
      type: "string",
      sensitivity: "technical",
      retentionDays: 30,
    });
    const write = dictionary.events.find((e) => e.name === "file_write");
    expect(write?.fields.find((f) => f.path === "path")).toMatchObject({
      type: "path",
      purpose: expect.any(String),
      sensitivity: expect.any(String),
      retentionDays: expect.any(Number),
      required: expect.any(Boolean),
    });
    for (const event of dictionary.events) {
      for (const field of [...dictionary.common, ...event.fields]) {
        expect(field.purpose.length, `${event.name}/${field.path}`).toBeGreaterThan(0);
      }
    }
  });
});
