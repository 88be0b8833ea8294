/**
 * People on the service over real HTTP (issue 8): sign-in with a session cookie, CSRF on cookie
 * writes (not on bearer writes), rate limits, expiry and disabling, concerns and answers that land
 * in the release log, vulnerability reports from intake to the public list, and the demo's users.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_USERS, ensureDemoUsers, verifyPassword } from "../src/accounts/index.js";
import { envelopeDigest } from "../src/attest/index.js";
import { type AccountsWorld, NAMES, startAccountsWorld } from "./support/accounts-world.js";

let world: AccountsWorld;
beforeAll(async () => {
  world = await startAccountsWorld({ signinsPerMinute: 12 });
}, 60_000);
afterAll(async () => {
  await world?.close();
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON came back
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${world.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    headers: response.headers,
  };
}

const bearer = (role: keyof AccountsWorld["tokens"]) => ({
  authorization: `Bearer ${world.tokens[role]}`,
});
const session = (s: { cookie: string; csrf: string }, csrf = true) => ({
  cookie: s.cookie,
  ...(csrf ? { "x-csrf-token": s.csrf } : {}),
});

describe("sessions", () => {
  it("signs in with a strict HttpOnly cookie, tells who is signed in, and signs out", async () => {
    const r = await call("POST", "/api/v1/auth/signin", {
      body: { name: "auditor", password: world.passwords.auditor },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: "auditor", role: "auditor", csrfToken: expect.any(String) });
    const cookie = r.headers.get("set-cookie") as string;
    expect(cookie).toMatch(/^crosscheck_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("Max-Age=43200");
    expect(cookie).not.toContain("Secure"); // plain http on loopback
    expect(r.headers.get("cache-control")).toBe("no-store");
    const s = { cookie: cookie.split(";")[0] as string, csrf: r.body.csrfToken as string };

    // After a reload the portal gets the same CSRF token back.
    const me = await call("GET", "/api/v1/auth/me", { headers: { cookie: s.cookie } });
    expect(me.body).toEqual({ name: "auditor", role: "auditor", csrfToken: s.csrf });

    // Signing out a live session needs its CSRF token too.
    expect(
      (await call("POST", "/api/v1/auth/signout", { headers: session(s, false) })).body.error.code,
    ).toBe("E_CSRF");
    const out = await call("POST", "/api/v1/auth/signout", { headers: session(s) });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await call("GET", "/api/v1/auth/me", { headers: { cookie: s.cookie } })).status).toBe(
      401,
    );
    const write = await call("POST", "/api/v1/concerns", {
      headers: session(s),
      body: { target: { kind: "dictionary-field", ref: "process_start/user" }, text: "x" },
    });
    expect(write.status).toBe(401);
    expect(write.body.error.code).toBe("E_UNAUTHORIZED");
  });

  it("answers a wrong password and an unknown name alike", async () => {
    const wrong = await call("POST", "/api/v1/auth/signin", {
      body: { name: "vendor", password: "not the password at all" },
    });
    const unknown = await call("POST", "/api/v1/auth/signin", {
      body: { name: "nobody-here", password: "not the password at all" },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body.error.code).toBe("E_SIGNIN_FAILED");
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("requires the CSRF token for cookie writes but not for bearer writes", async () => {
    const s = await world.signIn("reviewer");
    const body = { target: { kind: "dictionary-field", ref: "process_start/user" }, text: "why?" };
    for (const csrf of [undefined, "", "a".repeat(43)]) {
      const r = await call("POST", "/api/v1/concerns", {
        headers: { cookie: s.cookie, ...(csrf !== undefined ? { "x-csrf-token": csrf } : {}) },
        body,
      });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("E_CSRF");
    }
    const ok = await call("POST", "/api/v1/concerns", { headers: session(s), body });
    expect(ok.status).toBe(201);
    expect(ok.body.author).toBe("reviewer");
    // Bearer writes never needed one; a bearer token wins over a cookie.
    const viaToken = await call("POST", "/api/v1/concerns", {
      headers: { ...bearer("auditor"), cookie: s.cookie },
      body,
    });
    expect(viaToken.status).toBe(201);
    expect(viaToken.body.author).toBe("auditor");
    // Reads with a cookie need no token: a release read stays public either way.
    expect((await call("GET", "/api/v1/concerns", { headers: { cookie: s.cookie } })).status).toBe(
      200,
    );
  });

  it("ends sessions when they expire and when their user is disabled", async () => {
    const s = await world.signIn("tenant");
    expect((await call("GET", "/api/v1/auth/me", { headers: { cookie: s.cookie } })).status).toBe(
      200,
    );
    const start = world.clock.now;
    world.clock.now = new Date(start.getTime() + 12 * 3600_000 + 1000);
    try {
      expect((await call("GET", "/api/v1/auth/me", { headers: { cookie: s.cookie } })).status).toBe(
        401,
      );
    } finally {
      world.clock.now = start;
    }
    const v = await world.signIn("vendor");
    const disabled = await call("POST", `/api/v1/users/${NAMES.vendor}/disable`, {
      headers: bearer("admin"),
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled).toBe(true);
    const r = await call("PATCH", "/api/v1/reports/1", {
      headers: session(v),
      body: { severity: "low", status: "triaged" },
    });
    expect(r.body.error.code).toBe("E_UNAUTHORIZED");
    const again = await call("POST", "/api/v1/auth/signin", {
      body: { name: NAMES.vendor, password: world.passwords.vendor },
    });
    expect(again.body.error.code).toBe("E_SIGNIN_FAILED");
  });

  it("limits sign-ins per account and per address", async () => {
    // Runs last among sign-ins: the address limit (12 a minute here) is shared by the file.
    for (let i = 0; i < 10; i++) {
      const last = await call("POST", "/api/v1/auth/signin", {
        body: { name: "admin", password: "wrong password, again" },
      });
      if (last.status === 429) break;
    }
    const locked = await call("POST", "/api/v1/auth/signin", {
      body: { name: "admin", password: world.passwords.admin },
    });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe("E_RATE_LIMITED");
    let limited = false;
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await call("POST", "/api/v1/auth/signin", {
        body: { name: "auditor", password: world.passwords.auditor },
      });
      limited = r.status === 429;
    }
    expect(limited).toBe(true);
  });
});

describe("users", () => {
  it("lets an admin create and list users, without their hashes", async () => {
    const made = await call("POST", "/api/v1/users", {
      headers: bearer("admin"),
      body: { name: "carol", role: "auditor", password: "correct horse battery" },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: "carol", role: "auditor", disabled: false });
    const twice = await call("POST", "/api/v1/users", {
      headers: bearer("admin"),
      body: { name: "carol", role: "auditor", password: "correct horse battery" },
    });
    expect(twice.status).toBe(409);
    const weak = await call("POST", "/api/v1/users", {
      headers: bearer("admin"),
      body: { name: "dave", role: "auditor", password: "short" },
    });
    expect(weak.status).toBe(400);
    const list = await call("GET", "/api/v1/users", { headers: bearer("admin") });
    expect(list.body.users.map((u: { name: string }) => u.name)).toContain("carol");
    expect(JSON.stringify(list.body)).not.toContain("scrypt");
    expect((await call("GET", "/api/v1/users", { headers: bearer("auditor") })).status).toBe(403);
    const stored = await world.accounts.user("carol");
    expect(stored?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("correct horse battery", stored?.passwordHash ?? "")).toBe(true);
  });
});

describe("concerns", () => {
  it("keeps and logs concerns and answers, finds them by release, and returns texts verbatim", async () => {
    const release = world.w.release();
    const sha = envelopeDigest(release);
    await world.service.submit(release, world.w.head(release));
    const text = '<script>alert("x")</script> & the release reads ~/.ssh';
    const raised = await call("POST", "/api/v1/concerns", {
      headers: bearer("auditor"),
      body: { target: { kind: "finding", ref: `${sha}#F-12` }, text },
    });
    expect(raised.status).toBe(201);
    expect(raised.headers.get("content-type")).toContain("application/json");
    const concern = raised.body;
    expect(concern).toMatchObject({
      target: { kind: "finding", ref: `${sha}#F-12` },
      text,
      author: "auditor",
    });
    expect(concern.logIndex).toEqual(expect.any(Number));

    // The log holds exactly the compact entry: adding the same bytes finds it at that index.
    const entry = JSON.stringify({
      type: "crosscheck.concern/v1",
      id: concern.id,
      target: { kind: "finding", ref: `${sha}#F-12` },
      author: "auditor",
      role: "auditor",
      at: concern.createdAt,
      textSha256: createHash("sha256").update(text).digest("hex"),
    });
    const again = await world.w.log.add(new TextEncoder().encode(entry));
    expect(again).toMatchObject({ index: concern.logIndex, duplicate: true });

    const unknownRelease = await call("POST", "/api/v1/concerns", {
      headers: bearer("auditor"),
      body: { target: { kind: "release", ref: "cd".repeat(32) }, text: "?" },
    });
    expect(unknownRelease.status).toBe(404);
    const badRef = await call("POST", "/api/v1/concerns", {
      headers: bearer("auditor"),
      body: { target: { kind: "release", ref: "not a digest" }, text: "?" },
    });
    expect(badRef.status).toBe(400);
    const tooLong = await call("POST", "/api/v1/concerns", {
      headers: bearer("auditor"),
      body: { target: { kind: "release", ref: sha }, text: "x".repeat(10_001) },
    });
    expect(tooLong.status).toBe(400);

    const answered = await call("POST", `/api/v1/concerns/${concern.id}/answers`, {
      headers: bearer("vendor"),
      body: { text: "It reads only the file name." },
    });
    expect(answered.status).toBe(201);
    expect(answered.body).toMatchObject({ concernId: concern.id, author: "vendor" });
    expect(answered.body.logIndex).toBeGreaterThan(concern.logIndex);
    expect(
      (
        await call("POST", "/api/v1/concerns/99999/answers", {
          headers: bearer("vendor"),
          body: { text: "?" },
        })
      ).status,
    ).toBe(404);

    const byRelease = await call("GET", `/api/v1/concerns?target=${sha}`);
    expect(byRelease.body.concerns.map((c: { id: number }) => c.id)).toEqual([concern.id]);
    const one = await call("GET", `/api/v1/concerns/${concern.id}`);
    expect(one.body.text).toBe(text);
    expect(one.body.answers.map((a: { text: string }) => a.text)).toEqual([
      "It reads only the file name.",
    ]);
    expect((await call("GET", "/api/v1/concerns/99999")).status).toBe(404);
  });
});

describe("vulnerability reports", () => {
  it("takes reports from anyone, lets the vendor triage them, and publishes fixed ones without contacts", async () => {
    const report = (title: string) => ({
      title,
      description: "The updater follows symlinks.",
      contact: "finder@example.org",
      product: "agent",
    });
    const a = await call("POST", "/api/v1/reports", { body: report("symlink race") });
    expect(a.status).toBe(201);
    const b = await call("POST", "/api/v1/reports", {
      body: { ...report("log injection"), contact: "https://example.org/me" },
    });
    expect(b.status).toBe(201);
    const badContact = await call("POST", "/api/v1/reports", {
      body: { ...report("x"), contact: "javascript:alert(1)" },
    });
    expect(badContact.status).toBe(400);

    const all = await call("GET", "/api/v1/reports", { headers: bearer("vendor") });
    expect(all.body.reports.map((r: { contact: string }) => r.contact)).toContain(
      "finder@example.org",
    );
    expect((await call("GET", "/api/v1/reports", { headers: bearer("auditor") })).status).toBe(403);
    expect((await call("GET", "/api/v1/reports")).status).toBe(401);

    const fixed = await call("PATCH", `/api/v1/reports/${a.body.id}`, {
      headers: bearer("vendor"),
      body: { severity: "high", status: "fixed", award: 150_000, fixedIn: "2.4.1" },
    });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({
      severity: "high",
      status: "fixed",
      award: 150_000,
      fixedIn: "2.4.1",
    });
    // Omitted fields keep their values.
    const kept = await call("PATCH", `/api/v1/reports/${a.body.id}`, {
      headers: bearer("admin"),
      body: { severity: "critical", status: "fixed" },
    });
    expect(kept.body).toMatchObject({ severity: "critical", award: 150_000, fixedIn: "2.4.1" });
    await call("PATCH", `/api/v1/reports/${b.body.id}`, {
      headers: bearer("vendor"),
      body: { severity: "low", status: "triaged", award: 5_000 },
    });
    const badSeverity = await call("PATCH", `/api/v1/reports/${a.body.id}`, {
      headers: bearer("vendor"),
      body: { severity: "huge", status: "fixed" },
    });
    expect(badSeverity.status).toBe(400);
    expect(
      (
        await call("PATCH", "/api/v1/reports/99999", {
          headers: bearer("vendor"),
          body: { severity: "low", status: "new" },
        })
      ).status,
    ).toBe(404);

    const shown = await call("GET", "/api/v1/reports/public");
    expect(shown.body.reports).toEqual([
      expect.objectContaining({
        id: a.body.id,
        title: "symlink race",
        award: 150_000,
        fixedIn: "2.4.1",
      }),
    ]);
    expect(JSON.stringify(shown.body)).not.toContain("finder@example.org");
    expect(JSON.stringify(shown.body)).not.toContain("symlinks");
    expect(shown.body.totalPaid).toBe(150_000);
  });

  it("limits anonymous reports per address", async () => {
    // Five an hour per address; the test above used three.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call("POST", "/api/v1/reports", {
        body: { title: `t${i}`, description: "d", contact: "a@example.org" },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
  });
});

describe("the API document", () => {
  it("describes every accounts route with its schema", async () => {
    const doc = (await call("GET", "/api/docs/json")).body;
    for (const path of [
      "/api/v1/auth/signin",
      "/api/v1/auth/signout",
      "/api/v1/auth/me",
      "/api/v1/users",
      "/api/v1/users/{name}/disable",
      "/api/v1/concerns",
      "/api/v1/concerns/{id}",
      "/api/v1/concerns/{id}/answers",
      "/api/v1/reports",
      "/api/v1/reports/public",
      "/api/v1/reports/{id}",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths["/api/v1/concerns"].post.requestBody).toBeDefined();
    expect(doc.components.securitySchemes.session).toMatchObject({ in: "cookie" });
  });
});

describe("the demo's users", () => {
  it("creates one user per role with a private password file, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-demo-users-"));
    try {
      const first = await ensureDemoUsers(world.accounts, join(dir, "users"));
      // The world has users named vendor, auditor and admin already; those are left alone.
      expect(first.filter((u) => u.created).map((u) => u.name)).toEqual([
        "reviewer-alpha",
        "demo-eu",
      ]);
      expect(DEMO_USERS.map((u) => u.role).sort()).toEqual([
        "admin",
        "auditor",
        "reviewer",
        "tenant",
        "vendor",
      ]);
      for (const user of first.filter((u) => u.created)) {
        const file = join(dir, "users", `${user.name}.password`);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        const password = readFileSync(file, "utf8").trim();
        expect(password.length).toBeGreaterThanOrEqual(12);
        const stored = await world.accounts.user(user.name);
        expect(await verifyPassword(password, stored?.passwordHash ?? "")).toBe(true);
      }
      const second = await ensureDemoUsers(world.accounts, join(dir, "users"));
      expect(second.every((u) => !u.created)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("behind a TLS-terminating proxy", () => {
  it("marks the session cookie Secure when a trusted proxy says https, and only then", async () => {
    const signIn = (url: string, password: string) =>
      fetch(`${url}/api/v1/auth/signin`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
        body: JSON.stringify({ name: "auditor", password }),
      });
    const proxied = await startAccountsWorld({ trustProxy: ["127.0.0.1"] });
    try {
      const cookie = (await signIn(proxied.url, proxied.passwords.auditor)).headers.get(
        "set-cookie",
      );
      expect(cookie).toMatch(/; Secure$/);
    } finally {
      await proxied.close();
    }
    // Without --trust-proxy the same header is anyone's claim: it is ignored.
    const plain = await startAccountsWorld();
    try {
      const direct = await signIn(plain.url, plain.passwords.auditor);
      expect(direct.status).toBe(200);
      expect(direct.headers.get("set-cookie")).not.toContain("Secure");
    } finally {
      await plain.close();
    }
  });
});
