/**
 * The telemetry gateway end to end, against real vendor upstreams on loopback: clean records arrive
 * intact, undeclared data is blocked, every kind of personal data is redacted in plain and in each
 * encoding, disguised documents are quarantined, EU data never reaches a US endpoint, an upstream
 * outage loses nothing and duplicates nothing, and every decision is in the audit log.
 */

import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisionsRoot, loadTenantSecret, tenantKeys } from "../src/gateway/index.js";
import { decodeEntryBundle } from "../src/merkle/index.js";
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

const PII: Record<string, string> = {
  EMAIL: "alice.smith@example.com",
  PHONE: "+1 415-555-0132",
  IPV4: "203.0.113.45",
  IPV6: "2001:db8:85a3::8a2e:370:7334",
  MAC: "00:1A:2B:3C:4D:5E",
  CREDIT_CARD: "4111 1111 1111 1111",
  IBAN: "DE89 3704 0044 0532 0130 00",
  US_SSN: "536-22-8471",
  NATIONAL_ID: "AB 12 34 56 C",
  PATH_USER: "C:\\Users\\jdoe\\Documents\\salaries.xlsx",
  HOSTNAME: "fileserver01.corp.example.com",
  DOMAIN_ACCOUNT: "CORP\\jdoe",
  SECRET: "AKIAIOSFODNN7EXAMPLE",
  PERSON: "Please call Margaret Thompson tomorrow",
};

/**
 * The part of each value that must not leave in any form: what makes it personal (a user name in
 * a path, a person's surname, the digits of a card), not the whole planted string.
 */
const CORE: Record<string, string[]> = {
  EMAIL: ["alice.smith"],
  PHONE: ["555-0132"],
  IPV4: ["203.0.113.45"],
  IPV6: ["8a2e:370:7334"],
  MAC: ["3C:4D:5E"],
  CREDIT_CARD: ["1111 1111 1111"],
  IBAN: ["0532 0130"],
  US_SSN: ["536-22-8471"],
  NATIONAL_ID: ["12 34 56"],
  PATH_USER: ["jdoe"],
  HOSTNAME: ["fileserver01"],
  DOMAIN_ACCOUNT: ["jdoe"],
  SECRET: ["AKIAIOSFODNN7EXAMPLE"],
  PERSON: ["Margaret", "Thompson"],
};

/**
 * Every reading of `text` a receiver could make: as is, URL-decoded, and each base64 or hex run
 * decoded (and gunzipped when it is gzip), recursively — an independent check of what left.
 */
function readings(text: string, depth = 0): string[] {
  const out = [text];
  if (depth > 3) return out;
  try {
    const url = decodeURIComponent(text);
    if (url !== text) out.push(...readings(url, depth + 1));
  } catch {
    // not URL-encoded as a whole
  }
  for (const run of text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []) {
    const bytes = Buffer.from(run, "base64");
    const decoded = bytes[0] === 0x1f && bytes[1] === 0x8b ? safeGunzip(bytes) : bytes;
    out.push(...readings(decoded.toString("utf8"), depth + 1));
  }
  for (const run of text.match(/(?:[0-9a-fA-F]{2}){8,}/g) ?? []) {
    out.push(...readings(Buffer.from(run, "hex").toString("utf8"), depth + 1));
  }
  return out;
}

function safeGunzip(bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes);
  } catch {
    return bytes;
  }
}

/** What a careless or hostile sender wraps data in. */
const ENCODINGS: Record<string, (text: string) => string> = {
  plain: (t) => t,
  base64: (t) => Buffer.from(t, "utf8").toString("base64"),
  hex: (t) => Buffer.from(t, "utf8").toString("hex"),
  url: (t) => encodeURIComponent(t),
  json: (t) => JSON.stringify({ note: t, level: 3 }),
  gzip: (t) => gzipSync(Buffer.from(t, "utf8")).toString("base64"),
};

