import { afterEach, describe, expect, it } from "vitest";
import { backends } from "../../../test/support/backends.js";
import { isCrosscheckError } from "../../errors/index.js";
import {
  type NewBatch,
  type NewDecision,
  openGatewayStore,
  type SpoolLimits,
  tallyDecisions,
} from "./index.js";

const enc = new TextEncoder();
const roomy: SpoolLimits = { maxPendingBytes: 1 << 20, maxPendingBatches: 1000 };

function newBatch(over: Partial<NewBatch> = {}): NewBatch {
  return {
    tenant: "acme",
    region: "eu",
    kind: "records",
    contentType: "application/x-ndjson",
    body: enc.encode('{"a":1}\n{"a":2}\n'),
    records: 2,
    headers: { "X-Test": "yes" },
    receivedAt: "2026-11-23T10:00:00.000Z",
    decisions: [
      {
        seq: 0,
        commitment: "aa".repeat(32),
        eventType: "process_start",
        action: "forward",
        redactions: [{ field: "user", entity: "PERSON", action: "mask" }],
        bytesIn: 30,
        bytesOut: 8,
      },
      {
        seq: 1,
        commitment: "bb".repeat(32),
        eventType: null,
        action: "block",
        redactions: [],
        bytesIn: 12,
        bytesOut: 0,
        reason: "undeclared field",
      },
    ],
    auditEntry: enc.encode("audit entry"),
    ...over,
  };
}

/** A decision of `eventType` with the given action, sizes and redacted entities. */
function decision(
  seq: number,
  eventType: string | null,
  action: NewDecision["action"],
  bytesIn: number,
  entities: string[] = [],
): NewDecision {
  return {
    seq,
    commitment: seq.toString(16).padStart(64, "0"),
    eventType,
    action,
    redactions: entities.map((entity) => ({ field: `${eventType}/f`, entity, action: "mask" })),
    bytesIn,
    bytesOut: action === "forward" ? bytesIn - 1 : 0,
    ...(action === "forward" ? {} : { reason: "test" }),
  };
}

const zero = { records: 0, forwarded: 0, blocked: 0, quarantined: 0, bytesIn: 0, bytesOut: 0 };

describe("a batch's tally", () => {
  it("counts per event type and entity, publishing only declared, well-formed names", () => {
    const tally = tallyDecisions(
      [
        decision(0, "process_start", "forward", 10, ["EMAIL", "EMAIL"]),
        decision(1, "process_start", "block", 20, ["SECRET"]),
        decision(2, "alice@example.com", "block", 30),
        decision(3, "not_declared", "block", 40),
        decision(4, null, "block", 5),
        decision(5, "file_write", "forward", 7, ["IPV4"]),
      ],
      { declared: (name) => name === "process_start" || name === "file_write" },
    );
    expect(tally.events).toEqual([
      { ...zero, eventType: "(none)", records: 1, blocked: 1, bytesIn: 5 },
      { ...zero, eventType: "(undeclared)", records: 2, blocked: 2, bytesIn: 70 },
      { ...zero, eventType: "file_write", records: 1, forwarded: 1, bytesIn: 7, bytesOut: 6 },
      {
        eventType: "process_start",
        records: 2,
        forwarded: 1,
        blocked: 1,
        quarantined: 0,
        bytesIn: 30,
        bytesOut: 9,
      },
    ]);
    expect(tally.redactions).toEqual({ EMAIL: 2, SECRET: 1, IPV4: 1 });
    // A sample has no event type: it counts under the name its audit entry uses.
    expect(
      tallyDecisions([decision(0, null, "quarantine", 99)], { untyped: "sample:document" }).events,
    ).toEqual([{ ...zero, eventType: "sample:document", records: 1, quarantined: 1, bytesIn: 99 }]);
    // A name a dictionary could never declare is not published even without a dictionary.
    expect(tallyDecisions([decision(0, "<b>x</b>", "block", 1)]).events[0]?.eventType).toBe(
      "(undeclared)",
    );
  });
});

