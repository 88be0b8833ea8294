/**
 * Test support for the monitor: the release world's log served over HTTP on loopback, a second
 * log signed with the same key (a fork), and ways to log envelopes and raw entries.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Envelope, envelopeLogEntry } from "../../src/attest/index.js";
import { LogClient, TransparencyLog } from "../../src/log/index.js";
import { Monitor, type MonitorState } from "../../src/monitor/index.js";
import { createServer } from "../../src/server/index.js";
import { openSqlite } from "../../src/store/index.js";
import { type World, world } from "./release-world.js";

export interface ServedLog {
  log: TransparencyLog;
  url: string;
  client: LogClient;
  /** Logs an envelope (or raw entry bytes); returns its index. */
  add(entry: Envelope | Uint8Array): Promise<number>;
  close(): Promise<void>;
}

export async function serve(log: TransparencyLog): Promise<ServedLog> {
  const app = await createServer({ log, host: "127.0.0.1" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/log`;
  return {
    log,
    url,
    client: new LogClient(url),
    async add(entry) {
      const bytes = entry instanceof Uint8Array ? entry : envelopeLogEntry(entry);
      return (await log.add(bytes)).index;
    },
    close: () => app.close(),
  };
}

export interface MonitorWorld {
  w: World;
  served: ServedLog;
  monitor(options?: { state?: MonitorState; maxEntriesPerPoll?: number }): Monitor;
  /** Another log with the same key and its own entries: a fork of the world's log. */
  fork(): Promise<ServedLog>;
  close(): Promise<void>;
}

export async function monitorWorld(): Promise<MonitorWorld> {
  const w = await world();
  const served = await serve(w.log);
  const cleanups: (() => Promise<void>)[] = [];
  return {
    w,
    served,
    monitor: (options = {}) => new Monitor({ client: served.client, policy: w.policy, ...options }),
    async fork() {
      const dir = mkdtempSync(join(tmpdir(), "crosscheck-fork-"));
      const database = openSqlite(join(dir, "log.sqlite"));
      const log = await TransparencyLog.open({ database, signer: w.keys.log.signerKey });
      const forked = await serve(log);
      cleanups.push(async () => {
        await forked.close();
        await log.close();
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return forked;
    },
    async close() {
      for (const c of cleanups) await c();
      await served.close();
      await w.close();
    },
  };
}
