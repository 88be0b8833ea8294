/** The release pipeline's tables on PostgreSQL (jobs claimed with FOR UPDATE SKIP LOCKED). */
import type { PostgresDatabase } from "../../store/index.js";
import type {
  HeadRow,
  JobRow,
  NewRelease,
  RebuildRow,
  ReleaseRow,
  ReleaseStore,
  ReviewRow,
  Role,
  TriageRow,
} from "./storage.js";

type Row = Record<string, unknown>;

const release = (r: Row): ReleaseRow => ({
  id: Number(r.id),
  channel: r.channel as string,
  version: r.version as string,
  envelopeSha256: r.envelope_sha256 as string,
  envelope: r.envelope as string,
  status: r.status as ReleaseRow["status"],
  logIndex: Number(r.log_index),
  report: (r.report as string | null) ?? null,
  reportSha256: (r.report_sha256 as string | null) ?? null,
  submittedAt: r.submitted_at as string,
  publishedAt: (r.published_at as string | null) ?? null,
});
const head = (r: Row): HeadRow => ({
  releaseId: Number(r.release_id),
  envelopeSha256: r.envelope_sha256 as string,
  envelope: r.envelope as string,
  issued: r.issued as string,
  expires: r.expires as string,
  logIndex: Number(r.log_index),
});
const review = (r: Row): ReviewRow => ({
  releaseId: Number(r.release_id),
  envelopeSha256: r.envelope_sha256 as string,
  envelope: r.envelope as string,
  organization: r.organization as string,
  reviewerKeyid: r.reviewer_keyid as string,
  verdict: r.verdict as ReviewRow["verdict"],
  logIndex: Number(r.log_index),
  submittedAt: r.submitted_at as string,
});
const rebuild = (r: Row): RebuildRow => ({
  releaseId: Number(r.release_id),
  envelopeSha256: r.envelope_sha256 as string,
  envelope: r.envelope as string,
  organization: r.organization as string,
  rebuilderKeyid: r.rebuilder_keyid as string,
  status: r.status as RebuildRow["status"],
  logIndex: Number(r.log_index),
  submittedAt: r.submitted_at as string,
});
const job = (r: Row): JobRow => ({
  id: Number(r.id),
  releaseId: Number(r.release_id),
  analyzer: r.analyzer as string,
  status: r.status as JobRow["status"],
  attempts: Number(r.attempts),
  report: (r.report as string | null) ?? null,
  reportSha256: (r.report_sha256 as string | null) ?? null,
  error: (r.error as string | null) ?? null,
});

