/**
 * The portal talks to the server only through its HTTP API, same origin (the CSP allows nothing
 * else). Errors keep the API's `{"error":{"code","message"}}` shape so pages can show the code and
 * the sentence. Writes (`send`) carry the session cookie (`credentials: "same-origin"`) and the
 * session's `X-CSRF-Token`, which lives in memory only (see session.ts).
 */

import { LogClient } from "../../src/log/client.js";

/**
 * A client of this server's log. `fetch` is wrapped: LogClient calls it as a method of itself,
 * and browsers refuse `window.fetch` called with another `this` ("Illegal invocation").
 */
export function logClient(prefix = "/log"): LogClient {
  return new LogClient(`${window.location.origin}${prefix}`, {
    fetch: (input, init) => window.fetch(input, init),
  });
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request(
  path: string,
  init: Omit<RequestInit, "headers"> & { headers?: Record<string, string> } = {},
): Promise<Response> {
  const response = await fetch(path, {
    credentials: "same-origin",
    ...init,
    headers: { accept: "application/json, text/plain, */*", ...init.headers },
  });
  if (response.ok) return response;
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    throw new ApiError(
      response.status,
      body.error?.code ?? `HTTP_${response.status}`,
      body.error?.message ?? text,
    );
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(response.status, `HTTP_${response.status}`, text.slice(0, 300));
  }
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

/** The CSRF token of the signed-in session, kept in memory by session.ts. */
let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** A write: JSON body, the session cookie and its X-CSRF-Token; answers JSON or nothing (204). */
export async function send<T>(
  method: "POST" | "PATCH" | "PUT",
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

export async function getBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await request(path)).arrayBuffer());
}

export const CHANNELS = ["product", "sigdb", "rules", "dictionary"] as const;
export type ChannelName = (typeof CHANNELS)[number];
export const STATUSES = ["analyzing", "in-review", "published", "rejected"] as const;

export interface ArtifactSummary {
  name: string;
  size: number;
  sha256: string;
}

/** `ReleaseSummary` of src/releases/http.ts. */
export interface ReleaseSummary {
  envelopeSha256: string;
  channel: ChannelName;
  version: string;
  status: string;
  logIndex: number;
  submittedAt: string;
  publishedAt: string | null;
  reportSha256: string | null;
  artifacts: ArtifactSummary[];
}

export interface ChannelInfo {
  channel: ChannelName;
  newestSubmitted: ReleaseSummary | null;
  latestPublished: ReleaseSummary | null;
}

export interface ReleaseDetail {
  release: ReleaseSummary;
  jobs: {
    analyzer: string;
    status: string;
    attempts: number;
    reportSha256: string | null;
    error: string | null;
  }[];
  /** The vendor-signed release predicate: source, build recipe, previous release, audience. */
  predicate: {
    source?: { repository: string; commit: string };
    build?: { recipe: string; builder?: string };
    previous: { envelopeSha256: string } | null;
    audience: "everyone" | { region: string };
  };
  reviews: {
    organization: string;
    /** The reviewer key's id. */
    reviewer: string;
    /** The person the verdict names. */
    reviewerName: string;
    verdict: string;
    timeVerified: string;
    comment: string;
    triage: { finding: string; decision: "accept" | "reject"; justification: string }[];
    envelopeSha256: string;
    logIndex: number;
  }[];
  /** Independent rebuilders' signed results (issue 10). */
  rebuilds: {
    organization: string;
    rebuilder: string;
    builder: string;
    status: "GOOD" | "BAD" | "FAIL" | "UNKNOWN";
    timeFinished: string;
    reason: string;
    source: { repository: string; commit: string };
    artifacts: { name: string; sha256: string; rebuiltSha256: string | null }[];
    differences: { artifact: string; member: string; kind: string; detail: string }[];
    envelopeSha256: string;
    logIndex: number;
  }[];
}

export interface GatewayStatus {
  gateway: string;
  dictionary: string | null;
  regions: { region: string; endpoints: string[] }[];
  tenants: { name: string; region: string }[];
  spool: Record<string, unknown>;
  auditLog: { origin: string; verifierKey: string };
}

/** The gateway's status, or null when this server runs no gateway (its route is absent). */
export async function gatewayStatus(): Promise<GatewayStatus | null> {
  try {
    return await getJson<GatewayStatus>("/api/v1/gateway/status");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** The size line of a checkpoint note (C2SP: origin, size, root hash). */
export function checkpointSize(note: string): number {
  return Number(note.split("\n")[1]);
}

/** The signed-in user as GET /api/v1/auth/me and POST /api/v1/auth/signin answer. */
export interface SessionUser {
  name: string;
  role: string;
  csrfToken: string;
}

/** A concern or an answer (src/accounts/http.ts): who, as what, when, and where it was logged. */
export interface Posting {
  id: number;
  text: string;
  author: string;
  role: string;
  createdAt: string;
  logIndex: number | null;
}

export interface Concern extends Posting {
  target: { kind: "release" | "finding" | "dictionary-field"; ref: string };
}

export interface ConcernWithAnswers extends Concern {
  answers: (Posting & { concernId: number })[];
}

export const SEVERITIES = ["none", "low", "medium", "high", "critical"] as const;
export const REPORT_STATUSES = ["new", "triaged", "fixed", "rejected"] as const;

/** A vulnerability report as its vendor sees it (award in cents). */
export interface Report {
  id: number;
  title: string;
  description: string;
  contact: string;
  product: string | null;
  severity: string | null;
  status: string;
  award: number | null;
  fixedIn: string | null;
  receivedAt: string;
  updatedAt: string;
}

/** A fixed report as everyone sees it (award in cents). */
export interface PublicReport {
  id: number;
  title: string;
  product: string | null;
  severity: string | null;
  fixedIn: string | null;
  award: number | null;
  receivedAt: string;
  fixedAt: string;
}

/** Uploads one artifact's bytes (vendor): stored by its digest, checked by the server on arrival. */
export async function uploadArtifact(sha256: string, file: Blob): Promise<void> {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  await request(`/api/v1/artifacts/${sha256}?size=${file.size}`, {
    method: "PUT",
    headers,
    body: file,
  });
}