async function post(
  world: GatewayWorld,
  tenant: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${world.url}/v1/events`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...world.auth(tenant), ...headers },
    body,
  });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

describe("the telemetry gateway", () => {
  const eu = new Upstream();
  const us = new Upstream();
  let world: GatewayWorld;

  beforeAll(async () => {
    await eu.start();
    await us.start();
    world = await startGatewayWorld(
      gatewayConfig(eu, us, {
        tenants: [
          // Secrets are masked for this tenant so the test can see them redacted, not just blocked.
          { name: "acme-eu", region: "eu", policy: { entities: { SECRET: "mask" } } },
          { name: "acme-us", region: "us" },
        ],
      }),
    );
  });
  afterAll(async () => {
    await world?.close();
    await eu.stop();
    await us.stop();
  });

  it("forwards declared, clean records intact", async () => {
    const records = [fileWrite(), fileWrite("/var/tmp/cache.bin"), fileWrite()];
    const { status, json } = await post(world, "acme-eu", ndjson(records));
    expect(status).toBe(200);
    expect(json).toMatchObject({ received: 3, forwarded: 3, refused: [] });
    await eventually(() => records.every((r) => eu.records().some((x) => x.id === r.id)));
    for (const record of records) {
      expect(eu.records().find((x) => x.id === record.id)).toEqual(record);
    }
  });

  it("blocks undeclared fields and event types, and says which", async () => {
    const extra: Record<string, unknown> = { ...fileWrite(), owner_email: "bob@example.com" };
    const unknown: Record<string, unknown> = { ...fileWrite(), event: "keystrokes" };
    const clean = fileWrite();
    const { json } = await post(
      world,
      "acme-eu",
      ndjson([extra, unknown, clean, "not json"]).replace('"not json"', "{not json"),
    );
    expect(json.forwarded).toBe(1);
    const refused = json.refused as { index: number; code: string; message: string }[];
    expect(refused.map((r) => [r.index, r.code])).toEqual([
      [0, "E_FIELD_UNDECLARED"],
      [1, "E_EVENT_UNDECLARED"],
      [3, "E_RECORD_JSON"],
    ]);
    expect(refused[0]?.message).toContain("owner_email");
    await eventually(() => eu.records().some((x) => x.id === clean.id));
    const ids = eu.records().map((x) => x.id);
    expect(ids).not.toContain(extra.id);
    expect(ids).not.toContain(unknown.id);
  });

  it("redacts every kind of personal data, in plain and in each encoding", async () => {
    const cases: {
      entity: string;
      encoding: string;
      record: Record<string, unknown>;
      secret: string;
    }[] = [];
    for (const [entity, value] of Object.entries(PII)) {
      for (const [encoding, encode] of Object.entries(ENCODINGS)) {
        const text = `contact ${value} today`;
        const encoded = encode(text);
        cases.push({
          entity,
          encoding,
          secret: value,
          record: scriptBlock(`Write-Output "${encoded}" | Out-Null`),
        });
      }
    }
    const { json } = await post(world, "acme-eu", ndjson(cases.map((c) => c.record)));
    expect(json.refused).toEqual([]);
    const batch = json.batch as number;
    await eventually(() => cases.every((c) => eu.records().some((x) => x.id === c.record.id)));
    const decisions = (await (
      await fetch(`${world.url}/api/v1/gateway/batches/${batch}`, {
        headers: world.auth("auditor"),
      })
    ).json()) as { decisions: { seq: number; redactions: { entity: string }[] }[] };
    const misses: string[] = [];
    for (const [seq, c] of cases.entries()) {
      const out = eu.records().find((x) => x.id === c.record.id) as { script: string };
      const seen = readings(out.script);
      const leaked = (CORE[c.entity] ?? [c.secret]).some((core) =>
        seen.some((reading) => reading.includes(core)),
      );
      const named = decisions.decisions[seq]?.redactions.some((r) => r.entity === c.entity);
      if (leaked || !named)
        misses.push(
          `${c.entity}/${c.encoding}${leaked ? " leaked" : ""}${named ? "" : " not named"}`,
        );
    }
    expect(misses).toEqual([]);
  });

  it("blocks a record carrying a secret under the baseline policy", async () => {
    const record = scriptBlock(`$key = "${PII.SECRET}"`);
    const { json } = await post(world, "acme-us", ndjson([record]));
    expect(json.forwarded).toBe(0);
    expect((json.refused as { code: string }[])[0]?.code).toBe("E_PII_BLOCKED");
  });

  it("replaces declared identifiers by stable per-tenant pseudonyms", async () => {
    const logon = (account: string) => ({
      event: "user_logon",
      id: crypto.randomUUID(),
      time: new Date().toISOString(),
      host_id: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
      account,
      logon_type: 10,
      source_ip: "198.51.100.7",
    });
    const a = logon("CORP\\jdoe");
    const b = logon("CORP\\jdoe");
    const c = logon("CORP\\mrossi");
    await post(world, "acme-eu", ndjson([a, b, c]));
    await eventually(() => [a, b, c].every((r) => eu.records().some((x) => x.id === r.id)));
    const out = (r: { id: string }) =>
      eu.records().find((x) => x.id === r.id) as Record<string, string>;
    expect(out(a).account).toMatch(/^DOMAIN_ACCOUNT_[0-9a-f]{16}$/);
    expect(out(a).account).toBe(out(b).account);
    expect(out(a).account).not.toBe(out(c).account);
    expect(out(a).source_ip).toMatch(/^IPV4_[0-9a-f]{16}$/);
  });

  it("reads every planted value in every encoding as leaked, so the check above can fail", () => {
    for (const [entity, value] of Object.entries(PII)) {
      for (const encode of Object.values(ENCODINGS)) {
        const seen = readings(`Write-Output "${encode(`contact ${value} today`)}"`);
        for (const core of CORE[entity] ?? []) {
          expect(seen.some((r) => r.includes(core))).toBe(true);
        }
      }
    }
  });

  it("keeps an EU tenant's data in the EU and records where it went", async () => {
    const records = Array.from({ length: 20 }, () => fileWrite());
    const { json } = await post(world, "acme-eu", ndjson(records));
    await eventually(() => records.every((r) => eu.records().some((x) => x.id === r.id)));
    expect(us.received.filter((r) => r.tenant === "acme-eu")).toEqual([]);
    expect(us.records().some((x) => records.some((r) => r.id === x.id))).toBe(false);
    await eventually(async () => {
      const batch = (await (
        await fetch(`${world.url}/api/v1/gateway/batches/${json.batch}`, {
          headers: world.auth("acme-eu"),
        })
      ).json()) as { batch: { sentTo: string | null } };
      return batch.batch.sentTo === `127.0.0.1:${eu.port}`;
    });
    // A tenant sees only its own batches.
    const other = await fetch(`${world.url}/api/v1/gateway/batches/${json.batch}`, {
      headers: world.auth("acme-us"),
    });
    expect(other.status).toBe(404);
  });

  it("quarantines a document disguised as a sample; only reviewers may read it", async () => {
    const pdf = Buffer.from(
      "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    );
    const response = await fetch(`${world.url}/v1/samples`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "x-sample-name": "update.exe",
        ...world.auth("acme-eu"),
      },
      body: pdf,
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as {
      action: string;
      quarantine: number;
      type: { kind: string };
    };
    expect(result.type.kind).toBe("document");
    expect(result.action).toBe("quarantine");
    const asTenant = await fetch(
      `${world.url}/api/v1/gateway/quarantine/${result.quarantine}/content`,
      {
        headers: world.auth("acme-eu"),
      },
    );
    expect(asTenant.status).toBe(403);
    const asAdmin = await fetch(
      `${world.url}/api/v1/gateway/quarantine/${result.quarantine}/content`,
      { headers: world.auth("admin") },
    );
    expect(asAdmin.status).toBe(403);
    const asReviewer = await fetch(
      `${world.url}/api/v1/gateway/quarantine/${result.quarantine}/content`,
      {
        headers: world.auth("reviewer"),
      },
    );
    expect(Buffer.from(await asReviewer.arrayBuffer())).toEqual(pdf);
    expect(eu.received.some((r) => r.contentType === "application/octet-stream")).toBe(false);

    // An executable passes, with its digest.
    const elf = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
      Buffer.alloc(120),
    ]);
    const exe = await fetch(`${world.url}/v1/samples`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", ...world.auth("acme-eu") },
      body: elf,
    });
    const sent = (await exe.json()) as { action: string; sha256: string };
    expect(sent.action).toBe("forward");
    await eventually(() => eu.received.some((r) => r.headers["x-sample-sha256"] === sent.sha256));
  });

  it("answers a retried batch from the first and never forwards it twice", async () => {
    const records = [fileWrite(), fileWrite()];
    const first = await post(world, "acme-eu", ndjson(records), { "idempotency-key": "batch-42" });
    const second = await post(world, "acme-eu", ndjson(records), { "idempotency-key": "batch-42" });
    expect(second.json).toMatchObject({ batch: first.json.batch, duplicate: true });
    await eventually(() => records.every((r) => eu.records().some((x) => x.id === r.id)));
    await new Promise((r) => setTimeout(r, 300));
    expect(eu.records().filter((x) => x.id === records[0]?.id)).toHaveLength(1);
  });

  it("refuses senders without a tenant token", async () => {
    const none = await fetch(`${world.url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: ndjson([fileWrite()]),
    });
    expect(none.status).toBe(401);
    const reviewer = await post(world, "reviewer", ndjson([fileWrite()]));
    expect(reviewer.status).toBe(403);
  });

  it("logs every batch and its delivery, committing to each record's decision with the tenant's key", async () => {
    const records = [fileWrite(), scriptBlock(`mail ${PII.EMAIL}`)];
    const body = ndjson(records);
    const { json } = await post(world, "acme-eu", body);
    type Batch = {
      batch: { auditIndex: number | null; deliveryIndex: number | null; idempotencyKey: string };
      decisions: Parameters<typeof decisionsRoot>[0];
    };
    let batch: Batch | undefined;
    await eventually(async () => {
      batch = (await (
        await fetch(`${world.url}/api/v1/gateway/batches/${json.batch}`, {
          headers: world.auth("auditor"),
        })
      ).json()) as Batch;
      return batch.batch.deliveryIndex !== null;
    });
    const entry = await auditEntry(world, batch?.batch.auditIndex as number);
    expect(entry).toMatchObject({
      type: "crosscheck.gateway.batch/v1",
      tenant: "acme-eu",
      records: 2,
      forwarded: 2,
      redactions: { EMAIL: 1 },
    });
    // The tenant recomputes each commitment from the line it sent, with its own key, and the
    // root over the decisions the gateway shows: neither can have changed since it was logged.
    const keys = tenantKeys(loadTenantSecret(join(world.dir, "tenant-keys"), "acme-eu"));
    const lines = body.split("\n").filter((l) => l.length > 0);
    const decisions = batch?.decisions ?? [];
    expect(decisions.map((d) => d.commitment)).toEqual(lines.map((l) => keys.commit(l)));
    expect(decisions[1]?.redactions).toEqual([
      { field: "script_block/script", entity: "EMAIL", action: "mask" },
    ]);
    expect(entry.decisionsRoot).toBe(decisionsRoot(decisions));
    const altered = decisions.map((d, i) => (i === 1 ? { ...d, redactions: [] } : d));
    expect(entry.decisionsRoot).not.toBe(decisionsRoot(altered));
    expect(JSON.stringify(entry)).not.toContain(PII.EMAIL);
    // Where the bytes went is on record too, after the batch.
    const delivery = await auditEntry(world, batch?.batch.deliveryIndex as number);
    expect(batch?.batch.deliveryIndex).toBeGreaterThan(batch?.batch.auditIndex as number);
    expect(delivery).toMatchObject({
      type: "crosscheck.gateway.delivery/v1",
      tenant: "acme-eu",
      region: "eu",
      batch: batch?.batch.idempotencyKey,
      sentTo: `127.0.0.1:${eu.port}`,
      status: 200,
    });
  });
});

