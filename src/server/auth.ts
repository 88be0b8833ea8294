/**
 * Who may write. Decision 4: a server listening beyond loopback refuses to start without a bearer
 * token for adds; one bound to loopback with no token accepts adds from loopback only. Tokens are
 * kept as SHA-256 digests and compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
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
 * Who a request is: its `Authorization: Bearer <token>` looked up by digest, and its role checked
 * against `roles` (admin may do anything). Tokens are stored as SHA-256 digests; the digest found
 * is compared in constant time with the presented one's.
 */
export function identityCheck(
  lookup: TokenLookup,
): (request: FastifyRequest, roles: readonly string[]) => Promise<{ role: string; name: string }> {
  return async (request, roles) => {
    const match = /^Bearer (\S{1,512})$/.exec(request.headers.authorization ?? "");
    if (!match) {
      throw new CrosscheckError(
        "E_UNAUTHORIZED",
        `This request needs a bearer token (role ${roles.join(" or ")}) in the Authorization header.`,
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
      throw new CrosscheckError(
        "E_UNAUTHORIZED",
        "The bearer token is not one this service issued.",
      );
    }
    if (found.role !== "admin" && !roles.includes(found.role)) {
      throw new CrosscheckError(
        "E_FORBIDDEN",
        `The token of ${found.name} has role ${found.role}; this request needs ${roles.join(" or ")}.`,
      );
    }
    return { role: found.role, name: found.name };
  };
}

/** A check that the request carries a bearer token of one of `roles` (see `identityCheck`). */
export function roleCheck(
  lookup: TokenLookup,
): (request: FastifyRequest, roles: readonly string[]) => Promise<void> {
  const identify = identityCheck(lookup);
  return async (request, roles) => {
    await identify(request, roles);
  };
}
