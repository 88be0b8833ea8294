/** The release pipeline's tables on SQLite (synchronous driver; IMMEDIATE transactions). */
import type { SqliteDatabase } from "../../store/index.js";
import type {
  HeadRow,
  JobRow,
  NewRelease,
  RebuildRow,
  ReleaseRow,
  ReleaseStatus,
  ReleaseStore,
  ReviewRow,
  Role,
  TriageRow,
} from "./storage.js";

const RELEASE = `SELECT id, channel, version, envelope_sha256 AS envelopeSha256, envelope, status,
  log_index AS logIndex, report, report_sha256 AS reportSha256, submitted_at AS submittedAt,
  published_at AS publishedAt FROM releases`;
const HEAD = `SELECT release_id AS releaseId, envelope_sha256 AS envelopeSha256, envelope, issued,
  expires, log_index AS logIndex FROM release_heads`;
const REVIEW = `SELECT release_id AS releaseId, envelope_sha256 AS envelopeSha256, envelope,
  organization, reviewer_keyid AS reviewerKeyid, verdict, log_index AS logIndex,
  submitted_at AS submittedAt FROM release_reviews`;
const REBUILD = `SELECT release_id AS releaseId, envelope_sha256 AS envelopeSha256, envelope,
  organization, rebuilder_keyid AS rebuilderKeyid, status, log_index AS logIndex,
  submitted_at AS submittedAt FROM release_rebuilds`;
const JOB = `id, release_id AS releaseId, analyzer, status, attempts, report,
  report_sha256 AS reportSha256, error`;

const listLimit = (limit: number | undefined) => Math.min(Math.max(limit ?? 500, 1), 500);

