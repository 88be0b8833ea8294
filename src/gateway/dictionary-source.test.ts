/**
 * The gateway's dictionary loaders against a real release pipeline: a dictionary submitted to a
 * ReleaseService, analysed, approved by two reviewer organisations and published, then loaded
 * through the real verifier — in process, and over HTTP from the service's own routes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, policyDocument } from "../../test/support/parties.js";
import {
  type Envelope,
  ed25519EnvelopeSigner,
  parseEnvelope,
  signRelease,
  signReview,
} from "../attest/index.js";
import { sha256, toHex, utf8Encode } from "../crypto/index.js";
import { installNodeCrypto } from "../crypto/node.js";
import { isCrosscheckError } from "../errors/index.js";
import { logRoutes, TransparencyLog } from "../log/index.js";
import { addCosignatures, cosignatureSigner } from "../merkle/index.js";
import { openPolicy, signPolicy } from "../policy/index.js";
import {
  ArtifactStore,
  openReleaseStore,
  proveBundle,
  ReleaseService,
  releaseRoutes,
} from "../releases/index.js";
import { type Database, migrate, openSqlite } from "../store/index.js";
import type { Bundle } from "../verify/index.js";
import {
  type DictionaryReleaseService,
  fileDictionarySource,
  remoteDictionarySource,
  serviceDictionarySource,
} from "./dictionary-source.js";

installNodeCrypto();

const EDR = readFileSync(new URL("../../examples/dictionary/edr.yaml", import.meta.url), "utf8");
const V1 = "2026.11.23.1";
const V2 = "2026.11.23.2";
const edr = (version: string, extra = "") =>
  `${EDR.replace(`version: "${V1}"`, `version: "${version}"`)}${extra}`;
const GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const CLIPBOARD = `  clipboard:
    description: The clipboard changed.
    fields:
      format: { type: string, purpose: Clipboard format, sensitivity: technical, retention_days: 30 }
`;

const k = keys();
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");

interface Pipeline {
  dir: string;
  service: ReleaseService;
  artifacts: ArtifactStore;
  database: Database;
  log: TransparencyLog;
  publish(version: string, text: string): Promise<{ sha256: string; releaseSha256: string }>;
  close(): Promise<void>;
}

async function pipeline(): Promise<Pipeline> {
  const base = policyDocument(k);
  const policy = openPolicy(
    signPolicy(
      {
        ...base,
        channels: {
          ...base.channels,
          dictionary: { vendorKeys: [k.vendor.verifierKey], reviewThreshold: 2, headExpiry: 86400 },
        },
      },
      [k.roots[0]?.signerKey as string, k.roots[1]?.signerKey as string],
    ),
    { now: new Date() },
  );
  const dir = mkdtempSync(join(tmpdir(), "crosscheck-dictionary-source-"));
  const database = openSqlite(join(dir, "service.sqlite"));
  await migrate(database);
  const log = await TransparencyLog.open({ database, signer: k.log.signerKey, witnessed: true });
  // Two of the policy's three witnesses cosign every new checkpoint, at the current time.
  const cosign = (note: string) =>
    addCosignatures(
      note,
      k.witnesses
        .slice(0, 2)
        .map((w) => cosignatureSigner(w.signerKey, () => Math.floor(Date.now() / 1000))),
    );
  log.subscribe((state) => void log.publishCosigned(cosign(state.checkpoint)));
  await log.publishCosigned(cosign(log.latestCheckpoint()));
  const artifacts = new ArtifactStore(join(dir, "artifacts"));
  const store = openReleaseStore(database);
  const service = new ReleaseService({
    store,
    log,
    policy,
    artifacts,
    headSigner: ed25519EnvelopeSigner(k.vendor.signerKey),
  });
  await service.start();
  let previous: string | null = null;

  return {
    dir,
    service,
    artifacts,
    database,
    log,
    async publish(version, text) {
      const bytes = utf8Encode(text);
      const digest = toHex(sha256(bytes));
      await artifacts.put(digest, bytes.length, Readable.from([Buffer.from(bytes)]));
      const release = signRelease(
        {
          channel: "dictionary",
          version,
          artifacts: [{ name: "edr.yaml", size: bytes.length, sha256: digest }],
          previous: previous ? { envelopeSha256: previous } : null,
          audience: "everyone",
          published: rfc3339(new Date()),
        },
        ed25519EnvelopeSigner(k.vendor.signerKey),
      );
      const submitted = (await service.submit(release)).release;
      let row = submitted;
      const deadline = Date.now() + 20_000;
      while (row.status === "analyzing") {
        if (Date.now() > deadline) throw new Error("the analysis did not finish");
        await new Promise((resolve) => setTimeout(resolve, 25));
        row = (await store.release(submitted.envelopeSha256)) ?? row;
      }
      for (const [reviewer, organization] of [
        [k.alpha, "Alpha Labs"],
        [k.beta, "Beta Review"],
      ] as const) {
        row = await service.review(
          row.envelopeSha256,
          signReview(
            {
              verifier: {
                id: organization,
                reviewer: reviewer.verifierKey.split("+")[0] as string,
              },
              timeVerified: rfc3339(new Date()),
              release: { envelopeSha256: row.envelopeSha256, channel: "dictionary", version },
              artifacts: [{ name: "edr.yaml", sha256: digest }],
              verdict: "approve",
              findings: { reportSha256: row.reportSha256 as string },
              analyzers: [{ name: "telemetry-dictionary", version: "0.1.0" }],
              comment: "",
            },
            ed25519EnvelopeSigner(reviewer.signerKey),
          ),
        );
      }
      expect(row.status).toBe("published");
      previous = row.envelopeSha256;
      return { sha256: digest, releaseSha256: row.envelopeSha256 };
    },
    async close() {
      await service.close();
      await log.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const record = (event: string, fields: Record<string, unknown>) => ({
  event,
  id: GUID,
  time: "2026-11-23T10:00:00Z",
  host_id: GUID,
  ...fields,
});

/** The service with one part swapped, as an attacker between service and gateway would. */
function tampered(
  service: ReleaseService,
  change: {
    bundle?: (b: Bundle) => Bundle | Promise<Bundle>;
    latest?: (channel: string) => Promise<{ envelopeSha256: string; version: string }>;
  },
): DictionaryReleaseService {
  return {
    latest: change.latest ?? ((channel) => service.latest(channel)),
    bundle: async (channel) => (change.bundle ?? ((b: Bundle) => b))(await service.bundle(channel)),
    ctx: service.ctx,
  };
}

