/**
 * Issue 4, Must show: a log and three witnesses as separate processes over loopback, with a 2-of-3
 * policy. Normal operation yields cosigned checkpoints; one witness down keeps the log publishing,
 * two down stop cosigned publication (adds still integrate) until one returns; a fork (a second
 * process with the same log key and other entries) is refused by every witness, which keep the
 * evidence, and endpoints refuse what the fork signed.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../src/attest/index.js";
import { envelopeLogEntry } from "../src/attest/index.js";
import { bytesEqual, parseNote, utf8Encode } from "../src/crypto/index.js";
import { writeKeyFile } from "../src/crypto/node.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { LogClient, prefixRoot, proveConsistency, proveInclusion } from "../src/log/index.js";
import {
  addCosignatures,
  cosignatureSigner,
  leafHash,
  parseCheckpoint,
  verifyInclusion,
} from "../src/merkle/index.js";
import { openPolicy, signPolicy, type TrustedPolicy } from "../src/policy/index.js";
import { type BundleParts, proveBundle } from "../src/releases/index.js";
import { type EndpointState, verifyRelease } from "../src/verify/index.js";
import {
  inconsistencyEvidence,
  sameSizeEvidence,
  verifySplitViewEvidence,
} from "../src/witness/index.js";
import { freePort, stop } from "./support/cli.js";
import { ARTIFACT, policyDocument, type World, world } from "./support/release-world.js";
import {
  killAll,
  poll,
  readCheckpoint,
  startLog,
  startWitness,
  type WitnessProcess,
  witnessEvidence,
  writeWitnessPolicy,
} from "./support/witness-procs.js";

let w: World;
let dir: string;
let policy: TrustedPolicy;
const names = ["w1", "w2", "w3"];
const witnessDirs: string[] = [];
const witnessKeys: string[] = [];
const ports: number[] = [];
const witnesses: (WitnessProcess | undefined)[] = [];
let policyFile: string;
let logVkey: string;
let honestUrl: string;
let honestLog: Awaited<ReturnType<typeof startLog>>;
let policyWitnesses: { name: string; verifierKey: string }[];

beforeAll(async () => {
  w = await world();
  logVkey = w.keys.log.verifierKey;
  dir = mkdtempSync(join(tmpdir(), "crosscheck-witnesses-"));
  policyWitnesses = w.keys.witnesses.map((k, i) => ({
    name: names[i] as string,
    verifierKey: k.verifierKey,
  }));
  for (let i = 0; i < 3; i++) {
    const wdir = join(dir, `w${i + 1}`);
    mkdirSync(wdir);
    witnessDirs.push(wdir);
    const keyFile = join(dir, `w${i + 1}.key`);
    writeKeyFile(keyFile, w.keys.witnesses[i]?.signerKey as string);
    witnessKeys.push(keyFile);
    ports.push(await freePort());
  }
  policyFile = join(dir, "witness-policy.txt");
  writeWitnessPolicy(
    policyFile,
    logVkey,
    policyWitnesses.map((p, i) => ({ ...p, url: `http://127.0.0.1:${ports[i]}` })),
    2,
  );
  // The endpoints' trust policy names the same log and witness keys, fresh for today.
  const now = new Date();
  const document = policyDocument(w.keys, {
    expires: new Date(now.getTime() + 365 * 86400_000).toISOString().replace(/\.\d+Z$/, "Z"),
  });
  policy = openPolicy(
    signPolicy(document, [
      w.keys.roots[0]?.signerKey as string,
      w.keys.roots[1]?.signerKey as string,
    ]),
    { now },
  );
  await Promise.all([0, 1, 2].map((i) => restartWitness(i)));
  const honestDir = join(dir, "honest");
  mkdirSync(honestDir);
  writeKeyFile(join(honestDir, "log.key"), w.keys.log.signerKey);
  const port = await freePort();
  honestUrl = `http://127.0.0.1:${port}/log`;
  honestLog = await startLog([
    "--data",
    honestDir,
    "--port",
    String(port),
    "--witness-policy",
    policyFile,
  ]);
}, 60_000);

afterAll(async () => {
  await killAll();
  await w?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function restartWitness(i: number): Promise<void> {
  witnesses[i] = await startWitness({
    data: witnessDirs[i] as string,
    keyFile: witnessKeys[i] as string,
    logVerifierKey: logVkey,
    port: ports[i] as number,
  });
}

async function stopWitness(i: number): Promise<void> {
  const proc = witnesses[i];
  if (proc) await stop(proc.child);
  witnesses[i] = undefined;
}

const served = (url = honestUrl) => readCheckpoint(url, logVkey, policyWitnesses);

/** Waits for a served checkpoint of at least `size` with at least `k` valid cosignatures. */
function cosignedAt(size: number, k = 2, url = honestUrl, ms = 20_000) {
  return poll(
    `a checkpoint of size ${size} cosigned by ${k}`,
    async () => {
      const cp = await served(url);
      return cp.status === 200 && (cp.size as number) >= size && cp.cosigners.length >= k
        ? cp
        : undefined;
    },
    ms,
  );
}

