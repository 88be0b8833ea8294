/**
 * Several real `crosscheck serve` processes as replicas of one service (issue 11): one demo data
 * folder they share (keys, tokens, artifacts, gateway files; a shared mount in production), one
 * fresh PostgreSQL schema, a port each. Used by test/replicas.test.ts and bench/scale.ts.
 *
 * `RoundRobin` is the load balancer: each request goes to the next live replica; a connection
 * refused or cut off moves on to the next one, as a balancer's retry would.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { runCli, startCli } from "./cli.js";

export interface Replica {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  stderr(): string;
  alive(): boolean;
}

export interface FleetOptions {
  /** The built CLI (dist/src/cli/main.js or another build). */
  cli: string;
  /** PostgreSQL URL without `?schema=`; a fresh schema is made. */
  pgUrl: string;
  /** Free ports, one per replica to start. */
  ports: () => Promise<number>;
  /** Extra `serve` arguments for every replica. */
  args?: string[];
  /** Give every replica `--tiles-dir` of one shared folder (`Fleet.tiles`). */
  tiles?: boolean;
}

export interface Fleet {
  dir: string;
  data: string;
  /** The shared tiles folder (with `tiles: true`). */
  tiles: string;
  schema: string;
  /** The service's PostgreSQL URL (with `?schema=`). */
  database: string;
  /** A connection to the schema, for the test's own checks. */
  sql: postgres.Sql;
  replicas: Replica[];
  start(name: string): Promise<Replica>;
  token(name: string): string;
  /** The replica holding the sequencer lease of `origin`, if any. */
  holder(origin: string): Promise<Replica | undefined>;
  kill(replica: Replica, signal?: NodeJS.Signals): Promise<void>;
  dispose(): Promise<void>;
}

let counter = 0;

export async function createFleet(options: FleetOptions): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-replicas-"));
  const data = join(dir, "data");
  const tiles = join(dir, "tiles");
  const init = await runCli(["serve", "--init", "--data", data], undefined, options.cli);
  if (init.code !== 0) throw new Error(`crosscheck serve --init: ${init.stderr}`);
  const schema = `replicas_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const url = new URL(options.pgUrl);
  url.searchParams.set("schema", schema);
  const database = url.toString();
  const admin = postgres(options.pgUrl, { max: 2, onnotice: () => {} });
  await admin.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const sql = postgres(options.pgUrl, {
    max: 4,
    onnotice: () => {},
    connection: { search_path: schema },
  });
  const replicas: Replica[] = [];

  const fleet: Fleet = {
    dir,
    data,
    tiles,
    schema,
    database,
    sql,
    replicas,
    async start(name) {
      const port = await options.ports();
      const { child, stderr } = await startCli(
        [
          "serve",
          "--data",
          data,
          "--database",
          database,
          "--port",
          String(port),
          "--replica-name",
          name,
          ...(options.tiles ? ["--tiles-dir", tiles] : []),
          ...(options.args ?? []),
        ],
        "Crosscheck serving at",
        60_000,
        options.cli,
      );
      const replica: Replica = {
        name,
        port,
        url: `http://127.0.0.1:${port}`,
        child,
        stderr,
        alive: () => child.exitCode === null && child.signalCode === null,
      };
      replicas.push(replica);
      return replica;
    },
    token: (name) => readFileSync(join(data, "tokens", `${name}.token`), "utf8").trim(),
    async holder(origin) {
      const [row] = await sql<{ holder: string }[]>`
        SELECT holder FROM leases WHERE name = ${`log:${origin}`}`;
      return replicas.find((r) => r.name === row?.holder && r.alive());
    },
    async kill(replica, signal = "SIGKILL") {
      if (!replica.alive()) return;
      await new Promise<void>((resolve) => {
        replica.child.once("exit", () => resolve());
        replica.child.kill(signal);
      });
    },
    async dispose() {
      await Promise.all(replicas.map((r) => fleet.kill(r)));
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await admin.end({ timeout: 5 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

/** The size of the tree stored for `origin` (what its sequencing replicas committed). */
export async function committedSize(fleet: Fleet, origin: string): Promise<number> {
  const [row] = await fleet.sql<{ size: string }[]>`SELECT size FROM logs WHERE origin = ${origin}`;
  return Number(row?.size ?? 0);
}

/** A load balancer in front of the fleet: round robin over live replicas, moving on from a dead one. */
export class RoundRobin {
  private next = 0;
  /** Requests a replica did not answer (it died with them in flight) that went to the next one. */
  retried = 0;

  constructor(private readonly fleet: Fleet) {}

  /** Sends the request to the next live replica; on a connection failure, to the one after. */
  async fetch(
    path: string,
    init: RequestInit & { timeoutMs?: number } = {},
  ): Promise<{ response: Response; replica: Replica }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 6; attempt++) {
      const live = this.fleet.replicas.filter((r) => r.alive());
      if (live.length === 0) throw new Error("no live replica");
      const replica = live[this.next++ % live.length] as Replica;
      try {
        const response = await fetch(`${replica.url}${path}`, {
          ...init,
          signal: AbortSignal.timeout(init.timeoutMs ?? 45_000),
        });
        return { response, replica };
      } catch (err) {
        lastError = err;
        this.retried++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw lastError;
  }
}