describe("dictionary sources", () => {
  let world: Pipeline;
  let v1: { sha256: string; releaseSha256: string };
  let v1Bundle: Bundle;
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);

  beforeAll(async () => {
    world = await pipeline();
  });
  afterAll(async () => {
    await world?.close();
  });

  it("has no dictionary before one is published, and says nothing is wrong", async () => {
    const source = serviceDictionarySource({ service: world.service, warn });
    expect(await source.refresh()).toBe(false);
    expect(source.current()).toBeUndefined();
    expect(source.lastRefusal()).toBeUndefined();
    expect(source.verified).toBe(true);
  });

  it("loads the published dictionary through the verifier and compiles it", async () => {
    v1 = await world.publish(V1, edr(V1));
    // The dictionary analyzer is one of the service's default analyzers.
    const row = await world.service.store.release(v1.releaseSha256);
    expect(row?.report).toContain("telemetry-dictionary");
    v1Bundle = await world.service.bundle("dictionary");

    const source = serviceDictionarySource({ service: world.service, warn });
    expect(await source.refresh()).toBe(true);
    expect(source.version()).toBe(V1);
    expect(source.current()?.check(record("dns_query", { query: "example.com" })).ok).toBe(true);
    expect(source.current()?.check(record("clipboard", {})).ok).toBe(false);
    expect(await source.refresh()).toBe(false);
  });

  it("refuses a tampered artifact and keeps the last good dictionary", async () => {
    const dir = join(world.dir, "state-tamper");
    const source = serviceDictionarySource({ service: world.service, stateDir: dir, warn });
    expect(await source.refresh()).toBe(true);
    const v2Text = edr(V2, CLIPBOARD);
    const v2 = await world.publish(V2, v2Text);
    const stored = world.artifacts.path(v2.sha256);
    // Same length, one byte changed: only the digest tells.
    writeFileSync(stored, v2Text.replace("Clipboard format", "Clipboard FORMAT"));
    try {
      expect(await source.refresh()).toBe(false);
      expect(source.lastRefusal()?.code).toBe("E_ARTIFACT_MISMATCH");
      expect(source.version()).toBe(V1);
      expect(warnings.at(-1)).toContain(`keeping dictionary ${V1}`);
    } finally {
      writeFileSync(stored, v2Text);
    }
    expect(await source.refresh()).toBe(true);
    expect(source.version()).toBe(V2);
    expect(source.current()?.check(record("clipboard", { format: "text/plain" })).ok).toBe(true);

    // A restart starts from the saved, verified dictionary at once.
    const restarted = serviceDictionarySource({ service: world.service, stateDir: dir, warn });
    expect(restarted.version()).toBe(V2);
    expect(await restarted.refresh()).toBe(false);
  });

  it("refuses a bundle short of reviewer approvals", async () => {
    const source = serviceDictionarySource({
      service: tampered(world.service, {
        bundle: (b) => ({ ...b, reviews: b.reviews.slice(0, 1) }),
      }),
      warn,
    });
    expect(await source.refresh()).toBe(false);
    expect(source.current()).toBeUndefined();
    expect(source.lastRefusal()?.code).toBe("E_REVIEW_THRESHOLD");
  });

  it("refuses a release the vendor did not sign", async () => {
    const forged = (b: Bundle): Bundle => {
      const envelope: Envelope = parseEnvelope(JSON.stringify(b.release.envelope));
      envelope.signatures = [{ keyid: envelope.signatures[0]?.keyid ?? "", sig: "AAAA" }];
      return { ...b, release: { ...b.release, envelope } };
    };
    const source = serviceDictionarySource({
      service: tampered(world.service, { bundle: forged }),
      warn,
    });
    expect(await source.refresh()).toBe(false);
    expect(source.current()).toBeUndefined();
    expect(source.lastRefusal()?.code).toMatch(/^E_(RELEASE_SIGNATURE|STATEMENT_INVALID)$/);
  });

  it("never goes back to an older dictionary", async () => {
    const source = serviceDictionarySource({ service: world.service, warn });
    expect(await source.refresh()).toBe(true);
    expect(source.version()).toBe(V2);
    const rollback = tampered(world.service, {
      latest: async () => ({ envelopeSha256: v1.releaseSha256, version: V1 }),
      bundle: () => v1Bundle,
    });
    const replayed = serviceDictionarySource({ service: rollback, warn });
    // On its own the old bundle is still a valid release; after V2 it must be refused.
    expect(await replayed.refresh()).toBe(true);
    const stateDir = join(world.dir, "state-tamper");
    const sharing = serviceDictionarySource({ service: rollback, stateDir, warn });
    expect(sharing.version()).toBe(V2);
    // The old bundle as it was served: its checkpoint is older than the one last accepted.
    expect(await sharing.refresh()).toBe(false);
    expect(sharing.version()).toBe(V2);
    expect(sharing.lastRefusal()?.code).toBe("E_CHECKPOINT_ROLLBACK");
    // The old release with fresh proofs (a freeze or rollback by a service that serves it again).
    const b = v1Bundle;
    const fresh = await proveBundle(
      {
        release: b.release.envelope,
        head: b.head.envelope,
        reviews: b.reviews.map((r) => r.envelope),
      },
      new Map<Envelope, number>([
        [b.release.envelope, b.release.index],
        [b.head.envelope, b.head.index],
        ...b.reviews.map((r) => [r.envelope, r.index] as [Envelope, number]),
      ]),
      world.log.checkpoint(),
      world.log.tileSource,
    );
    const refreshed = serviceDictionarySource({
      service: tampered(world.service, { latest: rollback.latest, bundle: () => fresh }),
      stateDir,
      warn,
    });
    expect(await refreshed.refresh()).toBe(false);
    expect(refreshed.version()).toBe(V2);
    expect(refreshed.lastRefusal()?.code).toMatch(/^E_(ROLLBACK|HEAD_REPLAY|FREEZE)$/);
  });

  it("loads over HTTP from the service's routes, pinning the policy file", async () => {
    const app = await httpService(world);
    try {
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const policyFile = join(world.dir, "policy.json");
      writeFileSync(policyFile, JSON.stringify(world.service.ctx.policy.envelope));
      const stateDir = join(world.dir, "state-remote");
      const source = remoteDictionarySource({
        server: `http://127.0.0.1:${port}/`,
        policyFile,
        stateDir,
        warn,
      });
      expect(await source.refresh()).toBe(true);
      expect(source.version()).toBe(V2);
      expect(readFileSync(join(stateDir, "policy.json"), "utf8")).toContain("payload");
      expect(await source.refresh()).toBe(false);

      const down = remoteDictionarySource({ server: "http://127.0.0.1:1", policyFile, warn });
      expect(await down.refresh()).toBe(false);
      expect(down.lastRefusal()?.code).toBe("E_SERVICE_UNREACHABLE");
    } finally {
      await app.close();
    }
  });

  it("refuses a reviewed release whose dictionary states another version", async () => {
    const source = serviceDictionarySource({
      service: world.service,
      stateDir: join(world.dir, "state-tamper"),
      warn,
    });
    expect(source.version()).toBe(V2);
    const v3 = await world.publish("2026.11.23.3", edr(V2, CLIPBOARD));
    const row = await world.service.store.release(v3.releaseSha256);
    // The analyzer told the reviewers; the gateway refuses it regardless.
    expect(row?.report).toContain("the gateway refuses a dictionary whose version differs");
    expect(await source.refresh()).toBe(false);
    expect(source.lastRefusal()?.code).toBe("E_DICTIONARY_VERSION");
    expect(source.version()).toBe(V2);
  });
});