export function openPostgresReleaseStore(database: PostgresDatabase): ReleaseStore {
  const { sql } = database;
  return {
    async newestRelease(channel) {
      const rows =
        await sql`SELECT * FROM releases WHERE channel = ${channel} ORDER BY id DESC LIMIT 1`;
      return rows[0] ? release(rows[0]) : undefined;
    },
    async latestPublished(channel) {
      const rows =
        await sql`SELECT * FROM releases WHERE channel = ${channel} AND status = 'published' ORDER BY id DESC LIMIT 1`;
      return rows[0] ? release(rows[0]) : undefined;
    },
    async release(sha) {
      const rows = await sql`SELECT * FROM releases WHERE envelope_sha256 = ${sha}`;
      return rows[0] ? release(rows[0]) : undefined;
    },
    async releaseById(id) {
      const rows = await sql`SELECT * FROM releases WHERE id = ${id}`;
      return rows[0] ? release(rows[0]) : undefined;
    },
    async listReleases(filter) {
      // Only the conditions given, so the planner can walk an index on (…, id) backwards.
      const conditions = [
        filter.channel !== undefined ? sql`channel = ${filter.channel}` : undefined,
        filter.status !== undefined ? sql`status = ${filter.status}` : undefined,
        filter.before !== undefined ? sql`id < ${filter.before}` : undefined,
      ].filter((c) => c !== undefined);
      const where = conditions.reduce(
        (acc, c, i) => (i === 0 ? sql`WHERE ${c}` : sql`${acc} AND ${c}`),
        sql``,
      );
      const limit = Math.min(Math.max(filter.limit ?? 500, 1), 500);
      const rows = await sql`SELECT * FROM releases ${where} ORDER BY id DESC LIMIT ${limit}`;
      return rows.map(release);
    },
    async insertRelease(row: NewRelease, analyzers) {
      const inserted = await sql.begin(async (tx) => {
        const [r] = await tx`INSERT INTO releases
          (channel, version, envelope_sha256, envelope, status, log_index, submitted_at)
          VALUES (${row.channel}, ${row.version}, ${row.envelopeSha256}, ${row.envelope},
            ${row.status}, ${row.logIndex}, ${row.submittedAt}) RETURNING *`;
        for (const name of analyzers) {
          await tx`INSERT INTO analysis_jobs (release_id, analyzer, status, updated_at)
            VALUES (${(r as Row).id as number}, ${name}, 'queued', ${row.submittedAt})`;
        }
        return r as Row;
      });
      return release(inserted);
    },
    async transition(id, from, to, at) {
      const published = to === "published" ? (at ?? null) : null;
      const rows = await sql`UPDATE releases SET status = ${to},
        published_at = COALESCE(${published}::text, published_at)
        WHERE id = ${id} AND status = ${from} RETURNING id`;
      return rows.length === 1;
    },
    async setReport(id, report, sha) {
      await sql`UPDATE releases SET report = ${report}, report_sha256 = ${sha}
        WHERE id = ${id} AND report IS NULL`;
    },
    async insertHead(row) {
      await sql`INSERT INTO release_heads (release_id, envelope_sha256, envelope, issued, expires, log_index)
        VALUES (${row.releaseId}, ${row.envelopeSha256}, ${row.envelope}, ${row.issued}, ${row.expires}, ${row.logIndex})
        ON CONFLICT (envelope_sha256) DO NOTHING`;
    },
    async setHeadLogIndex(envelopeSha256, logIndex) {
      await sql`UPDATE release_heads SET log_index = ${logIndex} WHERE envelope_sha256 = ${envelopeSha256}`;
    },
    async newestHead(releaseId) {
      const rows =
        await sql`SELECT * FROM release_heads WHERE release_id = ${releaseId} ORDER BY issued DESC, id DESC LIMIT 1`;
      return rows[0] ? head(rows[0]) : undefined;
    },
    async insertReview(row) {
      await sql`INSERT INTO release_reviews (release_id, envelope_sha256, envelope, organization,
        reviewer_keyid, verdict, log_index, submitted_at)
        VALUES (${row.releaseId}, ${row.envelopeSha256}, ${row.envelope}, ${row.organization},
          ${row.reviewerKeyid}, ${row.verdict}, ${row.logIndex}, ${row.submittedAt})`;
    },
    async reviews(releaseId) {
      const rows =
        await sql`SELECT * FROM release_reviews WHERE release_id = ${releaseId} ORDER BY id`;
      return rows.map(review);
    },
    async insertRebuild(row) {
      await sql`INSERT INTO release_rebuilds (release_id, envelope_sha256, envelope, organization,
        rebuilder_keyid, status, log_index, submitted_at)
        VALUES (${row.releaseId}, ${row.envelopeSha256}, ${row.envelope}, ${row.organization},
          ${row.rebuilderKeyid}, ${row.status}, ${row.logIndex}, ${row.submittedAt})`;
    },
    async rebuilds(releaseId) {
      const rows =
        await sql`SELECT * FROM release_rebuilds WHERE release_id = ${releaseId} ORDER BY id`;
      return rows.map(rebuild);
    },
    async putTriage(row) {
      await sql`INSERT INTO finding_triage (release_id, finding, author, decision, justification, updated_at)
        VALUES (${row.releaseId}, ${row.finding}, ${row.author}, ${row.decision}, ${row.justification},
          ${row.updatedAt})
        ON CONFLICT (release_id, finding, author) DO UPDATE SET decision = excluded.decision,
          justification = excluded.justification, updated_at = excluded.updated_at`;
    },
    async triage(releaseId) {
      const rows = await sql`SELECT * FROM finding_triage WHERE release_id = ${releaseId}
        ORDER BY finding, author`;
      return rows.map((r) => ({
        releaseId: Number(r.release_id),
        finding: r.finding as string,
        author: r.author as string,
        decision: r.decision as TriageRow["decision"],
        justification: r.justification as string,
        updatedAt: r.updated_at as string,
      }));
    },
    async requeueRunning() {
      // Only jobs whose worker stopped renewing: a live replica's job keeps its lease.
      const rows = await sql`UPDATE analysis_jobs SET status = 'queued', claimed_by = NULL,
          lease_expires = NULL
        WHERE status = 'running' AND (lease_expires IS NULL OR lease_expires < now())
        RETURNING id`;
      return rows.length;
    },
    async claimJob(at, claim) {
      const rows = await sql`UPDATE analysis_jobs SET status = 'running', attempts = attempts + 1,
          updated_at = ${at}, claimed_by = ${claim?.worker ?? null},
          lease_expires = now() + ${claim?.leaseMs ?? 3_600_000} * interval '1 millisecond'
        WHERE id = (SELECT id FROM analysis_jobs
          WHERE status = 'queued'
            OR (status = 'running' AND (lease_expires IS NULL OR lease_expires < now()))
          ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`;
      return rows[0] ? job(rows[0]) : undefined;
    },
    async renewJob(id, claim) {
      const rows = await sql`UPDATE analysis_jobs
        SET lease_expires = now() + ${claim.leaseMs} * interval '1 millisecond'
        WHERE id = ${id} AND status = 'running' AND claimed_by = ${claim.worker}
        RETURNING id`;
      return rows.length === 1;
    },
    async finishJob(id, result, at, worker) {
      const mine =
        worker === undefined ? sql`` : sql`AND status = 'running' AND claimed_by = ${worker}`;
      const rows =
        "error" in result
          ? await sql`UPDATE analysis_jobs SET status = 'failed', error = ${result.error},
              updated_at = ${at}, lease_expires = NULL WHERE id = ${id} ${mine} RETURNING id`
          : await sql`UPDATE analysis_jobs SET status = 'done', report = ${result.report},
              report_sha256 = ${result.reportSha256}, updated_at = ${at}, lease_expires = NULL
              WHERE id = ${id} ${mine} RETURNING id`;
      return rows.length === 1;
    },
    async jobCounts() {
      const rows = await sql<{ status: string; n: string }[]>`
        SELECT status, count(*) AS n FROM analysis_jobs GROUP BY status`;
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async jobs(releaseId) {
      const rows =
        await sql`SELECT * FROM analysis_jobs WHERE release_id = ${releaseId} ORDER BY analyzer`;
      return rows.map(job);
    },
    async insertToken(sha, role: Role, name, at) {
      await sql`INSERT INTO api_tokens (token_sha256, role, name, created_at)
        VALUES (${sha}, ${role}, ${name}, ${at}) ON CONFLICT (token_sha256) DO NOTHING`;
    },
    async replaceTokens(tokens, at) {
      await sql.begin(async (tx) => {
        await tx`DELETE FROM api_tokens`;
        for (const t of tokens) {
          await tx`INSERT INTO api_tokens (token_sha256, role, name, created_at)
            VALUES (${t.tokenSha256}, ${t.role}, ${t.name}, ${at}) ON CONFLICT (token_sha256) DO NOTHING`;
        }
      });
    },
    async tokenRole(sha) {
      const rows = await sql`SELECT role, name FROM api_tokens WHERE token_sha256 = ${sha}`;
      return rows[0] ? { role: rows[0].role as Role, name: rows[0].name as string } : undefined;
    },
  };
}
