/**
 * Rebuilds through the whole pipeline (issue 10, Must show: a tampered release is BAD, the review
 * pipeline blocks it, and the endpoint refuses it when the policy requires rebuilds). A real C
 * project built by make and gcc; the release service in process with its default analyzers (the
 * `rebuild` analyzer among them) behind the real HTTP server; `crosscheck rebuild --submit` as the
 * policy's rebuilder; the endpoint verifier on the bundles. And the rebuild table on both
 * databases.
 */

import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  envelopeDigest,
  openRebuild,
  signRebuild,
} from "../src/attest/index.js";
import { generateNoteKey } from "../src/crypto/index.js";
import { writeKeyFile } from "../src/crypto/node.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { openPolicy, signPolicy } from "../src/policy/index.js";
import { ArtifactStore, openReleaseStore, ReleaseService } from "../src/releases/index.js";
import { createServer } from "../src/server/index.js";
import { type Database, migrate, openSqlite } from "../src/store/index.js";
import { verifyRelease } from "../src/verify/index.js";
import { backends } from "./support/backends.js";
import { runCli } from "./support/cli.js";
import {
  C_SOURCES,
  commitFiles,
  productRelease,
  removeScratch,
  scratch,
  vendorBuild,
} from "./support/rebuild-projects.js";
import { type Keys, NOW, policyDocument, type World, world } from "./support/release-world.js";

const rebuilder = generateNoteKey("rebuild.example/rebuilder");
const C_RECIPE = `format: crosscheck/rebuild/v1
command: [make, hello]
timeout: 120
tools: [gcc, make]
artifacts:
  - name: hello
    path: hello
`;

/** The policy under test: a product channel, two reviewer organisations, r = 1 rebuilder. */
function productDocument(k: Keys, rebuildThreshold = 1) {
  return policyDocument(k, {
    channels: {
      product: { vendorKeys: [k.vendor.verifierKey], reviewThreshold: 2, headExpiry: 86400 },
    },
    rebuilders: [{ key: rebuilder.verifierKey, organization: "Rebuild Co" }],
    rebuildThreshold,
  });
}

let w: World;
let dir: string;
let database: Database;
let service: ReleaseService;
let app: FastifyInstance;
let url: string;
const tokens: Record<string, string> = {};
let repo: string;
let commit: string;
let honestPath: string;
let tamperedPath: string;
let honest: { envelope: Envelope };
let honestSha: string;

