/**
 * Accounts, sessions and what signed-in people write (issue 8, Decision 16). Sessions: the cookie
 * carries a random 32-byte token; the database keeps only its SHA-256. The CSRF token is derived
 * from the session token (HMAC), so it can be handed out again after a page reload without being
 * stored in the clear; its SHA-256 is stored and compared in constant time. Concerns and answers
 * are appended to the release log as compact JSON naming the text by digest, so a later edit of
 * the database shows.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { CrosscheckError } from "../errors/index.js";
import { hashPassword, spendVerifyTime, verifyPassword } from "./passwords.js";
import {
  type AccountStore,
  type AnswerRow,
  type ConcernRow,
  RELEASE_REF,
  type ReportRow,
  type ReportStatus,
  type ReportTriage,
  type Role,
  type TargetKind,
} from "./storage/index.js";

export const SESSION_HOURS = 12;
export const SESSION_COOKIE = "crosscheck_session";

/** Who is acting: from a bearer token or a session. */
export interface Actor {
  name: string;
  role: string;
}

export interface AccountServiceOptions {
  store: AccountStore;
  /** Where concerns and answers are logged (the release transparency log). */
  log?: { add(entry: Uint8Array): Promise<{ index: number }> };
  /** Whether a release exists; concerns about unknown releases are refused when given. */
  releaseExists?: (sha256: string) => Promise<boolean>;
  now?: () => Date;
  sessionHours?: number;
  /** Failed sign-ins per account and quarter hour before that account is paused. */
  failuresPerAccount?: number;
}

const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** Finding ids and dictionary paths: printable, no spaces, bounded. */
const FINDING_REF = /^[0-9a-f]{64}#[A-Za-z0-9._:/-]{1,200}$/;
const FIELD_REF = /^[A-Za-z0-9_.-]{1,128}\/[A-Za-z0-9_.[\]/-]{1,256}$/;

