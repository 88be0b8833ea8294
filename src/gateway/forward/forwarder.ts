/**
 * The forwarder: takes due batches from the spool and delivers each to a vendor endpoint of its
 * own region, exactly once as far as the vendor honours the Idempotency-Key (Decision 19).
 *
 * claim (a lease, so no two workers send one batch) → endpoints of the batch's region (none:
 * the batch waits) → resolve, keep the allowed addresses → POST pinned to one, next address or
 * endpoint on a connection failure → 2xx sent | 408/409/425/429/5xx/3xx/network retry later
 * with backoff | other 4xx rejected for good. A batch is never dropped: whatever goes wrong
 * before it is marked leaves it pending, and its lease runs out.
 */
import type { GatewayStore, SpoolBatch } from "../storage/index.js";
import { type Backoff, backoffDelay, parseRetryAfter } from "./backoff.js";
import { type Endpoint, endpointsByRegion, type RegionEndpoints } from "./residency.js";
import { postPinned, resolveHost, type UpstreamAnswer } from "./send.js";

export interface ForwarderOptions {
  store: GatewayStore;
  regions: RegionEndpoints[];
  now?: () => Date;
  backoff?: Backoff;
  /** Batches in flight at once (default 4). */
  concurrency?: number;
  /** Per request, connect to last response byte (default 30 s). */
  timeoutMs?: number;
  /** An extra trusted CA (tests, private vendor PKI); Node's roots stay trusted. */
  ca?: string | Buffer;
  warn?: (msg: string) => void;
  onSent?: (id: number, address: string) => void;
  /** How often to look for batches other processes spooled without a kick (default 1 s). */
  pollMs?: number;
}

/** Statuses that say "later", not "never". */
const RETRYABLE = new Set([408, 409, 425, 429]);

export class Forwarder {
  private readonly store: GatewayStore;
  private readonly regions: Map<string, Endpoint[]>;
  private readonly now: () => Date;
  private readonly backoff: Backoff;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly ca: (string | Buffer)[] | undefined;
  private readonly warn: (msg: string) => void;
  private readonly onSent: ((id: number, address: string) => void) | undefined;

  private running = false;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  /** Endpoints and regions currently failing, so a long outage warns once, not per batch. */
  private readonly troubled = new Set<string>();

