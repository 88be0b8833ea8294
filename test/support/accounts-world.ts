/**
 * The whole service in process for the accounts tests: the release API, the telemetry gateway,
 * the log and accounts behind one real `createServer` on loopback, with an API token and a
 * signed-in-able user for every role.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { type AccountStore, hashPassword, openAccountStore } from "../../src/accounts/index.js";
import { startGatewayRuntime } from "../../src/cli/commands/gateway-runtime.js";
import { fileDictionarySource, type TelemetryGateway } from "../../src/gateway/index.js";
import { ArtifactStore, openReleaseStore, ReleaseService } from "../../src/releases/index.js";
import { createServer } from "../../src/server/index.js";
import { type Database, migrate, openSqlite } from "../../src/store/index.js";
import { EDR_DICTIONARY } from "./gateway-world.js";
import { ARTIFACT, ARTIFACT_SHA256, type World, world } from "./release-world.js";

export const ROLES = ["vendor", "reviewer", "rebuilder", "auditor", "admin", "tenant"] as const;
export type TestRole = (typeof ROLES)[number];
/** The tenant's user and token are named after the gateway's tenant. */
export const NAMES: Record<TestRole, string> = {
  vendor: "vendor",
  reviewer: "reviewer",
  rebuilder: "rebuilder",
  auditor: "auditor",
  admin: "admin",
  tenant: "acme-eu",
};

export interface AccountsWorld {
  w: World;
  app: FastifyInstance;
  url: string;
  database: Database;
  accounts: AccountStore;
  service: ReleaseService;
  gateway?: TelemetryGateway;
  tokens: Record<TestRole, string>;
  passwords: Record<TestRole, string>;
  /** What the accounts see as now (sessions expire against it). */
  clock: { now: Date };
  /** Signs in over HTTP: the Cookie header value and the CSRF token. */
  signIn(role: TestRole): Promise<{ cookie: string; csrf: string }>;
  close(): Promise<void>;
}

export async function startAccountsWorld(
  options: {
    gateway?: boolean;
    signinsPerMinute?: number;
    reportsPerHour?: number;
    trustProxy?: string[];
  } = {},
): Promise<AccountsWorld> {
  const w = await world();
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-accounts-"));
  const database = openSqlite(join(dir, "service.sqlite"));
  await migrate(database);
  const releaseStore = openReleaseStore(database);
  const accounts = await openAccountStore(database);
  const tokens = {} as Record<TestRole, string>;
  const passwords = {} as Record<TestRole, string>;
  for (const role of ROLES) {
    tokens[role] = randomBytes(16).toString("hex");
    await releaseStore.insertToken(
      createHash("sha256").update(tokens[role]).digest("hex"),
      role,
      NAMES[role],
      new Date().toISOString(),
    );
    passwords[role] = `pw-${role}-${randomBytes(8).toString("hex")}`;
    await accounts.createUser(
      { name: NAMES[role], role, passwordHash: await hashPassword(passwords[role]) },
      new Date().toISOString(),
    );
  }
  const artifacts = new ArtifactStore(join(dir, "artifacts"));
  await artifacts.put(ARTIFACT_SHA256, ARTIFACT.length, Readable.from([Buffer.from(ARTIFACT)]));
  const service = new ReleaseService({
    store: releaseStore,
    log: w.log,
    policy: w.policy,
    artifacts,
    warn: () => {},
  });
  await service.start();
  const gateway = options.gateway
    ? await startGatewayRuntime({
        database,
        dataDir: join(dir, "gateway"),
        configFile: {
          document: {
            name: "gateway.test.localhost",
            // Nothing listens there; forwarding is not what these tests are about.
            regions: [{ region: "eu", endpoints: [{ url: "http://127.0.0.1:9/ingest" }] }],
            tenants: [{ name: "acme-eu", region: "eu" }],
          },
        },
        dictionary: fileDictionarySource(EDR_DICTIONARY),
        say: () => {},
        warn: () => {},
        backoff: { baseMs: 60_000, maxMs: 60_000 },
      })
    : undefined;
  const lookup = (sha: string) => releaseStore.tokenRole(sha);
  const clock = { now: new Date() };
  const app = await createServer({
    log: w.log,
    host: "127.0.0.1",
    releases: { service, tokens: lookup },
    gateway: gateway ? { gateway, tokens: lookup } : undefined,
    accounts: {
      store: accounts,
      signinsPerMinute: options.signinsPerMinute,
      reportsPerHour: options.reportsPerHour,
      now: () => clock.now,
    },
    trustProxy: options.trustProxy,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    w,
    app,
    url,
    database,
    accounts,
    service,
    gateway,
    tokens,
    passwords,
    clock,
    async signIn(role) {
      const response = await fetch(`${url}/api/v1/auth/signin`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: NAMES[role], password: passwords[role] }),
      });
      if (response.status !== 200) throw new Error(`sign-in failed: ${await response.text()}`);
      const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
      const body = (await response.json()) as { csrfToken: string };
      return { cookie, csrf: body.csrfToken };
    },
    async close() {
      await app.close();
      await gateway?.close();
      await gateway?.auditLog.close();
      await service.close();
      await database.close();
      await w.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