/** The audit log's entry at `index`, read through its public C2SP API. */
async function auditEntry(world: GatewayWorld, index: number): Promise<Record<string, unknown>> {
  let entry: Record<string, unknown> | undefined;
  await eventually(async () => {
    const checkpoint = await (await fetch(`${world.url}/gateway/log/checkpoint`)).text();
    const size = Number(checkpoint.split("\n")[1]);
    if (index >= size) return false;
    const tileIndex = Math.floor(index / 256);
    const full = (tileIndex + 1) * 256 <= size;
    const path = `${world.url}/gateway/log/tile/entries/${String(tileIndex).padStart(3, "0")}${full ? "" : `.p/${size - tileIndex * 256}`}`;
    const bundle = decodeEntryBundle(new Uint8Array(await (await fetch(path)).arrayBuffer()));
    entry = JSON.parse(Buffer.from(bundle[index % 256] as Uint8Array).toString("utf8"));
    return true;
  });
  return entry as Record<string, unknown>;
}

describe("the gateway while its vendor is down", () => {
  it("accepts, spools and delivers every record exactly once when the vendor returns", async () => {
    const eu = await new Upstream().start();
    const us = await new Upstream().start();
    const world = await startGatewayWorld(gatewayConfig(eu, us));
    try {
      const port = eu.port;
      await eu.stop();
      const sent: string[] = [];
      for (let i = 0; i < 10; i++) {
        const records = Array.from({ length: 25 }, () => fileWrite());
        const { status } = await post(world, "acme-eu", ndjson(records));
        expect(status).toBe(200);
        sent.push(...records.map((r) => r.id as string));
      }
      await new Promise((r) => setTimeout(r, 1500));
      const status = (await (await fetch(`${world.url}/api/v1/gateway/status`)).json()) as {
        spool: { pendingBatches: number };
      };
      expect(status.spool.pendingBatches).toBe(10);
      // The US endpoint was up the whole time: an EU batch is never sent there instead.
      expect(us.received).toEqual([]);
      await eu.start(port);
      await eventually(() => eu.records().length >= sent.length, 30_000);
      expect(us.received).toEqual([]);
      const ids = eu.records().map((x) => x.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual([...sent].sort());
    } finally {
      await world.close();
      await eu.stop();
      await us.stop();
    }
  }, 60_000);

  it("pushes back with 429 and Retry-After when the spool is full, and drops nothing", async () => {
    const eu = await new Upstream().start();
    const us = await new Upstream().start();
    const world = await startGatewayWorld(
      gatewayConfig(eu, us, { limits: { maxPendingBatches: 3 } }),
    );
    try {
      eu.failWith = 503;
      const accepted: string[] = [];
      let pushedBack = 0;
      for (let i = 0; i < 6; i++) {
        const record = fileWrite();
        const { status, headers } = await post(world, "acme-eu", ndjson([record]));
        if (status === 200) accepted.push(record.id as string);
        else {
          expect(status).toBe(429);
          expect(headers.get("retry-after")).toBeTruthy();
          pushedBack++;
        }
      }
      expect(accepted).toHaveLength(3);
      expect(pushedBack).toBe(3);
      eu.failWith = undefined;
      await eventually(() => accepted.every((id) => eu.records().some((x) => x.id === id)), 30_000);
    } finally {
      await world.close();
      await eu.stop();
      await us.stop();
    }
  }, 60_000);
});
