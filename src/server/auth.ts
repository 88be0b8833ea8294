/**
 * Who may write. Decision 4: a server listening beyond loopback refuses to start without a bearer
 * token for adds; one bound to loopback with no token accepts adds from loopback only. Tokens are
 * kept as SHA-256 digests and compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { SESSION_COOKIE } from "../accounts/index.js";
import { CrosscheckError } from "../errors/index.js";

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** A check for `Authorization: Bearer <token>`, or for a loopback peer when there is no token. */
export function bearerTokenCheck(options: {
  host: string;
  token?: string;
}): (request: FastifyRequest) => void {
  const expected = options.token ? digest(options.token) : undefined;
  if (!expected && !isLoopbackHost(options.host)) {
    throw new CrosscheckError(
      "E_AUTH_REQUIRED",
      `Listening on ${options.host} exposes adds beyond this machine; give a bearer token (--token-file) or listen on 127.0.0.1.`,
    );
  }
  return (request) => {
    if (!expected) {
      if (isLoopbackAddress(request.socket.remoteAddress)) return;
      throw unauthorized();
    }
    const header = request.headers.authorization ?? "";
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) throw unauthorized();
  };
}

function unauthorized(): CrosscheckError {
  return new CrosscheckError(
    "E_UNAUTHORIZED",
    "Adding to this log needs a valid bearer token in the Authorization header.",
  );
}

/** How API tokens are looked up: by the hex SHA-256 of the token (never the token itself). */
export type TokenLookup = (
  tokenSha256: string,
) => Promise<{ role: string; name: string; tokenSha256?: string } | undefined>;

/**
 * A session cookie's token → the live session's user and the SHA-256 of its CSRF token, or
 * undefined if the session is unknown, expired or its user disabled (see src/accounts).
 */
export type SessionLookup = (
  token: string,
) => Promise<{ role: string; name: string; csrfSha256: string } | undefined>;

/** Methods that change something: a cookie alone must never be enough for them (CSRF). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The value of cookie `name` in a Cookie header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Who a request is: its `Authorization: Bearer <token>` looked up by digest, or else (when
 * `sessions` is given) its session cookie; and its role checked against `roles` (admin may do
 * anything). Tokens are stored as SHA-256 digests; the digest found is compared in constant time
 * with the presented one's. A cookie is sent by the browser on its own, so a write authenticated
 * by one must also carry the session's `X-CSRF-Token`; a bearer token is never sent implicitly.
 */
export function identityCheck(
  lookup: TokenLookup,
  sessions?: SessionLookup,
): (request: FastifyRequest, roles: readonly string[]) => Promise<{ role: string; name: string }> {
  return async (request, roles) => {
    const authorization = request.headers.authorization;
    const cookie = sessions ? readCookie(request.headers.cookie, SESSION_COOKIE) : undefined;
    const found =
      authorization === undefined && cookie !== undefined && sessions
        ? await sessionIdentity(request, sessions, cookie)
        : await bearerIdentity(request, lookup, roles);
    if (found.role !== "admin" && !roles.includes(found.role)) {
      throw new CrosscheckError(
        "E_FORBIDDEN",
        `${found.name} has role ${found.role}; this request needs ${roles.join(" or ")}.`,
      );
    }
    return { role: found.role, name: found.name };
  };
}

async function bearerIdentity(
  request: FastifyRequest,
  lookup: TokenLookup,
  roles: readonly string[],
): Promise<{ role: string; name: string }> {
  const match = /^Bearer (\S{1,512})$/.exec(request.headers.authorization ?? "");
  if (!match) {
    throw new CrosscheckError(
      "E_UNAUTHORIZED",
      `This request needs a bearer token (role ${roles.join(" or ")}) in the Authorization header, or a signed-in session.`,
    );
  }
  const presented = digest(match[1] as string);
  const found = await lookup(presented.toString("hex"));
  const stored = found
    ? Buffer.from(found.tokenSha256 ?? presented.toString("hex"), "hex")
    : undefined;
  if (
    !found ||
    !stored ||
    stored.length !== presented.length ||
    !timingSafeEqual(stored, presented)
  ) {
    throw new CrosscheckError("E_UNAUTHORIZED", "The bearer token is not one this service issued.");
  }
  return found;
}

async function sessionIdentity(
  request: FastifyRequest,
  sessions: SessionLookup,
  cookie: string,
): Promise<{ role: string; name: string }> {
  const session = cookie.length <= 512 ? await sessions(cookie) : undefined;
  if (!session) {
    throw new CrosscheckError("E_UNAUTHORIZED", "Your session has ended; sign in again.");
  }
  if (!SAFE_METHODS.has(request.method)) {
    const header = request.headers["x-csrf-token"];
    const presented = digest(typeof header === "string" ? header : "");
    const stored = Buffer.from(session.csrfSha256, "hex");
    if (
      typeof header !== "string" ||
      stored.length !== presented.length ||
      !timingSafeEqual(stored, presented)
    ) {
      throw new CrosscheckError(
        "E_CSRF",
        "A change made with a session cookie needs the session's X-CSRF-Token header (from sign-in or GET /api/v1/auth/me).",
      );
    }
  }
  return session;
}
