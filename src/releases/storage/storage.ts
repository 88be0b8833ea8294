/**
 * The release pipeline's storage: the narrow set of operations its lifecycles need, with one
 * implementation per database (`sqlite.ts`, `postgres.ts`). Envelopes are stored as submitted;
 * the log holds them too, and `log_index` says where.
 */
export type ReleaseStatus = "analyzing" | "in-review" | "published" | "rejected";
export type JobStatus = "queued" | "running" | "done" | "failed";
/**
 * Who a token speaks for: release roles (`rebuilder` submits rebuild statements), gateway senders
 * (`tenant`) and read-only `auditor`s.
 */
export type Role = "vendor" | "reviewer" | "rebuilder" | "admin" | "tenant" | "auditor";

export interface ReleaseRow {
  id: number;
  channel: string;
  version: string;
  envelopeSha256: string;
  envelope: string;
  status: ReleaseStatus;
  logIndex: number;
  report: string | null;
  reportSha256: string | null;
  submittedAt: string;
  publishedAt: string | null;
}

export interface HeadRow {
  releaseId: number;
  envelopeSha256: string;
  envelope: string;
  issued: string;
  expires: string;
  logIndex: number;
}

export interface ReviewRow {
  releaseId: number;
  envelopeSha256: string;
  envelope: string;
  organization: string;
  reviewerKeyid: string;
  verdict: "approve" | "reject";
  logIndex: number;
  submittedAt: string;
}

/** A rebuilder's signed statement about a release (checked against the policy on entry). */
export interface RebuildRow {
  releaseId: number;
  envelopeSha256: string;
  envelope: string;
  organization: string;
  rebuilderKeyid: string;
  status: "GOOD" | "BAD" | "FAIL" | "UNKNOWN";
  logIndex: number;
  submittedAt: string;
}

/** A reviewer's draft judgement of one finding (the signed one is in their verdict). */
export interface TriageRow {
  releaseId: number;
  finding: string;
  /** Who judged: the signed-in reviewer's (or token's) name. */
  author: string;
  decision: "accept" | "reject";
  justification: string;
  updatedAt: string;
}

/** Who claims a job, and for how long without a renewal. */
export interface JobClaim {
  worker: string;
  leaseMs: number;
}

export interface JobRow {
  id: number;
  releaseId: number;
  analyzer: string;
  status: JobStatus;
  attempts: number;
  report: string | null;
  reportSha256: string | null;
  error: string | null;
}

/** An API token as stored: its SHA-256 only, never the token. */
export interface TokenRow {
  tokenSha256: string;
  role: Role;
  name: string;
}

export type NewRelease = Omit<ReleaseRow, "id" | "report" | "reportSha256" | "publishedAt">;

export interface ReleaseListFilter {
  channel?: string;
  status?: string;
  before?: number;
  limit?: number;
}

export interface ReleaseStore {
  /** The channel's newest submitted release (any status). */
  newestRelease(channel: string): Promise<ReleaseRow | undefined>;
  /** The channel's newest published release. */
  latestPublished(channel: string): Promise<ReleaseRow | undefined>;
  release(envelopeSha256: string): Promise<ReleaseRow | undefined>;
  releaseById(id: number): Promise<ReleaseRow | undefined>;
  /** Newest first; `before` (a release id) continues a listing, at most `limit` (≤ 500) rows. */
  listReleases(filter: ReleaseListFilter): Promise<ReleaseRow[]>;
  /** Inserts the release and one queued job per analyzer, in one transaction. */
  insertRelease(row: NewRelease, analyzers: readonly string[]): Promise<ReleaseRow>;
  /** Moves a release from one status to another; false when it was not in `from`. */
  transition(id: number, from: ReleaseStatus, to: ReleaseStatus, at?: string): Promise<boolean>;
  /**
   * Stores the release's findings report once: when two replicas finish its last jobs together,
   * the first report stays (the one reviewers may already be reading).
   */
  setReport(id: number, report: string, reportSha256: string): Promise<void>;

  insertHead(row: HeadRow): Promise<void>;
  /** Records where a head stored unlogged (log index -1) was appended to the log. */
  setHeadLogIndex(envelopeSha256: string, logIndex: number): Promise<void>;
  newestHead(releaseId: number): Promise<HeadRow | undefined>;
  insertReview(row: ReviewRow): Promise<void>;
  reviews(releaseId: number): Promise<ReviewRow[]>;
  insertRebuild(row: RebuildRow): Promise<void>;
  /** The release's rebuild statements, in the order they arrived. */
  rebuilds(releaseId: number): Promise<RebuildRow[]>;
  /** Records (or replaces) one reviewer's judgement of one finding. */
  putTriage(row: TriageRow): Promise<void>;
  /** The release's draft judgements, by finding then author. */
  triage(releaseId: number): Promise<TriageRow[]>;

  /**
   * Puts back jobs whose worker is gone; returns how many. On SQLite (one process owns the file)
   * that is every running job, at start; on PostgreSQL only those whose lease expired, so a
   * replica starting never takes a live replica's job.
   */
  requeueRunning(): Promise<number>;
  /**
   * Claims the oldest queued job — or a running one whose lease expired (its worker died) —
   * atomically (FOR UPDATE SKIP LOCKED across replicas), leased to `claim.worker` for
   * `claim.leaseMs`.
   */
  claimJob(at: string, claim?: JobClaim): Promise<JobRow | undefined>;
  /** Extends the lease of a job this worker runs; false when it is no longer this worker's. */
  renewJob(id: number, claim: JobClaim): Promise<boolean>;
  /**
   * Stores the job's result. With `worker`, only while the job is still that worker's: false when
   * it was taken over (this worker stalled past its lease) and the result is dropped.
   */
  finishJob(
    id: number,
    result: { report: string; reportSha256: string } | { error: string },
    at: string,
    worker?: string,
  ): Promise<boolean>;
  /** Jobs per status (queued, running, …), for /metrics. */
  jobCounts(): Promise<Record<string, number>>;
  jobs(releaseId: number): Promise<JobRow[]>;

  /**
   * Makes `tokens` the only API tokens, in one transaction: a token left out of the service's
   * configuration is revoked when the service starts. Services configure tokens with this.
   */
  replaceTokens(tokens: readonly TokenRow[], at: string): Promise<void>;
  /** Adds one token, keeping the others (test fixtures); it revokes nothing. */
  insertToken(tokenSha256: string, role: Role, name: string, at: string): Promise<void>;
  tokenRole(tokenSha256: string): Promise<{ role: Role; name: string } | undefined>;
}