  constructor(opts: ForwarderOptions) {
    this.store = opts.store;
    this.regions = endpointsByRegion(opts.regions);
    this.now = opts.now ?? (() => new Date());
    this.backoff = opts.backoff ?? { baseMs: 500, maxMs: 60_000 };
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    // Long enough for a few endpoints to time out in turn; `send` stops trying before it ends.
    this.leaseMs = this.timeoutMs * 4 + 10_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.ca = opts.ca === undefined ? undefined : [opts.ca];
    this.warn = opts.warn ?? ((msg) => console.warn(msg));
    this.onSent = opts.onSent;
    for (const [region, endpoints] of this.regions) {
      for (const e of endpoints) {
        if (e.url.protocol === "http:" && !isLoopback(e.url.hostname)) {
          this.warn(`Region ${region} sends to ${e.origin} without TLS; use https.`);
        }
      }
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  /** Looks for due batches now (after an enqueue, say). */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // A kick that arrived as the pump was finishing must not wait for the poll.
      if (this.pumpAgain) this.kick();
    });
  }

  /** Stops claiming and waits for the sends in flight to be recorded. */
  async close(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pumping || this.inFlight.size > 0) {
      await Promise.allSettled([this.pumping, ...this.inFlight]);
    }
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.pumpAgain = false;
        while (this.running && this.inFlight.size < this.concurrency) {
          const due = await this.store.claimDue(
            this.now(),
            this.concurrency - this.inFlight.size,
            this.leaseMs,
          );
          for (const batch of due) this.track(batch);
          if (due.length === 0) break;
        }
      } while (this.pumpAgain && this.running);
    } catch (err) {
      this.warn(`The forwarder could not read the spool: ${(err as Error).message}`);
    }
    this.wakeIn(this.pollMs);
  }

  private track(batch: SpoolBatch): void {
    const work = this.send(batch)
      .catch((err) => {
        // The batch stays pending; its lease runs out and it is tried again.
        this.warn(`Batch ${batch.id} could not be recorded: ${(err as Error).message}`);
      })
      .finally(() => {
        this.inFlight.delete(work);
        this.kick();
      });
    this.inFlight.add(work);
  }

  private wakeIn(ms: number): void {
    if (!this.running) return;
    const at = Date.now() + Math.max(ms, 0);
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.kick();
    }, at - Date.now());
    this.timer.unref();
  }

  private async send(batch: SpoolBatch): Promise<void> {
    const endpoints = this.regions.get(batch.region) ?? [];
    if (endpoints.length === 0) {
      const error = `No vendor endpoint is allowed for region ${batch.region}: the batch waits until the gateway configuration lists one.`;
      this.trouble(`region:${batch.region}`, error);
      await this.retry(batch, error, this.backoff.maxMs);
      return;
    }
    const started = Date.now();
    const errors: string[] = [];
    const headers: Record<string, string> = {
      ...batch.headers,
      "content-type": batch.contentType,
      "idempotency-key": batch.idempotencyKey,
      "x-crosscheck-tenant": batch.tenant,
    };
    for (const endpoint of endpoints) {
      let addresses: Awaited<ReturnType<typeof resolveHost>>;
      try {
        addresses = await withTimeout(resolveHost(endpoint.url), this.timeoutMs, "DNS lookup");
      } catch (err) {
        errors.push(
          `${endpoint.origin}: cannot resolve ${endpoint.url.hostname} (${(err as Error).message})`,
        );
        continue;
      }
      const allowed = addresses.filter((a) => endpoint.allows(a.address));
      if (allowed.length === 0) {
        const error = `${endpoint.origin}: refused, ${endpoint.url.hostname} resolved to ${addresses.map((a) => a.address).join(", ")}, outside its allowedAddresses`;
        this.trouble(`residency:${endpoint.origin}`, `Residency: ${error}.`);
        errors.push(error);
        continue;
      }
      for (const to of allowed) {
        // Never start a request that could outlive the lease: another worker may take over then.
        if (Date.now() - started + this.timeoutMs > this.leaseMs - 5000) break;
        let answer: UpstreamAnswer;
        try {
          answer = await postPinned({
            url: endpoint.url,
            to,
            headers,
            body: batch.body,
            timeoutMs: this.timeoutMs,
            ...(this.ca ? { ca: this.ca } : {}),
          });
        } catch (err) {
          const error = `${endpoint.origin} via ${to.address}: ${(err as Error).message}`;
          this.trouble(endpoint.origin, `Vendor endpoint unreachable: ${error}.`);
          errors.push(error);
          continue;
        }
        this.recovered(endpoint.origin);
        await this.settle(batch, endpoint, answer);
        return;
      }
    }
    await this.retry(batch, errors.join("; ") || "no endpoint could be tried");
  }

  /** Records what the vendor said. */
  private async settle(
    batch: SpoolBatch,
    endpoint: Endpoint,
    answer: UpstreamAnswer,
  ): Promise<void> {
    const { status, remote } = answer;
    if (status >= 200 && status < 300) {
      await this.store.markSent(batch.id, {
        address: remote,
        status,
        at: this.now().toISOString(),
      });
      try {
        this.onSent?.(batch.id, remote);
      } catch (err) {
        this.warn(`The onSent callback failed for batch ${batch.id}: ${(err as Error).message}`);
      }
      return;
    }
    const said = answer.excerpt.trim() ? `: ${answer.excerpt.trim().slice(0, 200)}` : "";
    if (status >= 300 && status < 400) {
      const location = answer.headers.location ?? "nowhere";
      await this.retry(
        batch,
        `${endpoint.origin} (${remote}) answered ${status} redirecting to ${location}; redirect refused, since data goes only to configured endpoints`,
        undefined,
        remote,
      );
      return;
    }
    if (status >= 500 || RETRYABLE.has(status)) {
      const retryAfter = parseRetryAfter(firstHeader(answer.headers["retry-after"]), this.now());
      await this.retry(
        batch,
        `${endpoint.origin} (${remote}) answered ${status}${said}`,
        retryAfter === undefined ? undefined : Math.max(retryAfter, this.backoff.baseMs),
        remote,
      );
      return;
    }
    await this.store.markRejected(batch.id, {
      status,
      error: `${endpoint.origin} (${remote}) refused the batch with ${status}${said}`,
      address: remote,
    });
    this.warn(
      `Batch ${batch.id} was refused by ${endpoint.origin} with ${status}; it is kept and not retried.`,
    );
  }

  private async retry(batch: SpoolBatch, error: string, delayMs?: number, address?: string) {
    const delay = delayMs ?? backoffDelay(batch.attempts, this.backoff);
    const nextAttemptAt = new Date(this.now().getTime() + delay);
    await this.store.markRetry(batch.id, {
      nextAttemptAt,
      error,
      ...(address !== undefined ? { address } : {}),
    });
    this.wakeIn(delay);
  }

  private trouble(key: string, message: string): void {
    if (this.troubled.has(key)) return;
    this.troubled.add(key);
    this.warn(message);
  }

  private recovered(origin: string): void {
    if (this.troubled.delete(origin)) this.warn(`Vendor endpoint ${origin} answers again.`);
  }
}

/** A resolver that hangs must not outlive the batch's lease. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname.startsWith("127.") || hostname === "[::1]";
}