/** Every entry added to the honest log, by index. */
const entries = new Map<number, Uint8Array>();
async function addHonest(count: number): Promise<number[]> {
  const client = new LogClient(honestUrl);
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) {
    const entry = utf8Encode(`honest entry ${entries.size} ${Math.random()}`);
    const { index } = await client.add(entry);
    entries.set(index, entry);
    indexes.push(index);
  }
  return indexes;
}

/** Every entry added so far is in the tree of the cosigned `note` of `size`: nothing lost. */
async function allIncluded(note: string, size: number): Promise<void> {
  const client = new LogClient(honestUrl);
  const checkpoint = parseCheckpoint(parseNote(note).text);
  expect(checkpoint.size).toBe(size);
  expect([...entries.keys()].every((i) => i < size)).toBe(true);
  for (const [index, entry] of entries) {
    const proof = await proveInclusion(client.tileSource, index, size);
    verifyInclusion(leafHash(entry), index, size, proof, checkpoint.root);
  }
}

/** Release parts dated around the real clock (the witnesses cosign with it). */
function freshParts(version: string): BundleParts {
  const at = (offsetMinutes: number) =>
    new Date(Date.now() + offsetMinutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  const release = w.release({ version, published: at(-120) });
  return {
    release,
    head: w.head(release, { issued: at(-60), expires: at(23 * 60) }),
    reviews: [
      w.review(release, w.keys.alpha, "Alpha Labs", { timeVerified: at(-90) }),
      w.review(release, w.keys.beta, "Beta Review", { timeVerified: at(-90) }),
    ],
  };
}

async function addParts(url: string, parts: BundleParts): Promise<Map<Envelope, number>> {
  const client = new LogClient(url);
  const indexes = new Map<Envelope, number>();
  for (const envelope of [parts.release, parts.head, ...parts.reviews]) {
    indexes.set(envelope, (await client.add(envelopeLogEntry(envelope))).index);
  }
  return indexes;
}

async function refusedWith(code: string, run: () => unknown): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  expect(isCrosscheckError(error), `expected ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

describe("a log and three witnesses, 2-of-3", () => {
  let honestState: EndpointState;
  let honestSize = 0;

  it("normal operation yields cosigned checkpoints", async () => {
    await addHonest(5);
    const cp = await cosignedAt(5);
    expect(cp.size).toBe(5);
    expect(cp.cosigners.length).toBeGreaterThanOrEqual(2);
    await allIncluded(cp.note as string, 5);
    // The late witness's cosignature is added too.
    const all = await cosignedAt(5, 3);
    expect(all.cosigners).toEqual(["w1", "w2", "w3"]);
  });

  it("keeps publishing with one witness down, stops with two, resumes when one returns", async () => {
    await stopWitness(2);
    await addHonest(3);
    const one = await cosignedAt(8);
    expect(one.size).toBe(8);
    expect(one.cosigners).toEqual(["w1", "w2"]);

    await stopWitness(1);
    const added = await addHonest(4); // adds succeed and integrate meanwhile
    expect(added).toEqual([8, 9, 10, 11]);
    const client = new LogClient(honestUrl);
    // Integrated: the tiles of the unpublished tree are already readable (leaf 11 is there).
    const proof = await proveInclusion(client.tileSource, 11, 12);
    expect(proof.length).toBeGreaterThan(0);
    // No cosigned publication for a while (longer than the collector's 2 s retry).
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const cp = await served();
      expect(cp.status).toBe(200);
      expect(cp.size).toBe(8);
      await new Promise((r) => setTimeout(r, 250));
    }

    await restartWitness(1);
    const resumed = await cosignedAt(12, 2, honestUrl, 15_000);
    expect(resumed.size).toBe(12);
    expect(resumed.cosigners).toEqual(["w1", "w2"]);
    await allIncluded(resumed.note as string, 12);

    // The third comes back too, from the size it last cosigned (5).
    await restartWitness(2);
    await addHonest(1);
    const all = await cosignedAt(13, 3, honestUrl, 15_000);
    expect(all.size).toBe(13);
    await allIncluded(all.note as string, 13);
  });

  it("an endpoint verifies a release against the witnesses' cosignatures", async () => {
    const parts = freshParts("2026.11.23.1");
    const indexes = await addParts(honestUrl, parts);
    honestSize = 13 + 4;
    const cp = await cosignedAt(honestSize, 3);
    expect(cp.size).toBe(honestSize);
    const bundle = await proveBundle(
      parts,
      indexes,
      cp.note as string,
      new LogClient(honestUrl).tileSource,
    );
    const verified = verifyRelease({
      bundle,
      artifact: ARTIFACT,
      policy,
      channel: "sigdb",
      now: new Date(),
    });
    expect(verified.checkpoint.size).toBe(honestSize);
    honestState = verified.state;
  });

  it("a fork with the log's key is refused by every witness, and endpoints refuse it", async () => {
    const forkDir = join(dir, "fork");
    mkdirSync(forkDir);
    writeKeyFile(join(forkDir, "log.key"), w.keys.log.signerKey);
    const port = await freePort();
    const forkUrl = `http://127.0.0.1:${port}/log`;
    const fork = await startLog([
      "--data",
      forkDir,
      "--port",
      String(port),
      "--witness-policy",
      policyFile,
    ]);
    try {
      const notWitnessed = await served(forkUrl);
      expect(notWitnessed.status).toBe(503);
      expect(notWitnessed.body).toContain("E_NOT_WITNESSED");

      // The fork: other entries up to the honest size, ending with a release shown only to its victims.
      const forkClient = new LogClient(forkUrl);
      for (let i = 0; i < honestSize - 4; i++) {
        await forkClient.add(utf8Encode(`forked entry ${i} ${Math.random()}`));
      }
      const forkParts = freshParts("2026.11.23.2");
      const forkIndexes = await addParts(forkUrl, forkParts);
      expect(Math.max(...forkIndexes.values())).toBe(honestSize - 1);

      // Every witness refuses the fork's checkpoint of the honest size and keeps both.
      const sameSize = await Promise.all(
        witnessDirs.map((d) =>
          poll(
            `same-size evidence in ${d}`,
            async () => {
              const rows = await witnessEvidence(d);
              return rows.find((r) => r.kind === "same-size-different-root");
            },
            20_000,
            300,
          ),
        ),
      );
      const forkNote = sameSize[0]?.request as string;
      for (const row of sameSize) {
        const proves = verifySplitViewEvidence(
          sameSizeEvidence(row.cosignedCheckpoint, row.request),
          logVkey,
        );
        expect(proves).toMatch(new RegExp(`two different roots for size ${honestSize}`));
      }
      const forkCp = parseCheckpoint(parseNote(forkNote).text);
      expect(forkCp.size).toBe(honestSize);
      expect(bytesEqual(forkCp.root, (await served()).root as Uint8Array)).toBe(false);
      expect((await served(forkUrl)).status).toBe(503);

      // The endpoint refuses a bundle proved against the fork's (uncosigned) checkpoint …
      const forkBundle = await proveBundle(forkParts, forkIndexes, forkNote, forkClient.tileSource);
      const input = { artifact: ARTIFACT, policy, channel: "sigdb" as const, now: new Date() };
      await refusedWith("E_COSIGNATURES", () => verifyRelease({ ...input, bundle: forkBundle }));
      // … and even with cosignatures from colluding witness keys, an endpoint that saw the
      // honest checkpoint of that size sees the split view.
      const colluded = addCosignatures(
        forkNote,
        w.keys.witnesses.slice(0, 2).map((k) => cosignatureSigner(k.signerKey)),
      );
      await refusedWith("E_SPLIT_VIEW", () =>
        verifyRelease({
          ...input,
          bundle: { ...forkBundle, checkpoint: colluded },
          state: honestState,
        }),
      );

      // The fork grows past the honest tree: inconsistent, refused (422) and kept.
      for (let i = 0; i < 3; i++)
        await forkClient.add(utf8Encode(`forked later ${i} ${Math.random()}`));
      const inconsistent = await Promise.all(
        witnessDirs.map((d) =>
          poll(
            `inconsistent evidence in ${d}`,
            async () => {
              const rows = await witnessEvidence(d);
              return rows.find(
                (r) =>
                  r.kind === "inconsistent" &&
                  parseNote(r.request).text.includes(`\n${honestSize + 3}\n`),
              );
            },
            20_000,
            300,
          ),
        ),
      );
      // Anyone with the fork's tiles turns it into checkable evidence (what a monitor reports).
      const larger = inconsistent[0]?.request as string;
      const evidence = inconsistencyEvidence(
        inconsistent[0]?.cosignedCheckpoint as string,
        larger,
        await prefixRoot(forkClient.tileSource, honestSize, honestSize + 3),
        await proveConsistency(forkClient.tileSource, honestSize, honestSize + 3),
      );
      expect(verifySplitViewEvidence(evidence, logVkey)).toMatch(/does not extend/);
      expect((await served(forkUrl)).status).toBe(503);
      expect(fork.child.exitCode).toBeNull();
      // The fork's collector was told: 409s (conflicting size) and 422s.
      expect(fork.stderr()).toMatch(/witness w\d: refused size \d+ as conflicting/);
      expect(fork.stderr()).toMatch(/witness w\d: answered HTTP 422/);

      // The honest log goes on, cosigned by all three.
      await addHonest(1);
      const after = await cosignedAt(honestSize + 1, 3);
      expect(after.size).toBe(honestSize + 1);
      expect(honestLog.child.exitCode).toBeNull();
    } finally {
      await stop(fork.child);
    }
  });
});
