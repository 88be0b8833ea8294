/** The accounts tables on PostgreSQL. BIGINT columns come back as text and are turned to numbers. */
import { CrosscheckError } from "../../errors/index.js";
import type { PostgresDatabase } from "../../store/index.js";
import {
  type AccountStore,
  type AnswerRow,
  type ConcernRow,
  RELEASE_REF,
  type ReportRow,
  type SessionRow,
  type UserRow,
  userExists,
} from "./storage.js";

const num = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

type Raw<T> = Omit<T, "logIndex" | "awardCents"> & { logIndex?: unknown; awardCents?: unknown };
const concernRow = (r: Raw<ConcernRow>): ConcernRow => ({ ...r, logIndex: num(r.logIndex) });
const answerRow = (r: Raw<AnswerRow>): AnswerRow => ({ ...r, logIndex: num(r.logIndex) });
const reportRow = (r: Raw<ReportRow>): ReportRow => ({ ...r, awardCents: num(r.awardCents) });

export function openPostgresAccountStore(database: PostgresDatabase): AccountStore {
  const { sql } = database;
  // Fresh fragments per query: a postgres.js fragment is a pending query object.
  const selectUser = () =>
    sql`SELECT name, role, password_hash AS "passwordHash", created_at AS "createdAt", disabled FROM users`;
  const selectConcern =
    () => sql`SELECT id, target_kind AS "targetKind", target_ref AS "targetRef", text, author, role,
    created_at AS "createdAt", log_index AS "logIndex" FROM concerns`;
  const reportColumns = () => sql`id, title, description, contact, product, severity, status,
    award_cents AS "awardCents", fixed_in AS "fixedIn", received_at AS "receivedAt", updated_at AS "updatedAt"`;

  return {
    async createUser(user, at) {
      try {
        await sql`INSERT INTO users (name, role, password_hash, created_at)
          VALUES (${user.name}, ${user.role}, ${user.passwordHash}, ${at})`;
      } catch (err) {
        if ((err as { code?: string }).code === "23505") throw userExists(user.name);
        throw err;
      }
    },
    async user(name) {
      const [row] = await sql<UserRow[]>`${selectUser()} WHERE name = ${name}`;
      return row;
    },
    async users() {
      return [...(await sql<UserRow[]>`${selectUser()} ORDER BY name`)];
    },
    async disableUser(name) {
      return sql.begin(async (tx) => {
        const [row] = await tx<
          { id: number }[]
        >`UPDATE users SET disabled = TRUE WHERE name = ${name} RETURNING id`;
        if (!row) return false;
        await tx`DELETE FROM sessions WHERE user_id = ${row.id}`;
        return true;
      });
    },

    async setRole(name, role) {
      return sql.begin(async (tx) => {
        const [row] = await tx<
          { id: number }[]
        >`UPDATE users SET role = ${role} WHERE name = ${name} RETURNING id`;
        if (!row) return false;
        await tx`DELETE FROM sessions WHERE user_id = ${row.id}`;
        return true;
      });
    },

    async createSession(s) {
      const [row] = await sql<{ id: number }[]>`
        INSERT INTO sessions (id, user_id, csrf_sha256, created_at, expires_at)
        SELECT ${s.idSha256}, id, ${s.csrfSha256}, ${s.createdAt}, ${s.expiresAt} FROM users WHERE name = ${s.name}
        RETURNING 1 AS id`;
      if (!row) throw new CrosscheckError("E_NOT_FOUND", `No user ${s.name}.`);
    },
    async session(idSha256) {
      const [row] = await sql<SessionRow[]>`
        SELECT s.id AS "idSha256", u.name, u.role, u.disabled, s.csrf_sha256 AS "csrfSha256",
          s.created_at AS "createdAt", s.expires_at AS "expiresAt"
        FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ${idSha256}`;
      return row;
    },
    async deleteSession(idSha256) {
      await sql`DELETE FROM sessions WHERE id = ${idSha256}`;
    },
    async deleteExpiredSessions(now) {
      return (await sql`DELETE FROM sessions WHERE expires_at <= ${now}`).count;
    },

    async addConcern(c) {
      const [row] = await sql<{ id: number }[]>`
        INSERT INTO concerns (target_kind, target_ref, text, author, role, created_at)
        VALUES (${c.targetKind}, ${c.targetRef}, ${c.text}, ${c.author}, ${c.role}, ${c.createdAt})
        RETURNING id`;
      return Number(row?.id);
    },
    async setConcernLogIndex(id, index) {
      await sql`UPDATE concerns SET log_index = ${index} WHERE id = ${id}`;
    },
    async concern(id) {
      const [row] = await sql<Raw<ConcernRow>[]>`${selectConcern()} WHERE id = ${id}`;
      return row && concernRow(row);
    },
    async concerns({ target, limit }) {
      // A hex digest has no LIKE wildcards, so the prefix pattern is exact.
      const findings = target !== undefined && RELEASE_REF.test(target) ? `${target}#%` : null;
      const rows =
        target === undefined
          ? await sql<Raw<ConcernRow>[]>`${selectConcern()} ORDER BY id DESC LIMIT ${limit}`
          : await sql<Raw<ConcernRow>[]>`${selectConcern()}
              WHERE target_ref = ${target} OR target_ref LIKE ${findings} ORDER BY id DESC LIMIT ${limit}`;
      return rows.map(concernRow);
    },
    async addAnswer(a) {
      const [row] = await sql<{ id: number }[]>`
        INSERT INTO concern_answers (concern_id, text, author, role, created_at)
        VALUES (${a.concernId}, ${a.text}, ${a.author}, ${a.role}, ${a.createdAt})
        RETURNING id`;
      return Number(row?.id);
    },
    async setAnswerLogIndex(id, index) {
      await sql`UPDATE concern_answers SET log_index = ${index} WHERE id = ${id}`;
    },
    async answers(concernId) {
      const rows = await sql<Raw<AnswerRow>[]>`
        SELECT id, concern_id AS "concernId", text, author, role, created_at AS "createdAt",
          log_index AS "logIndex"
        FROM concern_answers WHERE concern_id = ${concernId} ORDER BY id`;
      return rows.map(answerRow);
    },

    async addReport(r) {
      const [row] = await sql<{ id: number }[]>`
        INSERT INTO vulnerability_reports (title, description, contact, product, status, received_at, updated_at)
        VALUES (${r.title}, ${r.description}, ${r.contact}, ${r.product}, 'new', ${r.receivedAt}, ${r.receivedAt})
        RETURNING id`;
      return Number(row?.id);
    },
    async report(id) {
      const [row] = await sql<
        Raw<ReportRow>[]
      >`SELECT ${reportColumns()} FROM vulnerability_reports WHERE id = ${id}`;
      return row && reportRow(row);
    },
    async reports(options = {}) {
      const rows = options.status
        ? await sql<Raw<ReportRow>[]>`SELECT ${reportColumns()} FROM vulnerability_reports
            WHERE status = ${options.status} ORDER BY id DESC`
        : await sql<
            Raw<ReportRow>[]
          >`SELECT ${reportColumns()} FROM vulnerability_reports ORDER BY id DESC`;
      return rows.map(reportRow);
    },
    async triageReport(id, t) {
      const [row] = await sql<Raw<ReportRow>[]>`
        UPDATE vulnerability_reports SET severity = ${t.severity}, status = ${t.status},
          award_cents = COALESCE(${t.awardCents ?? null}::BIGINT, award_cents),
          fixed_in = COALESCE(${t.fixedIn ?? null}::TEXT, fixed_in), updated_at = ${t.updatedAt}
        WHERE id = ${id}
        RETURNING ${reportColumns()}`;
      return row && reportRow(row);
    },
  };
}