for (const backend of backends) {
  describe.runIf(backend.available)(`gateway store on ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup() {
      const db = await backend.create();
      cleanups.push(() => db.dispose());
      const store = await openGatewayStore(db.database);
      return { db, store };
    }

    it("stores a batch with its decisions and hands it out once due", async () => {
      const { store } = await setup();
      const batch = newBatch();
      const r = await store.enqueue(batch, roomy);
      expect(r.duplicate).toBe(false);
      expect(r.idempotencyKey).toMatch(/^[0-9a-f]{32}$/);
      expect(await store.spoolStats()).toEqual({ pendingBatches: 1, pendingBytes: 16 });

      const row = await store.batch(r.id);
      expect(row).toMatchObject({
        id: r.id,
        tenant: "acme",
        region: "eu",
        kind: "records",
        records: 2,
        bytes: 16,
        state: "pending",
        attempts: 0,
        sentAt: null,
        sentTo: null,
        upstreamStatus: null,
        lastError: null,
        auditIndex: null,
        idempotencyKey: r.idempotencyKey,
      });
      const decisions = await store.decisions(r.id);
      expect(decisions).toEqual(batch.decisions.map((d) => ({ ...d, batchId: r.id })));

      const [claimed, ...rest] = await store.claimDue(new Date(), 10, 60_000);
      expect(rest).toEqual([]);
      expect(claimed).toEqual({
        id: r.id,
        tenant: "acme",
        region: "eu",
        idempotencyKey: r.idempotencyKey,
        kind: "records",
        contentType: "application/x-ndjson",
        body: batch.body,
        headers: { "X-Test": "yes" },
        records: 2,
        attempts: 1,
      });
    });

    it("returns the first batch for a repeated sender key and stores nothing", async () => {
      const { store } = await setup();
      const first = await store.enqueue(newBatch({ senderKey: "k1" }), roomy);
      const again = await store.enqueue(newBatch({ senderKey: "k1", records: 1 }), roomy);
      expect(again).toEqual({ ...first, duplicate: true });
      // The same sender key from another tenant is another batch.
      const other = await store.enqueue(newBatch({ senderKey: "k1", tenant: "globex" }), roomy);
      expect(other.duplicate).toBe(false);
      expect(await store.spoolStats()).toEqual({ pendingBatches: 2, pendingBytes: 32 });
      expect(await store.batches({ limit: 10 })).toHaveLength(2);
    });

    it("gives every batch its own idempotency key", async () => {
      const { store } = await setup();
      const keys = new Set<string>();
      for (let i = 0; i < 50; i++)
        keys.add((await store.enqueue(newBatch(), roomy)).idempotencyKey);
      expect(keys.size).toBe(50);
    });

    it("uses the caller's idempotency key when given, and refuses one already in use", async () => {
      const { store } = await setup();
      const a = await store.enqueue(newBatch({ idempotencyKey: "gw1-0001" }), roomy);
      expect(a.idempotencyKey).toBe("gw1-0001");
      expect((await store.batch(a.id))?.idempotencyKey).toBe("gw1-0001");
      await expect(
        store.enqueue(newBatch({ idempotencyKey: "gw1-0001" }), roomy),
      ).rejects.toMatchObject({
        code: "E_IDEMPOTENCY_KEY",
      });
      await expect(
        store.enqueue(newBatch({ idempotencyKey: "has space" }), roomy),
      ).rejects.toMatchObject({
        code: "E_IDEMPOTENCY_KEY",
      });
      // A sender's retry carrying a new key is still the first batch.
      const s1 = await store.enqueue(
        newBatch({ senderKey: "s", idempotencyKey: "gw1-0002" }),
        roomy,
      );
      const s2 = await store.enqueue(
        newBatch({ senderKey: "s", idempotencyKey: "gw1-0003" }),
        roomy,
      );
      expect(s2).toEqual({ id: s1.id, duplicate: true, idempotencyKey: "gw1-0002" });
      expect(await store.spoolStats()).toEqual({ pendingBatches: 2, pendingBytes: 32 });
    });

    it("stores a batch with nothing to forward as done, outside the spool", async () => {
      const { store } = await setup();
      const r = await store.enqueue(newBatch({ body: new Uint8Array(0), records: 0 }), {
        maxPendingBatches: 0,
        maxPendingBytes: 0,
      });
      expect((await store.batch(r.id))?.state).toBe("empty");
      expect(await store.claimDue(new Date(), 10, 60_000)).toEqual([]);
      expect(await store.spoolStats()).toEqual({ pendingBatches: 0, pendingBytes: 0 });
      expect((await store.unaudited(10)).map((u) => u.id)).toEqual([r.id]);
    });

    it("refuses with E_SPOOL_FULL at the limit, stores nothing, and accepts again after draining", async () => {
      const { store } = await setup();
      const limits = { maxPendingBatches: 3, maxPendingBytes: 40 };
      const a = await store.enqueue(newBatch(), limits);
      await store.enqueue(newBatch(), limits);
      // 32 bytes pending: a third 16-byte batch would pass the byte limit.
      await expect(store.enqueue(newBatch({ senderKey: "s" }), limits)).rejects.toMatchObject({
        code: "E_SPOOL_FULL",
      });
      expect(await store.batches({ limit: 10 })).toHaveLength(2);
      // A refused sender key was not remembered: its retry is a new batch once there is room.
      await store.markSent(a.id, {
        address: "127.0.0.1:1",
        status: 200,
        at: "2026-11-23T10:00:01Z",
      });
      const retried = await store.enqueue(newBatch({ senderKey: "s" }), limits);
      expect(retried.duplicate).toBe(false);
      // A small one fits the bytes; then the batch count is at its limit.
      await store.enqueue(newBatch({ body: enc.encode("x"), records: 1 }), limits);
      expect(await store.spoolStats()).toEqual({ pendingBatches: 3, pendingBytes: 33 });
      const full = await store
        .enqueue(newBatch({ body: enc.encode("y"), records: 1 }), limits)
        .catch((e) => e);
      expect(isCrosscheckError(full, "E_SPOOL_FULL")).toBe(true);
      expect(full.message).toMatch(/retry later/);
    });

    it("counts batches against the limit and frees room when one leaves the spool", async () => {
      const { store } = await setup();
      const limits = { maxPendingBatches: 2, maxPendingBytes: 1000 };
      const a = await store.enqueue(newBatch(), limits);
      const b = await store.enqueue(newBatch(), limits);
      await expect(store.enqueue(newBatch(), limits)).rejects.toMatchObject({
        code: "E_SPOOL_FULL",
      });
      await store.markSent(a.id, {
        address: "127.0.0.1:1",
        status: 200,
        at: "2026-11-23T10:00:01Z",
      });
      // Marking twice gives nothing back twice.
      await store.markSent(a.id, {
        address: "127.0.0.1:1",
        status: 200,
        at: "2026-11-23T10:00:01Z",
      });
      expect(await store.spoolStats()).toEqual({ pendingBatches: 1, pendingBytes: 16 });
      await store.enqueue(newBatch(), limits);
      await store.markRejected(b.id, { status: 400, error: "bad", address: "127.0.0.1:1" });
      expect(await store.spoolStats()).toEqual({ pendingBatches: 1, pendingBytes: 16 });
    });

    it("refuses a batch larger than the whole spool with its own code", async () => {
      const { store } = await setup();
      await expect(
        store.enqueue(newBatch(), { maxPendingBatches: 10, maxPendingBytes: 4 }),
      ).rejects.toMatchObject({ code: "E_BATCH_TOO_LARGE" });
    });

    it("leases a claimed batch until it expires or is marked", async () => {
      const { store } = await setup();
      const t0 = new Date("2026-11-23T10:00:00Z");
      const { id } = await store.enqueue(newBatch(), roomy);
      expect(await store.claimDue(t0, 10, 1000)).toHaveLength(1);
      expect(await store.claimDue(new Date(t0.getTime() + 999), 10, 1000)).toEqual([]);
      const again = await store.claimDue(new Date(t0.getTime() + 1000), 10, 1000);
      expect(again.map((b) => [b.id, b.attempts])).toEqual([[id, 2]]);

      await store.markRetry(id, {
        nextAttemptAt: new Date(t0.getTime() + 5000),
        error: "upstream answered 503",
        address: "127.0.0.1:9",
      });
      expect(await store.claimDue(new Date(t0.getTime() + 4999), 10, 1000)).toEqual([]);
      const row = await store.batch(id);
      expect(row).toMatchObject({
        state: "pending",
        lastError: "upstream answered 503",
        sentTo: "127.0.0.1:9",
      });
      expect(await store.claimDue(new Date(t0.getTime() + 5000), 10, 1000)).toHaveLength(1);
    });

    it("claims each batch by one claimer only, across connections", async () => {
      const { db, store } = await setup();
      const other = await openGatewayStore(await db.reopen());
      const ids: number[] = [];
      for (let i = 0; i < 40; i++) ids.push((await store.enqueue(newBatch(), roomy)).id);
      const now = new Date();
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? store : other).claimDue(now, 7, 60_000)),
      );
      const claimed = claims.flat().map((b) => b.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort((a, b) => a - b)).toEqual(ids);
    });

    it("holds the spool limit exactly under concurrent enqueues from two connections", async () => {
      const { db, store } = await setup();
      const other = await openGatewayStore(await db.reopen());
      const limits = { maxPendingBatches: 7, maxPendingBytes: 1 << 20 };
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? store : other).enqueue(newBatch(), limits)),
      );
      const accepted = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter(
        (r) => r.status === "rejected" && isCrosscheckError(r.reason, "E_SPOOL_FULL"),
      );
      expect(accepted).toHaveLength(7);
      expect(refused).toHaveLength(23);
      expect(await store.spoolStats()).toEqual({ pendingBatches: 7, pendingBytes: 7 * 16 });
    });

    it("stores a sender key once when its batch arrives twice at the same time", async () => {
      const { db, store } = await setup();
      const other = await openGatewayStore(await db.reopen());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? store : other).enqueue(newBatch({ senderKey: "same" }), roomy),
        ),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(new Set(results.map((r) => r.idempotencyKey)).size).toBe(1);
      expect(await store.spoolStats()).toEqual({ pendingBatches: 1, pendingBytes: 16 });
      expect(await store.decisions(results[0]?.id ?? 0)).toHaveLength(2);
    });

    it("records where a batch went and frees its body", async () => {
      const { store } = await setup();
      const { id } = await store.enqueue(newBatch(), roomy);
      await store.claimDue(new Date(), 1, 1000);
      await store.markSent(id, {
        address: "[::1]:8443",
        status: 202,
        at: "2026-11-23T10:00:02.000Z",
      });
      expect(await store.batch(id)).toMatchObject({
        state: "sent",
        sentTo: "[::1]:8443",
        upstreamStatus: 202,
        sentAt: "2026-11-23T10:00:02.000Z",
        attempts: 1,
      });
      // Neither a late retry nor a rejection moves a sent batch.
      await store.markRetry(id, { nextAttemptAt: new Date(0), error: "late" });
      await store.markRejected(id, { status: 400, error: "late", address: "x:1" });
      expect(await store.batch(id)).toMatchObject({ state: "sent", lastError: null });
      expect(await store.claimDue(new Date(), 10, 1000)).toEqual([]);
    });

    it("keeps a rejected batch visible and never hands it out again", async () => {
      const { store } = await setup();
      const { id } = await store.enqueue(newBatch(), roomy);
      await store.markRejected(id, {
        status: 422,
        error: "upstream answered 422",
        address: "127.0.0.1:5",
      });
      expect(await store.batch(id)).toMatchObject({
        state: "rejected",
        upstreamStatus: 422,
        lastError: "upstream answered 422",
        sentTo: "127.0.0.1:5",
      });
      expect(await store.claimDue(new Date(), 10, 1000)).toEqual([]);
    });

    it("hands out audit entries until they are recorded in the log", async () => {
      const { store } = await setup();
      const a = await store.enqueue(newBatch({ auditEntry: enc.encode("A") }), roomy);
      const b = await store.enqueue(newBatch({ auditEntry: enc.encode("B") }), roomy);
      expect(await store.unaudited(10)).toEqual([
        { id: a.id, auditEntry: enc.encode("A") },
        { id: b.id, auditEntry: enc.encode("B") },
      ]);
      await store.markAudited(a.id, 7);
      await store.markAudited(a.id, 9); // a second record never moves the first
      expect(await store.unaudited(10)).toEqual([{ id: b.id, auditEntry: enc.encode("B") }]);
      expect((await store.batch(a.id))?.auditIndex).toBe(7);
    });

    it("lists batches newest first, per tenant, page by page", async () => {
      const { store } = await setup();
      const ids: number[] = [];
      for (const tenant of ["a", "b", "a", "a", "b"]) {
        ids.push((await store.enqueue(newBatch({ tenant }), roomy)).id);
      }
      const as = await store.batches({ tenant: "a", limit: 2 });
      expect(as.map((r) => r.id)).toEqual([ids[3], ids[2]]);
      const next = await store.batches({ tenant: "a", limit: 2, before: ids[2] });
      expect(next.map((r) => r.id)).toEqual([ids[0]]);
      expect((await store.batches({ limit: 100 })).map((r) => r.id)).toEqual([...ids].reverse());
      expect(await store.batch(999_999)).toBeUndefined();
    });

    it("keeps a held sample's metadata with its batch, and names it again for a retry", async () => {
      const { store } = await setup();
      const held = {
        sha256: "cd".repeat(32),
        size: 1234,
        detectedType: "document",
        reason: "documents are quarantined",
      };
      const receivedAt = "2026-11-23T10:00:00.000Z";
      const sample = (tenant: string, senderKey: string) =>
        newBatch({ kind: "sample", tenant, senderKey, receivedAt, records: 0, quarantine: held });
      const a = await store.enqueue(sample("acme", "s-1"), roomy);
      const b = await store.enqueue(sample("globex", "s-1"), roomy);
      const again = await store.enqueue(sample("acme", "s-1"), roomy);
      expect(again).toMatchObject({ id: a.id, duplicate: true, quarantine: a.quarantine });
      const row = { ...held, tenant: "acme", receivedAt, id: a.quarantine, batchId: a.id };
      expect(await store.quarantined(a.quarantine as number)).toEqual(row);
      expect(await store.quarantine({ limit: 10 })).toEqual([
        { ...row, tenant: "globex", id: b.quarantine, batchId: b.id },
        row,
      ]);
      expect((await store.quarantine({ tenant: "acme", limit: 10 })).map((r) => r.id)).toEqual([
        a.quarantine,
      ]);
      expect(await store.quarantined((b.quarantine as number) + 100)).toBeUndefined();
    });

    it("hands out deliveries to log once the vendor answered and the batch entry is logged", async () => {
      const { store } = await setup();
      const a = await store.enqueue(newBatch(), roomy);
      const b = await store.enqueue(newBatch(), roomy);
      await store.claimDue(new Date(), 10, 1000);
      await store.markSent(a.id, {
        address: "127.0.0.1:9",
        status: 202,
        at: "2026-11-23T10:00:01Z",
      });
      await store.markRejected(b.id, { status: 422, error: "no", address: "127.0.0.1:9" });
      expect(await store.undelivered(10)).toEqual([]); // batch entries not logged yet
      await store.markAudited(a.id, 0);
      await store.markAudited(b.id, 1);
      expect(await store.undelivered(10)).toEqual([
        {
          id: a.id,
          tenant: "acme",
          region: "eu",
          idempotencyKey: a.idempotencyKey,
          sentTo: "127.0.0.1:9",
          upstreamStatus: 202,
          at: "2026-11-23T10:00:01Z",
        },
        expect.objectContaining({ id: b.id, upstreamStatus: 422, sentTo: "127.0.0.1:9" }),
      ]);
      await store.markDeliveryLogged(a.id, 2);
      await store.markDeliveryLogged(a.id, 5); // a second record never moves the first
      expect((await store.undelivered(10)).map((r) => r.id)).toEqual([b.id]);
      expect((await store.batch(a.id))?.deliveryIndex).toBe(2);
    });

    it("counts every stored batch per day, tenant, region and event type, and nothing else", async () => {
      const { store } = await setup();
      await store.enqueue(newBatch({ senderKey: "k1" }), roomy);
      // A retry of a stored batch, and a batch the full spool refused, add nothing.
      await store.enqueue(newBatch({ senderKey: "k1" }), roomy);
      await expect(
        store.enqueue(newBatch(), { maxPendingBatches: 1, maxPendingBytes: 1 << 20 }),
      ).rejects.toThrow(/spool is full/);
      await store.enqueue(
        newBatch({
          tenant: "globex",
          region: "us",
          receivedAt: "2026-11-23T23:59:59.999Z",
          tally: tallyDecisions([
            decision(0, "process_start", "forward", 100, ["EMAIL"]),
            decision(1, "file_write", "block", 50, ["SECRET", "EMAIL"]),
          ]),
        }),
        roomy,
      );
      // UTC days: 00:30 at UTC+02:00 is still the 23rd in UTC.
      await store.enqueue(newBatch({ receivedAt: "2026-11-24T00:30:00+02:00" }), roomy);
      await store.enqueue(newBatch({ receivedAt: "2026-11-24T08:00:00Z" }), roomy);

      const day1 = await store.statistics({ from: "2026-11-23", to: "2026-11-23" });
      expect(day1.events).toEqual([
        { ...zero, day: "2026-11-23", eventType: "(none)", records: 2, blocked: 2, bytesIn: 24 },
        {
          ...zero,
          day: "2026-11-23",
          eventType: "file_write",
          records: 1,
          blocked: 1,
          bytesIn: 50,
        },
        {
          day: "2026-11-23",
          eventType: "process_start",
          records: 3,
          forwarded: 3,
          blocked: 0,
          quarantined: 0,
          bytesIn: 160,
          bytesOut: 115,
        },
      ]);
      expect(day1.tenants).toEqual([
        {
          ...zero,
          tenant: "acme",
          records: 4,
          forwarded: 2,
          blocked: 2,
          bytesIn: 84,
          bytesOut: 16,
          redactions: 2,
        },
        {
          ...zero,
          tenant: "globex",
          records: 2,
          forwarded: 1,
          blocked: 1,
          bytesIn: 150,
          bytesOut: 99,
          redactions: 3,
        },
      ]);
      expect(day1.regions.map((r) => [r.region, r.records, r.bytesOut])).toEqual([
        ["eu", 4, 16],
        ["us", 2, 99],
      ]);
      expect(day1.redactions).toEqual([
        { day: "2026-11-23", entity: "EMAIL", count: 2 },
        { day: "2026-11-23", entity: "PERSON", count: 2 },
        { day: "2026-11-23", entity: "SECRET", count: 1 },
      ]);

      const both = await store.statistics({ from: "2026-11-22", to: "2026-11-30" });
      expect(both.events.filter((e) => e.day === "2026-11-24")).toEqual([
        { ...zero, day: "2026-11-24", eventType: "(none)", records: 1, blocked: 1, bytesIn: 12 },
        {
          ...zero,
          day: "2026-11-24",
          eventType: "process_start",
          records: 1,
          forwarded: 1,
          bytesIn: 30,
          bytesOut: 8,
        },
      ]);
      expect(both.tenants.find((t) => t.tenant === "acme")?.records).toBe(6);
      expect(await store.statistics({ from: "2026-11-25", to: "2026-12-31" })).toEqual({
        events: [],
        tenants: [],
        regions: [],
        redactions: [],
        deliveries: [],
      });
    });

    it("counts a sent batch's bytes per day, region and address, once", async () => {
      const { store } = await setup();
      const a = await store.enqueue(newBatch(), roomy);
      const b = await store.enqueue(newBatch({ region: "us" }), roomy);
      const c = await store.enqueue(newBatch(), roomy);
      const d = await store.enqueue(newBatch(), roomy);
      await store.claimDue(new Date(), 10, 60_000);
      const at = "2026-11-23T10:00:01Z";
      await store.markSent(a.id, { address: "192.0.2.1:443", status: 200, at });
      await store.markSent(a.id, { address: "192.0.2.1:443", status: 200, at }); // no-op
      await store.markSent(b.id, { address: "[2001:db8::1]:443", status: 202, at });
      await store.markSent(c.id, {
        address: "192.0.2.1:443",
        status: 200,
        at: "2026-11-24T00:00:00Z",
      });
      await store.markRejected(d.id, { address: "192.0.2.1:443", status: 422, error: "no" });
      const stats = await store.statistics({ from: "2026-11-01", to: "2026-11-30" });
      expect(stats.deliveries).toEqual([
        { day: "2026-11-23", region: "eu", destination: "192.0.2.1:443", batches: 1, bytes: 16 },
        {
          day: "2026-11-23",
          region: "us",
          destination: "[2001:db8::1]:443",
          batches: 1,
          bytes: 16,
        },
        { day: "2026-11-24", region: "eu", destination: "192.0.2.1:443", batches: 1, bytes: 16 },
      ]);
    });

    it("keeps counters exact under concurrent batches from two connections", async () => {
      const { db, store } = await setup();
      const other = await openGatewayStore(await db.reopen());
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).enqueue(newBatch(), roomy)),
      );
      const stats = await other.statistics({ from: "2026-11-23", to: "2026-11-23" });
      expect(stats.events.map((e) => [e.eventType, e.records])).toEqual([
        ["(none)", 20],
        ["process_start", 20],
      ]);
      expect(stats.redactions).toEqual([{ day: "2026-11-23", entity: "PERSON", count: 20 }]);
    });

    it("keeps the spool across a restart", async () => {
      const { db, store } = await setup();
      const { id, idempotencyKey } = await store.enqueue(newBatch(), roomy);
      const reopened = await openGatewayStore(await db.reopen());
      expect(await reopened.spoolStats()).toEqual({ pendingBatches: 1, pendingBytes: 16 });
      const [b] = await reopened.claimDue(new Date(), 10, 1000);
      expect(b).toMatchObject({ id, idempotencyKey });
    });
  });
}