const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export class AccountService {
  readonly store: AccountStore;
  private readonly options: AccountServiceOptions;
  private readonly now: () => Date;
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(options: AccountServiceOptions) {
    this.store = options.store;
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  // ——— users ———

  async createUser(name: string, role: Role, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.store.createUser({ name, role, passwordHash }, this.now().toISOString());
  }

  async disableUser(name: string): Promise<void> {
    if (!(await this.store.disableUser(name))) {
      throw new CrosscheckError("E_NOT_FOUND", `There is no user named ${name}.`);
    }
  }

  async setRole(name: string, role: Role): Promise<void> {
    if (!(await this.store.setRole(name, role))) {
      throw new CrosscheckError("E_NOT_FOUND", `There is no user named ${name}.`);
    }
  }

  // ——— sessions ———

  /**
   * Checks the password and opens a session. Unknown names, wrong passwords and disabled users
   * get the same answer, after the same scrypt work, so sign-in does not reveal who exists.
   */
  async signIn(
    name: string,
    password: string,
  ): Promise<{
    token: string;
    csrfToken: string;
    name: string;
    role: Role;
    expiresAt: string;
    maxAgeSeconds: number;
  }> {
    const now = this.now();
    this.checkFailures(name, now.getTime());
    const user = await this.store.user(name);
    const ok = user ? await verifyPassword(password, user.passwordHash) : false;
    if (!user) await spendVerifyTime(password);
    if (!user || !ok || user.disabled) {
      this.countFailure(name, now.getTime());
      throw new CrosscheckError("E_SIGNIN_FAILED", "The name or the password is wrong.");
    }
    this.failures.delete(name);
    const raw = randomBytes(32);
    const token = raw.toString("base64url");
    const csrfToken = csrfFor(raw);
    const maxAgeSeconds = (this.options.sessionHours ?? SESSION_HOURS) * 3600;
    const expiresAt = new Date(now.getTime() + maxAgeSeconds * 1000).toISOString();
    await this.store.createSession({
      idSha256: sha256Hex(raw),
      name: user.name,
      csrfSha256: sha256Hex(csrfToken),
      createdAt: now.toISOString(),
      expiresAt,
    });
    // Expired rows are useless; clearing them here keeps the table small without a timer.
    await this.store.deleteExpiredSessions(now.toISOString());
    return { token, csrfToken, name: user.name, role: user.role, expiresAt, maxAgeSeconds };
  }

  /** The live session a cookie token names (not expired, user not disabled), with its CSRF token. */
  async session(
    token: string,
  ): Promise<{ name: string; role: Role; csrfSha256: string; csrfToken: string } | undefined> {
    const raw = decodeToken(token);
    if (!raw) return undefined;
    const row = await this.store.session(sha256Hex(raw));
    if (!row || row.disabled || row.expiresAt <= this.now().toISOString()) return undefined;
    return { name: row.name, role: row.role, csrfSha256: row.csrfSha256, csrfToken: csrfFor(raw) };
  }

  async signOut(token: string): Promise<void> {
    const raw = decodeToken(token);
    if (raw) await this.store.deleteSession(sha256Hex(raw));
  }

  private checkFailures(name: string, now: number): void {
    const seen = this.failures.get(name);
    const max = this.options.failuresPerAccount ?? 10;
    if (seen && now - seen.since < FAILURE_WINDOW_MS && seen.count >= max) {
      throw new CrosscheckError(
        "E_RATE_LIMITED",
        "Too many failed sign-ins for this account; wait a quarter of an hour and try again.",
      );
    }
  }

  private countFailure(name: string, now: number): void {
    // Bounded: a flood of made-up names must not grow memory without end.
    if (this.failures.size > 10_000) {
      for (const [key, value] of this.failures) {
        if (now - value.since >= FAILURE_WINDOW_MS) this.failures.delete(key);
      }
      if (this.failures.size > 10_000) this.failures.clear();
    }
    const seen = this.failures.get(name);
    if (!seen || now - seen.since >= FAILURE_WINDOW_MS)
      this.failures.set(name, { count: 1, since: now });
    else seen.count++;
  }

  // ——— concerns ———

  async addConcern(
    who: Actor,
    target: { kind: TargetKind; ref: string },
    text: string,
  ): Promise<ConcernRow> {
    await this.checkTarget(target);
    const createdAt = this.now().toISOString();
    const row = {
      targetKind: target.kind,
      targetRef: target.ref,
      text,
      author: who.name,
      role: who.role,
      createdAt,
    };
    const id = await this.store.addConcern(row);
    // Stored first, then logged: the id is part of the entry. A crash in between leaves a row
    // with no log index, which readers see (logIndex null), never an entry without its row.
    const logIndex = await this.logEntry({
      type: "crosscheck.concern/v1",
      id,
      target: { kind: target.kind, ref: target.ref },
      author: who.name,
      role: who.role,
      at: createdAt,
      textSha256: sha256Hex(text),
    });
    if (logIndex !== null) await this.store.setConcernLogIndex(id, logIndex);
    return { id, ...row, logIndex };
  }

  async answer(who: Actor, concernId: number, text: string): Promise<AnswerRow> {
    if (!(await this.store.concern(concernId))) {
      throw new CrosscheckError("E_NOT_FOUND", `There is no concern ${concernId}.`);
    }
    const createdAt = this.now().toISOString();
    const row = { concernId, text, author: who.name, role: who.role, createdAt };
    const id = await this.store.addAnswer(row);
    const logIndex = await this.logEntry({
      type: "crosscheck.concern-answer/v1",
      id,
      target: { kind: "concern", ref: String(concernId) },
      author: who.name,
      role: who.role,
      at: createdAt,
      textSha256: sha256Hex(text),
    });
    if (logIndex !== null) await this.store.setAnswerLogIndex(id, logIndex);
    return { id, ...row, logIndex };
  }

  async concern(id: number): Promise<ConcernRow & { answers: AnswerRow[] }> {
    const row = await this.store.concern(id);
    if (!row) throw new CrosscheckError("E_NOT_FOUND", `There is no concern ${id}.`);
    return { ...row, answers: await this.store.answers(id) };
  }

  private async checkTarget(target: { kind: TargetKind; ref: string }): Promise<void> {
    const pattern =
      target.kind === "release" ? RELEASE_REF : target.kind === "finding" ? FINDING_REF : FIELD_REF;
    if (!pattern.test(target.ref)) {
      const shape = {
        release: "the release's hex SHA-256",
        finding: "<release sha256>#<finding id>",
        "dictionary-field": "<event>/<field>",
      }[target.kind];
      throw new CrosscheckError(
        "E_INVALID_INPUT",
        `A ${target.kind} concern names its target as ${shape}; got ${JSON.stringify(target.ref.slice(0, 80))}.`,
      );
    }
    if (target.kind !== "dictionary-field" && this.options.releaseExists) {
      const sha = target.ref.slice(0, 64);
      if (!(await this.options.releaseExists(sha))) {
        throw new CrosscheckError("E_RELEASE_NOT_FOUND", `There is no release ${sha}.`);
      }
    }
  }

  private async logEntry(entry: Record<string, unknown>): Promise<number | null> {
    if (!this.options.log) return null;
    const { index } = await this.options.log.add(new TextEncoder().encode(JSON.stringify(entry)));
    return index;
  }

  // ——— vulnerability reports ———

  async addReport(report: {
    title: string;
    description: string;
    contact: string;
    product?: string;
  }): Promise<{ id: number }> {
    checkContact(report.contact);
    const id = await this.store.addReport({
      title: report.title,
      description: report.description,
      contact: report.contact,
      product: report.product ?? null,
      receivedAt: this.now().toISOString(),
    });
    return { id };
  }

  async triage(id: number, triage: Omit<ReportTriage, "updatedAt">): Promise<ReportRow> {
    const row = await this.store.triageReport(id, {
      ...triage,
      updatedAt: this.now().toISOString(),
    });
    if (!row) throw new CrosscheckError("E_NOT_FOUND", `There is no report ${id}.`);
    return row;
  }

  /** Fixed reports as the public sees them: no contact, no description, with awards. */
  async publicReports(): Promise<{
    reports: {
      id: number;
      title: string;
      product: string | null;
      severity: string | null;
      fixedIn: string | null;
      awardCents: number | null;
      receivedAt: string;
      fixedAt: string;
    }[];
    totalPaidCents: number;
  }> {
    const fixed = await this.store.reports({ status: "fixed" satisfies ReportStatus });
    return {
      reports: fixed.map((r) => ({
        id: r.id,
        title: r.title,
        product: r.product,
        severity: r.severity,
        fixedIn: r.fixedIn,
        awardCents: r.awardCents,
        receivedAt: r.receivedAt,
        fixedAt: r.updatedAt,
      })),
      totalPaidCents: fixed.reduce((sum, r) => sum + (r.awardCents ?? 0), 0),
    };
  }
}

function decodeToken(token: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const raw = Buffer.from(token, "base64url");
  return raw.length === 32 ? raw : undefined;
}

function csrfFor(raw: Buffer): string {
  return createHmac("sha256", raw).update("crosscheck csrf v1").digest("base64url");
}

const EMAIL = /^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;

function checkContact(contact: string): void {
  if (EMAIL.test(contact)) return;
  try {
    const url = new URL(contact);
    if ((url.protocol === "https:" || url.protocol === "http:") && url.hostname) return;
  } catch {
    // falls through to the refusal
  }
  throw new CrosscheckError(
    "E_INVALID_INPUT",
    "The contact must be an e-mail address or an http(s) URL where we can reach you.",
  );
}
