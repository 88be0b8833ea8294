/**
 * What the accounts component keeps (migration 5): people and their sessions, concerns about
 * releases with the vendor's answers, and vulnerability reports. Timestamps are RFC 3339 text;
 * session ids and CSRF tokens are kept as SHA-256 digests only.
 */
import { CrosscheckError } from "../../errors/index.js";

export const ROLES = ["vendor", "reviewer", "rebuilder", "auditor", "admin", "tenant"] as const;
export type Role = (typeof ROLES)[number];

export interface UserRow {
  name: string;
  role: Role;
  /** `scrypt$N$r$p$salt$hash` (see passwords.ts). */
  passwordHash: string;
  createdAt: string;
  disabled: boolean;
}

export interface NewSession {
  idSha256: string;
  name: string;
  csrfSha256: string;
  createdAt: string;
  expiresAt: string;
}

/** A session joined with its user, so a disabled user's sessions are seen as such. */
export interface SessionRow extends NewSession {
  role: Role;
  disabled: boolean;
}

export const TARGET_KINDS = ["release", "finding", "dictionary-field"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface NewConcern {
  targetKind: TargetKind;
  targetRef: string;
  text: string;
  author: string;
  role: string;
  createdAt: string;
}
export interface ConcernRow extends NewConcern {
  id: number;
  /** Index of its entry in the release log; null only if the process died before logging. */
  logIndex: number | null;
}

export interface NewAnswer {
  concernId: number;
  text: string;
  author: string;
  role: string;
  createdAt: string;
}
export interface AnswerRow extends NewAnswer {
  id: number;
  logIndex: number | null;
}

export const SEVERITIES = ["none", "low", "medium", "high", "critical"] as const;
export const REPORT_STATUSES = ["new", "triaged", "fixed", "rejected"] as const;
export type Severity = (typeof SEVERITIES)[number];
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export interface NewReport {
  title: string;
  description: string;
  contact: string;
  product: string | null;
  receivedAt: string;
}
export interface ReportRow extends NewReport {
  id: number;
  severity: Severity | null;
  status: ReportStatus;
  awardCents: number | null;
  fixedIn: string | null;
  updatedAt: string;
}
export interface ReportTriage {
  severity: Severity;
  status: ReportStatus;
  /** Undefined leaves the stored value as it is. */
  awardCents?: number;
  fixedIn?: string;
  updatedAt: string;
}

export interface AccountStore {
  /** Throws E_USER_EXISTS if the name is taken. */
  createUser(user: { name: string; role: Role; passwordHash: string }, at: string): Promise<void>;
  user(name: string): Promise<UserRow | undefined>;
  users(): Promise<UserRow[]>;
  /** Disables the user and ends their sessions; false if there is no such user. */
  disableUser(name: string): Promise<boolean>;
  /** Gives the user another role and ends their sessions (the new role applies from the next sign-in). */
  setRole(name: string, role: Role): Promise<boolean>;

  createSession(session: NewSession): Promise<void>;
  session(idSha256: string): Promise<SessionRow | undefined>;
  deleteSession(idSha256: string): Promise<void>;
  deleteExpiredSessions(now: string): Promise<number>;

  addConcern(concern: NewConcern): Promise<number>;
  setConcernLogIndex(id: number, index: number): Promise<void>;
  concern(id: number): Promise<ConcernRow | undefined>;
  /** Newest first; `target` matches a ref exactly, and a release's sha256 also its findings. */
  concerns(options: { target?: string; limit: number }): Promise<ConcernRow[]>;
  addAnswer(answer: NewAnswer): Promise<number>;
  setAnswerLogIndex(id: number, index: number): Promise<void>;
  /** Oldest first. */
  answers(concernId: number): Promise<AnswerRow[]>;

  addReport(report: NewReport): Promise<number>;
  report(id: number): Promise<ReportRow | undefined>;
  /** Newest first. */
  reports(options?: { status?: ReportStatus }): Promise<ReportRow[]>;
  triageReport(id: number, triage: ReportTriage): Promise<ReportRow | undefined>;
}

/** A release's sha256 names its findings too (`sha256#findingId`). */
export const RELEASE_REF = /^[0-9a-f]{64}$/;

export function userExists(name: string) {
  return new CrosscheckError(
    "E_USER_EXISTS",
    `A user named ${name} exists already; pick another name.`,
  );
}