describe("fileDictionarySource (development only)", () => {
  it("loads a file unverified, reloads on change and keeps the last good one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-dictionary-file-"));
    try {
      const path = join(dir, "edr.yaml");
      writeFileSync(path, edr(V1));
      const warnings: string[] = [];
      const source = fileDictionarySource(path, { warn: (m) => warnings.push(m) });
      expect(source.verified).toBe(false);
      expect(await source.refresh()).toBe(true);
      expect(await source.refresh()).toBe(false);
      writeFileSync(path, "events: [");
      expect(await source.refresh()).toBe(false);
      expect(source.version()).toBe(V1);
      expect(source.lastRefusal()?.code).toBe("E_DICTIONARY_INVALID");
      writeFileSync(path, edr(V2));
      expect(await source.refresh()).toBe(true);
      expect(source.version()).toBe(V2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The service's release and log routes on loopback, with the API's error shape. */
async function httpService(world: Pipeline): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((err, _request, reply) => {
    const code = isCrosscheckError(err) ? err.code : "E_INTERNAL";
    reply
      .status(code === "E_NOT_PUBLISHED" ? 404 : 400)
      .send({ error: { code, message: (err as Error).message } });
  });
  await app.register(releaseRoutes, {
    prefix: "/api/v1",
    service: world.service,
    authorize: async () => {
      throw new Error("read-only in this test");
    },
  });
  await app.register(logRoutes, {
    prefix: "/log",
    log: world.log,
    authorizeAdd: () => {
      throw new Error("read-only in this test");
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return app;
}
