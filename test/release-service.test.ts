/**
 * The release service in process, provisioned (no vendor key on the server): an approved release
 * whose head has lapsed keeps its verdicts and waits for the vendor's head, which then publishes
 * it; heads from the future are refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeDigest } from "../src/attest/index.js";
import { isCrosscheckError } from "../src/errors/index.js";
import {
  ArtifactStore,
  artifactInventory,
  openReleaseStore,
  ReleaseService,
} from "../src/releases/index.js";
import { type Database, migrate, openSqlite } from "../src/store/index.js";
import { ARTIFACT, ARTIFACT_SHA256, NOW, type World, world } from "./support/release-world.js";

let w: World;
let dir: string;
let database: Database;
let service: ReleaseService;
let clock = NOW;
const warnings: string[] = [];

beforeAll(async () => {
  w = await world();
  dir = mkdtempSync(join(tmpdir(), "crosscheck-release-service-"));
  database = openSqlite(join(dir, "service.sqlite"));
  await migrate(database);
  const artifacts = new ArtifactStore(join(dir, "artifacts"));
  await artifacts.put(ARTIFACT_SHA256, ARTIFACT.length, Readable.from([Buffer.from(ARTIFACT)]));
  service = new ReleaseService({
    store: openReleaseStore(database),
    log: w.log,
    policy: w.policy,
    artifacts,
    analyzers: [artifactInventory],
    now: () => clock,
    warn: (message) => warnings.push(message),
  });
  await service.start();
});
afterAll(async () => {
  await service.close();
  await database.close();
  await w.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusedWith(code: string, run: () => Promise<unknown>) {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  expect(isCrosscheckError(error) ? error.code : String(error)).toBe(code);
}

describe("a provisioned release service", () => {
  it("keeps the verdicts of a release whose head lapsed, and publishes it with the vendor's next head", async () => {
    clock = NOW;
    const release = w.release();
    const sha = envelopeDigest(release);
    await service.submit(release, w.head(release));
    await service.worker.idle();
    const report = (await service.store.release(sha))?.reportSha256 as string;
    expect(report).toMatch(/^[0-9a-f]{64}$/);

    // The head expires before the reviewers are done.
    clock = new Date("2026-11-24T12:00:00Z");
    const findings = { findings: { reportSha256: report } };
    await service.review(sha, w.review(release, w.keys.alpha, "Alpha Labs", findings));
    const last = await service.review(sha, w.review(release, w.keys.beta, "Beta Review", findings));
    expect(last.status).toBe("in-review");
    expect((await service.store.reviews(last.id)).map((r) => r.organization).sort()).toEqual([
      "Alpha Labs",
      "Beta Review",
    ]);
    await refusedWith("E_NOT_PUBLISHED", () => service.latest("sigdb"));

    // The vendor's fresh head is what it waited for.
    await service.submitHead(
      w.head(release, { issued: "2026-11-24T11:59:00Z", expires: "2026-11-25T11:00:00Z" }),
    );
    expect((await service.store.release(sha))?.status).toBe("published");
    expect((await service.latest("sigdb")).envelopeSha256).toBe(sha);
    expect(warnings).toEqual([]);
  });

  it("refuses a head issued in the future, with a release or on its own", async () => {
    clock = new Date("2026-11-24T12:00:00Z");
    const release = w.release({
      version: "2026.11.24.1",
      previous: { envelopeSha256: (await service.latest("sigdb")).envelopeSha256 },
    });
    const future = { issued: "2026-11-24T13:00:00Z", expires: "2026-11-25T12:00:00Z" };
    await refusedWith("E_HEAD_FUTURE", () => service.submit(release, w.head(release, future)));
    await service.submit(
      release,
      w.head(release, { issued: "2026-11-24T12:00:00Z", expires: "2026-11-25T12:00:00Z" }),
    );
    await refusedWith("E_HEAD_FUTURE", () => service.submitHead(w.head(release, future)));
  });
});
