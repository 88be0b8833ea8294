/**
 * The telemetry audit gateway as one service object: what the HTTP routes call. A batch is
 * processed (dictionary, personal data, tenant policy), then its forwardable records, every
 * decision and its audit entry are committed to the spool in one transaction — only then is the
 * sender answered, so an acknowledged record is never lost. Two background loops follow: the
 * forwarder drains the spool to the tenant's region, and the auditor appends the spooled audit
 * entries (and one delivery entry per sent batch) to the public audit log.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { CompiledDictionary } from "../dictionary/index.js";
import { CrosscheckError } from "../errors/index.js";
import type { TransparencyLog } from "../log/index.js";
import { syncDirectory } from "../store/index.js";
import { batchEntry, deliveryEntry } from "./audit.js";
import type { GatewayConfig } from "./config.js";
import type { DictionarySource } from "./dictionary-source.js";
import { Forwarder } from "./forward/index.js";
import { type InputRecord, processBatch, type TenantRuntime } from "./pipeline.js";
import { TenantPolicy } from "./redaction-policy.js";
import { classifySample, receiveSample, type SampleType } from "./samples/index.js";
import {
  type GatewayStatistics,
  type GatewayStore,
  type NewDecision,
  tallyDecisions,
  type UndeliveredRow,
  utcDay,
} from "./storage/index.js";
import type { TenantKeys } from "./tenant-keys.js";

export interface GatewayOptions {
  config: GatewayConfig;
  store: GatewayStore;
  /** The gateway's own transparency log, where audit entries go. */
  auditLog: TransparencyLog;
  dictionary: DictionarySource;
  keys: ReadonlyMap<string, TenantKeys>;
  /** Folder for samples: `incoming/` while received, `quarantine/` for held ones. */
  samplesDir: string;
  forwarder?: {
    ca?: string | Buffer;
    backoff?: { baseMs: number; maxMs: number };
    timeoutMs?: number;
  };
  warn?: (message: string) => void;
  now?: () => Date;
  /** How often the dictionary source looks for a newer published dictionary. */
  dictionaryRefreshMs?: number;
  /**
   * This process is the spool's only user (SQLite): leases a killed predecessor held are ended at
   * start instead of waiting for them to expire.
   */
  exclusiveSpool?: boolean;
}

export interface IngestResult {
  batch: number;
  duplicate: boolean;
  received: number;
  forwarded: number;
  refused: { index: number; code: string; message: string }[];
}

export interface SampleResult {
  batch: number;
  duplicate: boolean;
  sha256: string;
  size: number;
  type: SampleType;
  action: "forward" | "quarantine";
  quarantine?: number;
}

const AUDIT_IDLE_MS = 500;

