/**
 * Who may change what (issue 8, Must show): every write route of the whole service — read from the
 * server's own route table, so a write route added without an expectation here fails — tried by
 * every role, with a bearer token and with a signed-in session, and anonymously. A caller is
 * refused (401/403 with E_UNAUTHORIZED or E_FORBIDDEN) exactly where the table says; a session
 * write without its CSRF token is refused with E_CSRF wherever the role is allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountsWorld,
  ROLES,
  startAccountsWorld,
  type TestRole,
} from "./support/accounts-world.js";

/** Roles allowed on each write route ("public": anyone, no sign-in needed). */
const WRITES: Record<string, readonly TestRole[] | "public"> = {
  "PUT /api/v1/artifacts/:sha256": ["vendor", "admin"],
  "POST /api/v1/releases": ["vendor", "admin"],
  "POST /api/v1/releases/:sha256/reviews": ["reviewer", "admin"],
  "PUT /api/v1/releases/:sha256/triage": ["reviewer", "admin"],
  "POST /api/v1/releases/:sha256/rebuilds": ["rebuilder", "admin"],
  "POST /api/v1/channels/:channel/head": ["vendor", "admin"],
  "POST /log/add": ["vendor", "admin"],
  "POST /v1/events": ["tenant", "admin"],
  "POST /v1/logs": ["tenant", "admin"],
  "POST /v1/samples": ["tenant", "admin"],
  // Only the gateway itself appends to its audit log.
  "POST /gateway/log/add": [],
  "POST /api/v1/auth/signin": "public",
  "POST /api/v1/auth/signout": "public",
  "POST /api/v1/users": ["admin"],
  "POST /api/v1/users/:name/disable": ["admin"],
  "POST /api/v1/users/:name/role": ["admin"],
  "POST /api/v1/concerns": ["auditor", "reviewer", "admin"],
  "POST /api/v1/concerns/:id/answers": ["vendor", "admin"],
  "POST /api/v1/reports": "public",
  "PATCH /api/v1/reports/:id": ["vendor", "admin"],
};

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Every `METHOD /path` of the app, from Fastify's printed route tree. */
function routeTable(printed: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of printed.split("\n")) {
    const match = /^((?:[│ ] {3})*)(?:[├└]── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack.length = depth;
    stack.push(match[2] as string);
    const path = stack.join("").replace(/\/{2,}/g, "/");
    for (const method of (match[3] ?? "").split(", ").filter(Boolean)) {
      routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

/** A concrete request for a route: its parameters filled, a body it can parse. */
function requestFor(route: string): { method: string; url: string; init: RequestInit } {
  const [method, path] = route.split(" ") as [string, string];
  const url = path
    .replace(":sha256", "ab".repeat(32))
    .replace(":channel", "rules")
    .replace(":id", "1")
    .replace(":name", "nobody");
  const octets = route.startsWith("PUT /api/v1/artifacts") || route === "POST /v1/samples";
  return {
    method,
    url: octets && method === "PUT" ? `${url}?size=1` : url,
    init: {
      method,
      headers: { "content-type": octets ? "application/octet-stream" : "application/json" },
      body: octets ? "x" : "{}",
    },
  };
}

const AUTH_CODES = new Set(["E_UNAUTHORIZED", "E_FORBIDDEN"]);

let world: AccountsWorld;
let writes: string[];
const sessions = {} as Record<TestRole, { cookie: string; csrf: string }>;

beforeAll(async () => {
  world = await startAccountsWorld({ gateway: true, signinsPerMinute: 1000 });
  writes = routeTable(world.app.printRoutes({ commonPrefix: false }))
    .filter((r) => WRITE_METHODS.has(r.split(" ")[0] as string))
    // Signing out last: earlier rows need the sessions it ends.
    .sort((a, b) => Number(a.endsWith("/signout")) - Number(b.endsWith("/signout")));
  for (const role of ROLES) sessions[role] = await world.signIn(role);
}, 60_000);
afterAll(async () => {
  await world?.close();
});

async function attempt(
  route: string,
  headers: Record<string, string>,
): Promise<{ status: number; code: string | undefined }> {
  const { url, init } = requestFor(route);
  const response = await fetch(`${world.url}${url}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...headers },
  });
  const text = await response.text();
  let code: string | undefined;
  try {
    // Our API's error shape, or OTLP's google.rpc.Status (`/v1/logs`), whose message starts with it.
    const body = JSON.parse(text) as { error?: { code?: string }; message?: string };
    code = body.error?.code ?? /^(E_[A-Z0-9_]+): /.exec(body.message ?? "")?.[1];
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

describe("the authorization matrix", () => {
  it("knows every write route the server has, and no route it lacks", () => {
    expect(writes.length).toBeGreaterThan(10);
    const unexpected = writes.filter((r) => !(r in WRITES));
    expect(unexpected, "write routes without an expectation in WRITES").toEqual([]);
    expect(Object.keys(WRITES).filter((r) => !writes.includes(r))).toEqual([]);
  });

  it("allows each write route exactly to its roles, by bearer token and by session", async () => {
    const callers: {
      who: string;
      role: TestRole | "anonymous";
      headers: () => Record<string, string>;
    }[] = [
      { who: "anonymous", role: "anonymous", headers: () => ({}) },
      ...ROLES.map((role) => ({
        who: `${role} (bearer)`,
        role,
        headers: () => ({ authorization: `Bearer ${world.tokens[role]}` }),
      })),
      ...ROLES.map((role) => ({
        who: `${role} (session)`,
        role,
        headers: () => ({ cookie: sessions[role].cookie, "x-csrf-token": sessions[role].csrf }),
      })),
    ];
    const wrong: string[] = [];
    let tried = 0;
    for (const route of writes) {
      const expected = WRITES[route] as readonly TestRole[] | "public";
      for (const caller of callers) {
        const allowed =
          expected === "public" || (caller.role !== "anonymous" && expected.includes(caller.role));
        const { status, code } = await attempt(route, caller.headers());
        tried++;
        const refused = (status === 401 || status === 403) && AUTH_CODES.has(code ?? "");
        if (allowed === refused || (allowed && code === "E_CSRF")) {
          wrong.push(
            `${route} by ${caller.who}: ${status} ${code} (expected ${allowed ? "allowed" : "refused"})`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
    // Anonymous, then every role by bearer token and by session.
    expect(tried).toBe(writes.length * (1 + 2 * ROLES.length));
  }, 120_000);

  it("refuses a session write without the session's CSRF token wherever the role may write", async () => {
    // The matrix above ended every session by signing out last.
    for (const role of ROLES) sessions[role] = await world.signIn(role);
    const wrong: string[] = [];
    for (const route of writes) {
      const expected = WRITES[route];
      if (expected === "public" || expected === undefined) continue;
      for (const role of expected) {
        for (const csrf of [undefined, "not-the-token", sessions.vendor.csrf]) {
          if (role === "vendor" && csrf === sessions.vendor.csrf) continue;
          const headers: Record<string, string> = { cookie: sessions[role].cookie };
          if (csrf !== undefined) headers["x-csrf-token"] = csrf;
          const { status, code } = await attempt(route, headers);
          if (status !== 403 || code !== "E_CSRF")
            wrong.push(`${route} by ${role} (csrf ${csrf}): ${status} ${code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