export function openSqliteReleaseStore(database: SqliteDatabase): ReleaseStore {
  const { db } = database;
  const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T | undefined;
  const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  return {
    async newestRelease(channel) {
      return one<ReleaseRow>(`${RELEASE} WHERE channel = ? ORDER BY id DESC LIMIT 1`, channel);
    },
    async latestPublished(channel) {
      return one<ReleaseRow>(
        `${RELEASE} WHERE channel = ? AND status = 'published' ORDER BY id DESC LIMIT 1`,
        channel,
      );
    },
    async release(sha) {
      return one<ReleaseRow>(`${RELEASE} WHERE envelope_sha256 = ?`, sha);
    },
    async releaseById(id) {
      return one<ReleaseRow>(`${RELEASE} WHERE id = ?`, id);
    },
    async listReleases(filter) {
      // Only the conditions given, so the planner can walk an index on (…, id) backwards.
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (condition: string, value: unknown) => {
        where.push(condition);
        args.push(value);
      };
      if (filter.channel !== undefined) add("channel = ?", filter.channel);
      if (filter.status !== undefined) add("status = ?", filter.status);
      if (filter.before !== undefined) add("id < ?", filter.before);
      const clause = where.length ? ` WHERE ${where.join(" AND ")}` : "";
      return all<ReleaseRow>(
        `${RELEASE}${clause} ORDER BY id DESC LIMIT ?`,
        ...args,
        listLimit(filter.limit),
      );
    },
    async insertRelease(row: NewRelease, analyzers) {
      const insert = db.transaction(() => {
        const { lastInsertRowid } = db
          .prepare(
            `INSERT INTO releases (channel, version, envelope_sha256, envelope, status, log_index, submitted_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            row.channel,
            row.version,
            row.envelopeSha256,
            row.envelope,
            row.status,
            row.logIndex,
            row.submittedAt,
          );
        const job = db.prepare(
          "INSERT INTO analysis_jobs (release_id, analyzer, status, updated_at) VALUES (?, ?, 'queued', ?)",
        );
        for (const name of analyzers) job.run(lastInsertRowid, name, row.submittedAt);
        return Number(lastInsertRowid);
      });
      const id = insert.immediate();
      return (await this.releaseById(id)) as ReleaseRow;
    },
    async transition(id, from: ReleaseStatus, to: ReleaseStatus, at) {
      const result = db
        .prepare(
          "UPDATE releases SET status = ?, published_at = COALESCE(?, published_at) WHERE id = ? AND status = ?",
        )
        .run(to, to === "published" ? (at ?? null) : null, id, from);
      return result.changes === 1;
    },
    async setReport(id, report, sha) {
      db.prepare(
        "UPDATE releases SET report = ?, report_sha256 = ? WHERE id = ? AND report IS NULL",
      ).run(report, sha, id);
    },
    async insertHead(row: HeadRow) {
      db.prepare(
        `INSERT INTO release_heads (release_id, envelope_sha256, envelope, issued, expires, log_index)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (envelope_sha256) DO NOTHING`,
      ).run(row.releaseId, row.envelopeSha256, row.envelope, row.issued, row.expires, row.logIndex);
    },
    async setHeadLogIndex(envelopeSha256, logIndex) {
      db.prepare("UPDATE release_heads SET log_index = ? WHERE envelope_sha256 = ?").run(
        logIndex,
        envelopeSha256,
      );
    },
    async newestHead(releaseId) {
      return one<HeadRow>(
        `${HEAD} WHERE release_id = ? ORDER BY issued DESC, id DESC LIMIT 1`,
        releaseId,
      );
    },
    async insertReview(row: ReviewRow) {
      db.prepare(
        `INSERT INTO release_reviews (release_id, envelope_sha256, envelope, organization, reviewer_keyid,
           verdict, log_index, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.releaseId,
        row.envelopeSha256,
        row.envelope,
        row.organization,
        row.reviewerKeyid,
        row.verdict,
        row.logIndex,
        row.submittedAt,
      );
    },
    async reviews(releaseId) {
      return all<ReviewRow>(`${REVIEW} WHERE release_id = ? ORDER BY id`, releaseId);
    },
    async insertRebuild(row: RebuildRow) {
      db.prepare(
        `INSERT INTO release_rebuilds (release_id, envelope_sha256, envelope, organization,
           rebuilder_keyid, status, log_index, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.releaseId,
        row.envelopeSha256,
        row.envelope,
        row.organization,
        row.rebuilderKeyid,
        row.status,
        row.logIndex,
        row.submittedAt,
      );
    },
    async rebuilds(releaseId) {
      return all<RebuildRow>(`${REBUILD} WHERE release_id = ? ORDER BY id`, releaseId);
    },
    async putTriage(row) {
      db.prepare(
        `INSERT INTO finding_triage (release_id, finding, author, decision, justification, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (release_id, finding, author) DO UPDATE SET decision = excluded.decision,
           justification = excluded.justification, updated_at = excluded.updated_at`,
      ).run(row.releaseId, row.finding, row.author, row.decision, row.justification, row.updatedAt);
    },
    async triage(releaseId) {
      return all<TriageRow>(
        `SELECT release_id AS releaseId, finding, author, decision, justification,
           updated_at AS updatedAt FROM finding_triage WHERE release_id = ? ORDER BY finding, author`,
        releaseId,
      );
    },
    async requeueRunning() {
      // This process owns the database file: a job still running was left by a process that died.
      return db
        .prepare(
          "UPDATE analysis_jobs SET status = 'queued', claimed_by = NULL, lease_expires = NULL WHERE status = 'running'",
        )
        .run().changes;
    },
    async claimJob(at, claim) {
      const now = new Date();
      return one<JobRow>(
        `UPDATE analysis_jobs SET status = 'running', attempts = attempts + 1, updated_at = ?,
           claimed_by = ?, lease_expires = ?
         WHERE id = (SELECT id FROM analysis_jobs
           WHERE status = 'queued' OR (status = 'running' AND lease_expires < ?)
           ORDER BY id LIMIT 1)
         RETURNING ${JOB}`,
        at,
        claim?.worker ?? null,
        new Date(now.getTime() + (claim?.leaseMs ?? 3_600_000)).toISOString(),
        now.toISOString(),
      );
    },
    async renewJob(id, claim) {
      const until = new Date(Date.now() + claim.leaseMs).toISOString();
      return (
        db
          .prepare(
            "UPDATE analysis_jobs SET lease_expires = ? WHERE id = ? AND status = 'running' AND claimed_by = ?",
          )
          .run(until, id, claim.worker).changes === 1
      );
    },
    async finishJob(id, result, at, worker) {
      const mine = worker === undefined ? "" : " AND status = 'running' AND claimed_by = ?";
      const owner = worker === undefined ? [] : [worker];
      if ("error" in result) {
        return (
          db
            .prepare(
              `UPDATE analysis_jobs SET status = 'failed', error = ?, updated_at = ?, lease_expires = NULL WHERE id = ?${mine}`,
            )
            .run(result.error, at, id, ...owner).changes === 1
        );
      }
      return (
        db
          .prepare(
            `UPDATE analysis_jobs SET status = 'done', report = ?, report_sha256 = ?, updated_at = ?, lease_expires = NULL WHERE id = ?${mine}`,
          )
          .run(result.report, result.reportSha256, at, id, ...owner).changes === 1
      );
    },
    async jobCounts() {
      const rows = db
        .prepare("SELECT status, count(*) AS n FROM analysis_jobs GROUP BY status")
        .all() as { status: string; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async jobs(releaseId) {
      return all<JobRow>(
        `SELECT ${JOB} FROM analysis_jobs WHERE release_id = ? ORDER BY analyzer`,
        releaseId,
      );
    },
    async insertToken(sha, role: Role, name, at) {
      db.prepare(
        "INSERT INTO api_tokens (token_sha256, role, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (token_sha256) DO NOTHING",
      ).run(sha, role, name, at);
    },
    async replaceTokens(tokens, at) {
      const insert = db.prepare(
        "INSERT INTO api_tokens (token_sha256, role, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (token_sha256) DO NOTHING",
      );
      db.transaction(() => {
        db.prepare("DELETE FROM api_tokens").run();
        for (const t of tokens) insert.run(t.tokenSha256, t.role, t.name, at);
      }).immediate();
    },
    async tokenRole(sha) {
      return one<{ role: Role; name: string }>(
        "SELECT role, name FROM api_tokens WHERE token_sha256 = ?",
        sha,
      );
    },
  };
}