beforeAll(async () => {
  w = await world({ document: (k) => productDocument(k) });
  dir = scratch("rebuild-pipeline");
  database = openSqlite(join(dir, "service.sqlite"));
  await migrate(database);
  const store = openReleaseStore(database);
  const artifacts = new ArtifactStore(join(dir, "artifacts"));
  service = new ReleaseService({
    store,
    log: w.log,
    policy: w.policy,
    artifacts,
    now: () => NOW,
    warn: () => {},
    // The test's repositories are folders on this machine.
    rebuildLocalRepositories: true,
  });
  await service.start();
  for (const role of ["vendor", "reviewer", "rebuilder"] as const) {
    tokens[role] = randomBytes(16).toString("hex");
    writeFileSync(join(dir, `${role}.token`), `${tokens[role]}\n`, { mode: 0o600 });
    await store.insertToken(
      createHash("sha256").update(tokens[role]).digest("hex"),
      role,
      role,
      new Date().toISOString(),
    );
  }
  writeKeyFile(join(dir, "rebuilder.key"), rebuilder.signerKey);
  app = await createServer({
    log: w.log,
    host: "127.0.0.1",
    releases: { service, tokens: (sha) => store.tokenRole(sha) },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  // The vendor's honest build, and a tampered one: the same commit named, but the binary built
  // from a source the reviewers never saw (one string changed before make).
  repo = join(dir, "agent.git");
  commit = commitFiles(repo, C_SOURCES);
  honestPath = join(vendorBuild(repo, commit, ["make", "hello"]), "hello");
  tamperedPath = join(
    vendorBuild(repo, commit, [
      "sh",
      "-c",
      "sed -i 's/Hello from the agent/Hello from the agent, and a backdoor/' greeting.c && make hello",
    ]),
    "hello",
  );
  for (const path of [honestPath, tamperedPath]) {
    const bytes = readFileSync(path);
    await artifacts.put(
      createHash("sha256").update(bytes).digest("hex"),
      bytes.length,
      Readable.from([bytes]),
    );
  }
  honest = productRelease(w.keys.vendor.signerKey, {
    repository: repo,
    commit,
    recipe: C_RECIPE,
    files: { hello: honestPath },
  });
  honestSha = envelopeDigest(honest.envelope);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await service?.close();
  await database?.close();
  await w?.close();
  removeScratch();
});

async function api(
  method: string,
  path: string,
  role?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface ReportFinding {
  analyzer: string;
  severity: string;
  location: { artifact: string };
  message: string;
  evidence: Record<string, unknown>;
}

async function rebuildFindings(
  sha: string,
): Promise<{ report: string; findings: ReportFinding[] }> {
  await service.worker.idle();
  const row = await service.store.release(sha);
  const report = row?.report as string;
  const findings = (JSON.parse(report) as { findings: ReportFinding[] }).findings;
  return {
    report: row?.reportSha256 as string,
    findings: findings.filter((f) => f.analyzer === "rebuild"),
  };
}

async function refusedWith(code: string, run: () => unknown) {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  expect(isCrosscheckError(error) ? error.code : String(error)).toBe(code);
}

describe("a product release and its rebuilds in the pipeline", () => {
  it("publishes an honest release once reviewers approve and the policy's rebuilder reproduces it", async () => {
    await service.submit(honest.envelope, w.head(honest.envelope));
    const { report, findings } = await rebuildFindings(honestSha);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "info", evidence: { status: "GOOD" } });
    expect(findings[0]?.message).toContain("Rebuilt bit for bit");

    for (const [key, org] of [
      [w.keys.alpha, "Alpha Labs"],
      [w.keys.beta, "Beta Review"],
    ] as const) {
      const verdict = w.review(honest.envelope, key, org, { findings: { reportSha256: report } });
      const answer = await api("POST", `/releases/${honestSha}/reviews`, "reviewer", {
        review: verdict,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    }
    // Two approvals, no rebuild yet: the policy needs one, so it waits.
    expect((await service.store.release(honestSha))?.status).toBe("in-review");

    const run = await runCli([
      "rebuild",
      honestSha,
      "--server",
      url,
      "--key",
      join(dir, "rebuilder.key"),
      "--organization",
      "Rebuild Co",
      "--token-file",
      join(dir, "rebuilder.token"),
      "--submit",
      "--log",
      join(dir, "honest.log"),
      "--out",
      join(dir, "honest-rebuild.json"),
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: "GOOD",
      submitted: { status: "published" },
    });

    const detail = await api("GET", `/releases/${honestSha}`);
    expect(detail.body.rebuilds).toMatchObject([
      { organization: "Rebuild Co", status: "GOOD", source: { commit }, differences: [] },
    ]);

    // The service's bundle carries the rebuild; with the witnesses' cosignatures, it verifies.
    const bundle = await service.bundle("product");
    expect(bundle.rebuilds).toHaveLength(1);
    bundle.checkpoint = w.cosign(bundle.checkpoint);
    const accepted = verifyRelease({
      bundle,
      artifact: readFileSync(honestPath),
      policy: w.policy,
      channel: "product",
      now: NOW,
    });
    expect(accepted.rebuiltBy).toEqual(["Rebuild Co"]);
  }, 120_000);

  it("finds a tampered release BAD, blocks its approval, vetoes it, and endpoints refuse it", async () => {
    const tampered = productRelease(w.keys.vendor.signerKey, {
      repository: repo,
      commit,
      recipe: C_RECIPE,
      files: { hello: tamperedPath },
      version: "2026.11.23.2",
      previous: honestSha,
    });
    const sha = envelopeDigest(tampered.envelope);
    await service.submit(tampered.envelope, w.head(tampered.envelope));

    // The service's own rebuild: BAD, a critical finding on the binary, diffoscope's report in it.
    const { report, findings } = await rebuildFindings(sha);
    expect(findings).toHaveLength(1);
    const bad = findings[0] as ReportFinding;
    expect(bad).toMatchObject({ severity: "critical", location: { artifact: "hello" } });
    // What the commit builds into is the honest build, bit for bit; the release is not.
    expect(bad.evidence).toMatchObject({
      status: "BAD",
      released: readHash(tamperedPath),
      rebuilt: readHash(honestPath),
    });
    expect(bad.evidence.diffoscope as string).toContain("and a backdoor");

    // The review pipeline blocks it: no approval is taken.
    const verdict = w.review(tampered.envelope, w.keys.alpha, "Alpha Labs", {
      findings: { reportSha256: report },
    });
    const refused = await api("POST", `/releases/${sha}/reviews`, "reviewer", { review: verdict });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "E_REBUILD_BLOCKED" });
    expect(await service.store.reviews((await service.store.release(sha))?.id as number)).toEqual(
      [],
    );

    // The policy's rebuilder finds it BAD too; its signed statement vetoes the release.
    const out = join(dir, "tampered-rebuild.json");
    const run = await runCli([
      "rebuild",
      sha,
      "--server",
      url,
      "--key",
      join(dir, "rebuilder.key"),
      "--organization",
      "Rebuild Co",
      "--token-file",
      join(dir, "rebuilder.token"),
      "--submit",
      "--log",
      join(dir, "tampered.log"),
      "--out",
      out,
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(2);
    const summary = JSON.parse(run.stdout) as {
      status: string;
      submitted: { status: string };
      differences: { artifact: string; kind: string }[];
      diffoscope: { report: string }[];
    };
    expect(summary.status).toBe("BAD");
    expect(summary.submitted.status).toBe("rejected");
    expect(summary.differences[0]).toMatchObject({ artifact: "hello", kind: "content" });
    expect(readFileSync(summary.diffoscope[0]?.report as string, "utf8")).toContain(
      "and a backdoor",
    );
    const badStatement = JSON.parse(readFileSync(out, "utf8")) as Envelope;
    expect(openRebuild(badStatement, []).predicate.status).toBe("BAD");

    // An endpoint shown the release with approvals anyway (colluding reviewers) refuses it: the
    // rebuilder's BAD vetoes; without it, nobody showed the binary comes from its source.
    const parts = {
      release: tampered.envelope,
      head: w.head(tampered.envelope),
      reviews: [
        w.review(tampered.envelope, w.keys.alpha, "Alpha Labs"),
        w.review(tampered.envelope, w.keys.beta, "Beta Review"),
      ],
    };
    const verify = (bundle: Awaited<ReturnType<World["bundle"]>>, policy = w.policy) =>
      verifyRelease({
        bundle,
        artifact: readFileSync(tamperedPath),
        policy,
        channel: "product",
        now: NOW,
      });
    const withBad = await w.bundle({ ...parts, rebuilds: [badStatement] });
    await refusedWith("E_REBUILD_BAD", () => verify(withBad));
    const withNone = await w.bundle(parts);
    await refusedWith("E_UNREBUILT", () => verify(withNone));
    // Under a policy that requires no rebuilds the same bundle is accepted: the refusal above is
    // the policy's requirement at work.
    const lenient = openPolicy(
      signPolicy(productDocument(w.keys, 0), [
        w.keys.roots[0]?.signerKey as string,
        w.keys.roots[1]?.signerKey as string,
      ]),
      { now: NOW },
    );
    expect(verify(withNone, lenient).release.version).toBe("2026.11.23.2");
  }, 120_000);

  it("refuses rebuild statements from strangers, about other releases, twice, or from other roles", async () => {
    const good = JSON.parse(readFileSync(join(dir, "honest-rebuild.json"), "utf8")) as Envelope;
    const predicate = openRebuild(good, []).predicate;
    const stranger = generateNoteKey("rebuild.example/rebuilder");
    const forged = signRebuild(predicate, ed25519EnvelopeSigner(stranger.signerKey));
    const cases: [string, Envelope, number, string, string][] = [
      [honestSha, forged, 403, "E_REBUILDER_UNKNOWN", "rebuilder"],
      [honestSha, good, 409, "E_REBUILD_DUPLICATE", "rebuilder"],
      [honestSha, good, 403, "E_FORBIDDEN", "reviewer"],
    ];
    const newest = (await service.store.newestRelease("product"))?.envelopeSha256 as string;
    cases.push([newest, good, 400, "E_REBUILD_MISMATCH", "rebuilder"]);
    for (const [sha, envelope, status, code, role] of cases) {
      const answer = await api("POST", `/releases/${sha}/rebuilds`, role, { rebuild: envelope });
      expect([answer.status, (answer.body.error as { code: string }).code]).toEqual([status, code]);
    }
  });

  it("keeps the service's build logs and leaves no build folder behind", () => {
    const logs = join(dir, "artifacts", "rebuild-logs");
    const good = readFileSync(join(logs, "product-2026.11.23.1.log"), "utf8");
    expect(good).toMatch(/GOOD\n/);
    // The service runs as root here, so the vendor's recipe ran as nobody.
    expect(good).toContain("user 65534:65534");
    expect(readFileSync(join(logs, "product-2026.11.23.2.log"), "utf8")).toMatch(/BAD: Built from/);
    expect(existsSync(join(logs, "product-2026.11.23.2.log.hello.diffoscope.txt"))).toBe(true);
  });
});

function readHash(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

describe.each(backends)("rebuild statements on $name", (backend) => {
  it.skipIf(!backend.available)("are stored in arrival order and keep their status", async () => {
    const { database: db, dispose } = await backend.create();
    try {
      await migrate(db);
      const store = openReleaseStore(db);
      const release = await store.insertRelease(
        {
          channel: "product",
          version: "1",
          envelopeSha256: "a".repeat(64),
          envelope: "{}",
          status: "in-review",
          logIndex: 0,
          submittedAt: "2026-11-23T10:00:00Z",
        },
        [],
      );
      const row = (n: number, status: "GOOD" | "BAD" | "FAIL" | "UNKNOWN") => ({
        releaseId: release.id,
        envelopeSha256: String(n).repeat(64),
        envelope: `{"n":${n}}`,
        organization: `Org ${n}`,
        rebuilderKeyid: `rebuilder-${n}+0000000${n}`,
        status,
        logIndex: 10 + n,
        submittedAt: `2026-11-23T10:0${n}:00Z`,
      });
      await store.insertRebuild(row(2, "FAIL"));
      await store.insertRebuild(row(1, "GOOD"));
      await store.insertRebuild(row(3, "BAD"));
      expect(await store.rebuilds(release.id)).toEqual([
        row(2, "FAIL"),
        row(1, "GOOD"),
        row(3, "BAD"),
      ]);
      // One statement once; a status rebuilderd does not have is refused by the database itself.
      await expect(store.insertRebuild(row(1, "GOOD"))).rejects.toThrow();
      await expect(
        store.insertRebuild({ ...row(4, "GOOD"), status: "MAYBE" as "GOOD" }),
      ).rejects.toThrow();
      expect(await store.rebuilds(release.id + 1)).toEqual([]);
    } finally {
      await dispose();
    }
  });
});
