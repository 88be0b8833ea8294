/**
 * Leader election through PostgreSQL: a lease row per role (`log:<origin>`, the one replica that
 * sequences that log), held by one process at a time and renewed while it lives.
 *
 * acquire → hold (renew every `checkMs`) → lose or release; a follower checks every `checkMs`.
 *
 * - Every change of holder adds one to the row's `token`: the fencing token. The holder's
 *   integration transaction locks the row and checks the token (`IntegrationWrite.fence`), so a
 *   replica that lost its lease — paused past its expiry, cut off from the database — can never
 *   write again, whatever it still believes (Decision 2).
 * - A lease ends when it expires (`ttlMs` after its last renewal: a hung or cut-off holder), when
 *   its holder releases it (a clean stop: taken over at once), or when the holder's database
 *   session is gone (`backend_pid` no longer in pg_stat_activity: a killed holder's socket closes,
 *   its session ends, and a follower takes over at its next check, well before the expiry).
 * - Time is the database's (`now()`), never a replica's clock. The holder also stops claiming the
 *   lease on its own clock once `ttlMs` passed without a successful renewal, so the work it does
 *   outside fenced transactions (cosigning rounds, the tiles directory) stops too.
 *
 * The lease lives on one reserved connection, so `backend_pid` is the session that renews it.
 */
import type postgres from "postgres";
import type { PostgresDatabase } from "../store/index.js";

/** What a lease holder presents to fenced writes. */
export interface Fence {
  lease: string;
  holder: string;
  token: number;
}

export interface LeaderLeaseOptions {
  database: PostgresDatabase;
  /** The role, e.g. `log:<origin>`. */
  name: string;
  /** This process, unique among replicas (host, pid and a random part). */
  holder: string;
  /** How long a lease lasts without renewal. */
  ttlMs?: number;
  /** How often the holder renews and a follower checks; ttlMs / 5 by default. */
  checkMs?: number;
  /** Called with the fence when this process becomes the holder, and undefined when it stops. */
  onChange: (fence: Fence | undefined) => void;
  warn?: (message: string) => void;
}

export const DEFAULT_LEASE_MS = 5000;

export class LeaderLease {
  private readonly ttlMs: number;
  private readonly checkMs: number;
  private held: Fence | undefined;
  private renewedAt = 0;
  private connection: postgres.ReservedSql | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: LeaderLeaseOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_MS;
    this.checkMs = options.checkMs ?? Math.max(100, Math.floor(this.ttlMs / 5));
  }

  /** The fence while this process holds the lease (and renewed it within `ttlMs`). */
  get fence(): Fence | undefined {
    if (this.held && performance.now() - this.renewedAt > this.ttlMs) this.lose();
    return this.held;
  }

  /** Tries once at once, then keeps trying (or renewing) every `checkMs`. */
  async start(): Promise<void> {
    await this.tick();
  }

  /** Stops; a held lease is released, so a follower takes over at its next check. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const fence = this.held;
    this.lose();
    try {
      if (fence && this.connection) {
        await this.connection`
          UPDATE leases SET expires_at = now(), backend_pid = NULL
          WHERE name = ${fence.lease} AND holder = ${fence.holder} AND token = ${fence.token}`;
      }
    } catch {
      // The lease expires by itself.
    } finally {
      this.connection?.release();
      this.connection = undefined;
    }
  }

  private tick(): Promise<void> {
    this.ticking = (this.held ? this.renew() : this.acquire())
      .catch((err: unknown) => {
        // A broken connection: drop it (a new one is reserved next time) and, if holding, stop
        // acting as holder — the renewal did not happen, so another replica may take over.
        this.options.warn?.(`lease ${this.options.name}: ${(err as Error).message}`);
        this.connection?.release();
        this.connection = undefined;
        this.lose();
      })
      .finally(() => {
        this.ticking = undefined;
        if (this.closed) return;
        this.timer = setTimeout(() => void this.tick(), this.checkMs);
        this.timer.unref?.();
      });
    return this.ticking;
  }

  private async reserved(): Promise<postgres.ReservedSql> {
    this.connection ??= await this.options.database.sql.reserve();
    return this.connection;
  }

  private async acquire(): Promise<void> {
    const sql = await this.reserved();
    const { name, holder } = this.options;
    // A cheap look first: followers check often, and the upsert below locks the row.
    const [current] = await sql<{ free: boolean }[]>`
      SELECT expires_at < now() OR backend_pid IS NULL
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = leases.backend_pid) AS free
      FROM leases WHERE name = ${name}`;
    if (current && !current.free) return;
    // The WHERE is evaluated again on the locked row: of two followers, only one takes it.
    const [taken] = await sql<{ token: string }[]>`
      INSERT INTO leases AS l (name, holder, token, backend_pid, acquired_at, expires_at)
      VALUES (${name}, ${holder}, 1, pg_backend_pid(), now(),
        now() + ${this.ttlMs} * interval '1 millisecond')
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = l.token + 1,
        backend_pid = excluded.backend_pid, acquired_at = excluded.acquired_at,
        expires_at = excluded.expires_at
      WHERE l.expires_at < now() OR l.backend_pid IS NULL
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.backend_pid)
      RETURNING token`;
    if (!taken) return;
    if (this.closed) {
      // Taken while closing: give it back at once rather than leave followers waiting a TTL.
      await sql`UPDATE leases SET expires_at = now(), backend_pid = NULL
        WHERE name = ${name} AND holder = ${holder} AND token = ${taken.token}`;
      return;
    }
    this.held = { lease: name, holder, token: Number(taken.token) };
    this.renewedAt = performance.now();
    this.options.onChange(this.held);
  }

  private async renew(): Promise<void> {
    const fence = this.held as Fence;
    const started = performance.now();
    const sql = await this.reserved();
    const renewed = await sql`
      UPDATE leases SET expires_at = now() + ${this.ttlMs} * interval '1 millisecond',
        backend_pid = pg_backend_pid()
      WHERE name = ${fence.lease} AND holder = ${fence.holder} AND token = ${fence.token}`;
    if (renewed.count !== 1) {
      this.lose();
    } else if (this.held === fence) {
      this.renewedAt = started;
    } else {
      // This process stopped acting as holder while the renewal was on its way (its own clock
      // ran past the TTL): give the lease back so a follower takes over now, not a TTL later.
      await sql`UPDATE leases SET expires_at = now(), backend_pid = NULL
        WHERE name = ${fence.lease} AND holder = ${fence.holder} AND token = ${fence.token}`;
    }
  }

  private lose(): void {
    if (!this.held) return;
    this.held = undefined;
    this.options.onChange(undefined);
  }
}