export class TelemetryGateway {
  readonly config: GatewayConfig;
  readonly store: GatewayStore;
  readonly auditLog: TransparencyLog;
  readonly dictionary: DictionarySource;
  private readonly tenants = new Map<string, TenantRuntime>();
  private readonly forwarder: Forwarder;
  private readonly warn: (message: string) => void;
  private readonly now: () => Date;
  private readonly incomingDir: string;
  private readonly quarantineDir: string;
  private readonly refreshMs: number;
  private auditTimer: NodeJS.Timeout | undefined;
  private auditing: Promise<void> | undefined;
  private auditAgain = false;
  private closed = false;
  private readonly exclusiveSpool: boolean;
  private lastEagerRefresh = 0;

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.store = options.store;
    this.auditLog = options.auditLog;
    this.dictionary = options.dictionary;
    this.warn = options.warn ?? ((message) => process.stderr.write(`${message}\n`));
    this.now = options.now ?? (() => new Date());
    this.refreshMs = options.dictionaryRefreshMs ?? 10_000;
    this.exclusiveSpool = options.exclusiveSpool ?? false;
    for (const tenant of options.config.tenants.values()) {
      const keys = options.keys.get(tenant.name);
      if (!keys) {
        throw new CrosscheckError("E_TENANT_KEY", `Tenant ${tenant.name} has no key.`);
      }
      this.tenants.set(tenant.name, {
        name: tenant.name,
        region: tenant.region,
        policy: new TenantPolicy(tenant.policy),
        keys,
      });
    }
    this.incomingDir = join(options.samplesDir, "incoming");
    this.quarantineDir = join(options.samplesDir, "quarantine");
    mkdirSync(this.incomingDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.quarantineDir, { recursive: true, mode: 0o700 });
    this.forwarder = new Forwarder({
      store: options.store,
      regions: options.config.regions,
      now: this.now,
      warn: this.warn,
      ca: options.forwarder?.ca,
      backoff: options.forwarder?.backoff,
      timeoutMs: options.forwarder?.timeoutMs,
      onSent: () => this.kickAudit(),
    });
  }

  /** Loads the dictionary, then starts forwarding and auditing (including what a dead process left). */
  async start(): Promise<void> {
    try {
      await this.dictionary.refresh();
    } catch (err) {
      this.warn(`gateway: no dictionary yet: ${(err as Error).message}`);
    }
    this.dictionary.start(this.refreshMs);
    if (this.exclusiveSpool) {
      // Uploads a killed predecessor was receiving were never acknowledged: nothing to keep.
      for (const name of readdirSync(this.incomingDir)) rmSync(join(this.incomingDir, name));
      const released = await this.store.releaseLeases(this.now());
      if (released)
        this.warn(`gateway: resumed ${released} batch(es) a stopped process was sending`);
    }
    this.forwarder.start();
    this.kickAudit();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dictionary.close();
    if (this.auditTimer) clearTimeout(this.auditTimer);
    await this.forwarder.close();
    await this.auditing;
  }

  tenant(name: string): TenantRuntime {
    const tenant = this.tenants.get(name);
    if (!tenant) {
      throw new CrosscheckError(
        "E_TENANT_UNKNOWN",
        `${name} is not a tenant of this gateway; ask its operator to add it to the configuration.`,
      );
    }
    return tenant;
  }

  currentDictionary(): CompiledDictionary {
    const dictionary = this.dictionary.current();
    if (!dictionary) {
      throw new CrosscheckError(
        "E_DICTIONARY_UNAVAILABLE",
        "The gateway has no reviewed data dictionary yet, so it forwards nothing; publish one on the dictionary channel.",
      );
    }
    return dictionary;
  }

  /**
   * The dictionary for a batch. Until the first one is loaded, a sender's batch also asks for it
   * (at most every two seconds), so a freshly published dictionary takes effect at once.
   */
  private async dictionaryNow(): Promise<CompiledDictionary> {
    if (!this.dictionary.current() && Date.now() - this.lastEagerRefresh > 2000) {
      this.lastEagerRefresh = Date.now();
      await this.dictionary.refresh();
    }
    return this.currentDictionary();
  }

  /** Processes one batch of records and commits it to the spool; resolves once it is durable. */
  async ingest(
    tenantName: string,
    records: readonly InputRecord[],
    options: { senderKey?: string } = {},
  ): Promise<IngestResult> {
    const tenant = this.tenant(tenantName);
    const dictionary = await this.dictionaryNow();
    const outcome = processBatch(records, tenant, dictionary);
    const idempotencyKey = newIdempotencyKey();
    const received = rfc3339(this.now());
    const body = outcome.body;
    const forwarded = outcome.lines.length;
    const auditEntry = batchEntry(
      {
        gateway: this.config.name,
        tenant: tenant.name,
        region: tenant.region,
        kind: "records",
        received,
        batch: idempotencyKey,
        records: records.length,
        forwarded,
        blocked: records.length - forwarded,
        quarantined: 0,
        bytesIn: outcome.bytesIn,
        bytesOut: outcome.bytesOut,
        events: outcome.events,
        redactions: outcome.redactions,
      },
      outcome.decisions,
    );
    const result = await this.store.enqueue(
      {
        tenant: tenant.name,
        region: tenant.region,
        senderKey: options.senderKey,
        idempotencyKey,
        kind: "records",
        contentType: "application/x-ndjson",
        body,
        records: forwarded,
        receivedAt: received,
        decisions: outcome.decisions,
        auditEntry,
        // Event names the dictionary does not declare are the sender's text: never published.
        tally: tallyDecisions(outcome.decisions, {
          declared: (name) => dictionary.event(name) !== undefined,
        }),
      },
      this.spoolLimits(),
    );
    if (!result.duplicate) {
      this.forwarder.kick();
      this.kickAudit();
    }
    return {
      batch: result.id,
      duplicate: result.duplicate,
      received: records.length,
      forwarded,
      refused: outcome.refused.map((r) => ({ index: r.seq, code: r.code, message: r.message })),
    };
  }

  /**
   * Receives a file sample (streamed to disk, size-bounded), detects its real type by content and
   * forwards it or holds it for a reviewer, per the tenant's policy.
   */
  async ingestSample(
    tenantName: string,
    stream: Readable,
    options: { senderKey?: string } = {},
  ): Promise<SampleResult> {
    const tenant = this.tenant(tenantName);
    const sample = await receiveSample(stream, {
      dir: this.incomingDir,
      maxBytes: this.config.limits.maxSampleBytes,
    });
    try {
      const type = await classifySample(sample.path);
      const action = tenant.policy.sampleAction(type.kind);
      // What the audit entry and the statistics count a sample as.
      const eventType = `sample:${type.kind}`;
      const received = rfc3339(this.now());
      const idempotencyKey = newIdempotencyKey();
      const decision: NewDecision = {
        seq: 0,
        // Samples commit to their digest: the tenant holds the file and can recompute both.
        commitment: tenant.keys.commit(sample.sha256),
        eventType: null,
        action,
        redactions: [],
        bytesIn: sample.size,
        bytesOut: action === "forward" ? sample.size : 0,
        reason: `${type.kind}: ${type.detail}`,
      };
      const auditEntry = batchEntry(
        {
          gateway: this.config.name,
          tenant: tenant.name,
          region: tenant.region,
          kind: "sample",
          received,
          batch: idempotencyKey,
          records: 1,
          forwarded: action === "forward" ? 1 : 0,
          blocked: 0,
          quarantined: action === "quarantine" ? 1 : 0,
          bytesIn: sample.size,
          bytesOut: decision.bytesOut,
          events: { [eventType]: 1 },
          redactions: {},
        },
        [decision],
      );
      const body = action === "forward" ? await readFile(sample.path) : Buffer.alloc(0);
      // A held sample is in its final place before the batch that names it commits: a crash in
      // between leaves at most an unnamed, content-addressed file, never a row without its bytes.
      const held =
        action === "quarantine" ? this.holdSample(sample.path, sample.sha256) : undefined;
      let result: Awaited<ReturnType<GatewayStore["enqueue"]>>;
      try {
        result = await this.store.enqueue(
          {
            tenant: tenant.name,
            region: tenant.region,
            senderKey: options.senderKey,
            idempotencyKey,
            kind: "sample",
            contentType: "application/octet-stream",
            body,
            records: action === "forward" ? 1 : 0,
            headers: { "x-sample-sha256": sample.sha256, "x-sample-type": type.mime },
            receivedAt: received,
            decisions: [decision],
            auditEntry,
            tally: tallyDecisions([decision], { untyped: eventType }),
            quarantine: held && {
              sha256: sample.sha256,
              size: sample.size,
              detectedType: `${type.kind} (${type.mime})`,
              reason: type.detail,
            },
          },
          this.spoolLimits(),
        );
      } catch (err) {
        if (held?.created) rmSync(held.path, { force: true });
        throw err;
      }
      const quarantine = result.quarantine;
      if (!result.duplicate) {
        this.forwarder.kick();
        this.kickAudit();
      }
      return {
        batch: result.id,
        duplicate: result.duplicate,
        sha256: sample.sha256,
        size: sample.size,
        type,
        action,
        quarantine,
      };
    } finally {
      rmSync(sample.path, { force: true });
    }
  }

  /**
   * The counters of the last `days` UTC days, today included — today by this gateway's clock,
   * the one batches are dated by.
   */
  async statistics(
    days: number,
  ): Promise<{ from: string; to: string; statistics: GatewayStatistics }> {
    const now = this.now();
    const to = utcDay(now);
    const from = utcDay(new Date(now.getTime() - (days - 1) * 86_400_000));
    return { from, to, statistics: await this.store.statistics({ from, to }) };
  }

  /** Moves a received sample to `quarantine/<sha256>` durably; says whether it was new there. */
  private holdSample(path: string, sha256: string): { path: string; created: boolean } {
    const target = join(this.quarantineDir, sha256);
    const created = !existsSync(target);
    renameSync(path, target);
    syncDirectory(this.quarantineDir);
    return { path: target, created };
  }

  /** The bytes of a quarantined sample (the HTTP layer lets only reviewers ask). */
  quarantinedContent(sha256: string): Promise<Buffer> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new CrosscheckError("E_NOT_FOUND", "No such quarantined sample.");
    }
    return readFile(join(this.quarantineDir, sha256));
  }

  private spoolLimits() {
    return {
      maxPendingBytes: this.config.limits.maxPendingBytes,
      maxPendingBatches: this.config.limits.maxPendingBatches,
    };
  }

  /** Appends pending audit entries (an outbox: spooled with their batch, logged soon after). */
  kickAudit(): void {
    if (this.closed) return;
    if (this.auditing) {
      this.auditAgain = true;
      return;
    }
    if (this.auditTimer) {
      clearTimeout(this.auditTimer);
      this.auditTimer = undefined;
    }
    this.auditing = this.appendAudit()
      .catch((err) =>
        this.warn(`gateway: audit log append failed, will retry: ${(err as Error).message}`),
      )
      .finally(() => {
        this.auditing = undefined;
        if (this.closed) return;
        if (this.auditAgain) {
          this.auditAgain = false;
          this.kickAudit();
        } else {
          this.auditTimer = setTimeout(() => this.kickAudit(), AUDIT_IDLE_MS);
          this.auditTimer.unref();
        }
      });
  }

  private async appendAudit(): Promise<void> {
    // With replicas, the one that sequences the audit log appends the outbox (it polls, so a
    // replica that takes over picks up where a dead one stopped); the others would only queue
    // the same entries for it.
    if (!this.auditLog.leading) return;
    for (;;) {
      const pending = await this.store.unaudited(256);
      if (pending.length === 0) break;
      const indexes = await Promise.all(pending.map((p) => this.auditLog.add(p.auditEntry)));
      for (let i = 0; i < pending.length; i++) {
        await this.store.markAudited(
          (pending[i] as { id: number }).id,
          (indexes[i] as { index: number }).index,
        );
      }
      if (pending.length < 256) break;
    }
    // Deliveries come second: a delivery entry never precedes its batch's entry in the log.
    for (;;) {
      const delivered = await this.store.undelivered(256);
      if (delivered.length === 0) return;
      const indexes = await Promise.all(
        delivered.map((d) => this.auditLog.add(this.deliveryEntryOf(d))),
      );
      for (let i = 0; i < delivered.length; i++) {
        await this.store.markDeliveryLogged(
          (delivered[i] as UndeliveredRow).id,
          (indexes[i] as { index: number }).index,
        );
      }
      if (delivered.length < 256) return;
    }
  }

  /** The same bytes for the same delivery: a re-append after a crash is deduplicated by the log. */
  private deliveryEntryOf(row: UndeliveredRow): Uint8Array {
    return deliveryEntry({
      gateway: this.config.name,
      tenant: row.tenant,
      region: row.region,
      batch: row.idempotencyKey,
      sentTo: row.sentTo,
      status: row.upstreamStatus,
      at: row.at,
    });
  }
}

function newIdempotencyKey(): string {
  return randomBytes(16).toString("hex");
}

function rfc3339(date: Date): string {
  return date.toISOString();
}
