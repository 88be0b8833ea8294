/**
 * What gateway tests stand on: a vendor upstream (a real HTTP server on loopback that honours
 * Idempotency-Key like a careful vendor would), a gateway configuration with an EU and a US
 * region, and an in-process gateway behind its real Fastify server.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { startGatewayRuntime } from "../../src/cli/commands/gateway-runtime.js";
import {
  type DictionarySource,
  fileDictionarySource,
  type GatewayConfigDocument,
  type TelemetryGateway,
} from "../../src/gateway/index.js";
import { openReleaseStore, type Role } from "../../src/releases/index.js";
import { createGatewayServer } from "../../src/server/index.js";
import { type Database, migrate, openSqlite } from "../../src/store/index.js";

export const EDR_DICTIONARY = fileURLToPath(
  new URL("../../examples/dictionary/edr.yaml", import.meta.url),
);

export interface Received {
  idempotencyKey: string;
  tenant: string;
  contentType: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A vendor endpoint: keeps what arrives, once per Idempotency-Key; can go down and come back. */
export class Upstream {
  readonly received: Received[] = [];
  /** Every request, duplicates included. */
  requests = 0;
  private readonly seen = new Set<string>();
  private server: Server | undefined;
  port = 0;
  /** When set, answers this status instead of accepting. */
  failWith: number | undefined;

  async start(port = 0): Promise<this> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        this.requests++;
        if (this.failWith) {
          response.writeHead(this.failWith).end();
          return;
        }
        const key = String(request.headers["idempotency-key"] ?? "");
        if (!this.seen.has(key)) {
          this.seen.add(key);
          this.received.push({
            idempotencyKey: key,
            tenant: String(request.headers["x-crosscheck-tenant"] ?? ""),
            contentType: String(request.headers["content-type"] ?? ""),
            headers: request.headers,
            body: Buffer.concat(chunks),
          });
        }
        response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/ingest`;
  }

  /** Every forwarded record (NDJSON batches), parsed. */
  records(): Record<string, unknown>[] {
    return this.received
      .filter((r) => r.contentType.startsWith("application/x-ndjson"))
      .flatMap((r) =>
        r.body
          .toString("utf8")
          .split("\n")
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      );
  }
}

export function gatewayConfig(
  eu: Upstream,
  us: Upstream,
  extra: Partial<GatewayConfigDocument> = {},
): GatewayConfigDocument {
  return {
    name: "gateway.test.localhost",
    regions: [
      { region: "eu", endpoints: [{ url: eu.url }] },
      { region: "us", endpoints: [{ url: us.url }] },
    ],
    tenants: [
      { name: "acme-eu", region: "eu" },
      { name: "acme-us", region: "us" },
    ],
    ...extra,
  };
}

export interface GatewayWorld {
  dir: string;
  database: Database;
  gateway: TelemetryGateway;
  app: FastifyInstance;
  url: string;
  tokens: Record<string, string>;
  /** Headers for a tenant's (or another role's) token. */
  auth(name: string): Record<string, string>;
  close(): Promise<void>;
}

/** Tokens made for every world: one per tenant, and an auditor, a reviewer and an admin. */
const ROLES: Record<string, string> = {
  "acme-eu": "tenant",
  "acme-us": "tenant",
  auditor: "auditor",
  reviewer: "reviewer",
  admin: "admin",
};

export async function startGatewayWorld(
  config: GatewayConfigDocument,
  options: { dictionary?: DictionarySource; dir?: string } = {},
): Promise<GatewayWorld> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "crosscheck-gateway-"));
  const configFile = join(dir, "gateway.json");
  writeFileSync(configFile, JSON.stringify(config));
  const database = openSqlite(join(dir, "gateway.sqlite"));
  await migrate(database);
  const releaseStore = openReleaseStore(database);
  const tokens: Record<string, string> = {};
  for (const [name, role] of Object.entries(ROLES)) {
    const token = randomBytes(16).toString("hex");
    tokens[name] = token;
    await releaseStore.insertToken(
      createHash("sha256").update(token).digest("hex"),
      role as Role,
      name,
      new Date().toISOString(),
    );
  }
  const gateway = await startGatewayRuntime({
    database,
    dataDir: dir,
    configFile,
    dictionary: options.dictionary ?? fileDictionarySource(EDR_DICTIONARY),
    say: () => {},
    warn: () => {},
    backoff: { baseMs: 100, maxMs: 1000 },
  });
  const app = await createGatewayServer({
    gateway,
    tokens: (sha) => releaseStore.tokenRole(sha),
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    dir,
    database,
    gateway,
    app,
    url,
    tokens,
    auth: (name) => ({ authorization: `Bearer ${tokens[name]}` }),
    async close() {
      await app.close();
      await gateway.close();
      await gateway.auditLog.close();
      await database.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it holds or `ms` pass. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

let counter = 0;
/** A record id that is unique within a test run. */
export function newId(): string {
  counter++;
  const hex = createHash("sha256")
    .update(`${process.pid}-${counter}-${Math.random()}`)
    .digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const HOST_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

export function fileWrite(path = "C:\\Windows\\Temp\\update.tmp"): Record<string, unknown> {
  return {
    event: "file_write",
    id: newId(),
    time: new Date().toISOString(),
    host_id: HOST_ID,
    pid: 4312,
    path,
    size: 40960,
    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    entropy: 7.91,
  };
}

export function scriptBlock(script: string): Record<string, unknown> {
  return {
    event: "script_block",
    id: newId(),
    time: new Date().toISOString(),
    host_id: HOST_ID,
    script,
  };
}

export function ndjson(records: readonly unknown[]): string {
  return `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
}
