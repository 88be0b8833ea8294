/** The accounts tables on SQLite (synchronous driver). */
import { CrosscheckError } from "../../errors/index.js";
import type { SqliteDatabase } from "../../store/index.js";
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

const USER = `SELECT name, role, password_hash AS passwordHash, created_at AS createdAt, disabled FROM users`;
const CONCERN = `SELECT id, target_kind AS targetKind, target_ref AS targetRef, text, author, role,
  created_at AS createdAt, log_index AS logIndex FROM concerns`;
const ANSWER = `SELECT id, concern_id AS concernId, text, author, role, created_at AS createdAt,
  log_index AS logIndex FROM concern_answers`;
const REPORT = `SELECT id, title, description, contact, product, severity, status,
  award_cents AS awardCents, fixed_in AS fixedIn, received_at AS receivedAt, updated_at AS updatedAt
  FROM vulnerability_reports`;

type Flagged<T> = Omit<T, "disabled"> & { disabled: number };
const unflag = <T extends { disabled: boolean }>(row: Flagged<T>): T =>
  ({ ...row, disabled: row.disabled !== 0 }) as unknown as T;

export function openSqliteAccountStore(database: SqliteDatabase): AccountStore {
  const { db } = database;
  const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T | undefined;
  const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  const run = (sql: string, ...args: unknown[]) => db.prepare(sql).run(...args);
  const insertId = (sql: string, ...args: unknown[]) => Number(run(sql, ...args).lastInsertRowid);

  return {
    async createUser(user, at) {
      try {
        run(
          "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
          user.name,
          user.role,
          user.passwordHash,
          at,
        );
      } catch (err) {
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE")
          throw userExists(user.name);
        throw err;
      }
    },
    async user(name) {
      const row = one<Flagged<UserRow>>(`${USER} WHERE name = ?`, name);
      return row && unflag<UserRow>(row);
    },
    async users() {
      return all<Flagged<UserRow>>(`${USER} ORDER BY name`).map((r) => unflag<UserRow>(r));
    },
    async disableUser(name) {
      const disable = db.transaction(() => {
        const row = one<{ id: number }>(
          "UPDATE users SET disabled = 1 WHERE name = ? RETURNING id",
          name,
        );
        if (!row) return false;
        run("DELETE FROM sessions WHERE user_id = ?", row.id);
        return true;
      });
      return disable.immediate();
    },

    async setRole(name, role) {
      const change = db.transaction(() => {
        const row = one<{ id: number }>(
          "UPDATE users SET role = ? WHERE name = ? RETURNING id",
          role,
          name,
        );
        if (!row) return false;
        run("DELETE FROM sessions WHERE user_id = ?", row.id);
        return true;
      });
      return change.immediate();
    },

    async createSession(s) {
      const user = one<{ id: number }>("SELECT id FROM users WHERE name = ?", s.name);
      if (!user) throw new CrosscheckError("E_NOT_FOUND", `No user ${s.name}.`);
      run(
        "INSERT INTO sessions (id, user_id, csrf_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        s.idSha256,
        user.id,
        s.csrfSha256,
        s.createdAt,
        s.expiresAt,
      );
    },
    async session(idSha256) {
      const row = one<Flagged<SessionRow>>(
        `SELECT s.id AS idSha256, u.name, u.role, u.disabled, s.csrf_sha256 AS csrfSha256,
           s.created_at AS createdAt, s.expires_at AS expiresAt
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
        idSha256,
      );
      return row && unflag<SessionRow>(row);
    },
    async deleteSession(idSha256) {
      run("DELETE FROM sessions WHERE id = ?", idSha256);
    },
    async deleteExpiredSessions(now) {
      return run("DELETE FROM sessions WHERE expires_at <= ?", now).changes;
    },

    async addConcern(c) {
      return insertId(
        "INSERT INTO concerns (target_kind, target_ref, text, author, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        c.targetKind,
        c.targetRef,
        c.text,
        c.author,
        c.role,
        c.createdAt,
      );
    },
    async setConcernLogIndex(id, index) {
      run("UPDATE concerns SET log_index = ? WHERE id = ?", index, id);
    },
    async concern(id) {
      return one<ConcernRow>(`${CONCERN} WHERE id = ?`, id);
    },
    async concerns({ target, limit }) {
      if (target === undefined)
        return all<ConcernRow>(`${CONCERN} ORDER BY id DESC LIMIT ?`, limit);
      // A hex digest has no LIKE wildcards, so the prefix pattern is exact.
      const findings = RELEASE_REF.test(target) ? `${target}#%` : null;
      return all<ConcernRow>(
        `${CONCERN} WHERE target_ref = ? OR target_ref LIKE ? ORDER BY id DESC LIMIT ?`,
        target,
        findings,
        limit,
      );
    },
    async addAnswer(a) {
      return insertId(
        "INSERT INTO concern_answers (concern_id, text, author, role, created_at) VALUES (?, ?, ?, ?, ?)",
        a.concernId,
        a.text,
        a.author,
        a.role,
        a.createdAt,
      );
    },
    async setAnswerLogIndex(id, index) {
      run("UPDATE concern_answers SET log_index = ? WHERE id = ?", index, id);
    },
    async answers(concernId) {
      return all<AnswerRow>(`${ANSWER} WHERE concern_id = ? ORDER BY id`, concernId);
    },

    async addReport(r) {
      return insertId(
        `INSERT INTO vulnerability_reports (title, description, contact, product, status, received_at, updated_at)
         VALUES (?, ?, ?, ?, 'new', ?, ?)`,
        r.title,
        r.description,
        r.contact,
        r.product,
        r.receivedAt,
        r.receivedAt,
      );
    },
    async report(id) {
      return one<ReportRow>(`${REPORT} WHERE id = ?`, id);
    },
    async reports(options = {}) {
      return options.status
        ? all<ReportRow>(`${REPORT} WHERE status = ? ORDER BY id DESC`, options.status)
        : all<ReportRow>(`${REPORT} ORDER BY id DESC`);
    },
    async triageReport(id, t) {
      return one<ReportRow>(
        `UPDATE vulnerability_reports SET severity = ?, status = ?,
           award_cents = COALESCE(?, award_cents), fixed_in = COALESCE(?, fixed_in), updated_at = ?
         WHERE id = ?
         RETURNING id, title, description, contact, product, severity, status, award_cents AS awardCents,
           fixed_in AS fixedIn, received_at AS receivedAt, updated_at AS updatedAt`,
        t.severity,
        t.status,
        t.awardCents ?? null,
        t.fixedIn ?? null,
        t.updatedAt,
        id,
      );
    },
  };
}
