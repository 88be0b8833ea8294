/**
 * Split-view evidence (Decision 9) built from two real forks of one log (same key, different
 * entries): accepted when it proves the fork, refused when tampered, consistent or unsigned.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addBody,
  type GrowingLog,
  growingLog,
  logKey,
  openWitness,
  witnessKey,
} from "../../test/support/witness-kit.js";
import { generateNoteKey, parseNote, parseSignerKey, signNote, toBase64 } from "../crypto/index.js";
import { isCrosscheckError } from "../errors/index.js";
import { prefixRoot } from "../log/index.js";
import {
  inconsistencyEvidence,
  parseSplitViewEvidence,
  type SplitViewEvidence,
  sameSizeEvidence,
  verifySplitViewEvidence,
} from "./index.js";

const LOG = logKey("log.evidence-test.example");
let honest: GrowingLog;
let fork: GrowingLog;

beforeAll(async () => {
  honest = await growingLog(LOG.signerKey, "honest");
  fork = await growingLog(LOG.signerKey, "fork");
  await honest.grow(300); // past one full tile, so prefix roots come from real tiles
  await fork.grow(20);
});
afterAll(async () => {
  await honest.close();
  await fork.close();
});

/** Evidence that `small` (of `smallLog`) is not a prefix of `large` (of `largeLog`). */
async function inconsistency(small: string, largeLog: GrowingLog, smallSize: number, size: number) {
  return inconsistencyEvidence(
    small,
    largeLog.note(size),
    await prefixRoot(largeLog.log.tileSource, smallSize, size),
    await largeLog.proof(smallSize, size),
  );
}

function refused(run: () => unknown, why?: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(isCrosscheckError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe("E_EVIDENCE_INVALID");
  if (why) expect((error as Error).message).toMatch(why);
}

const roundTrip = (e: SplitViewEvidence) => parseSplitViewEvidence(JSON.stringify(e));

describe("split-view evidence", () => {
  it("proves two roots for one size", () => {
    const evidence = sameSizeEvidence(honest.note(12), fork.note(12));
    expect(evidence.origin).toBe("log.evidence-test.example");
    expect(verifySplitViewEvidence(roundTrip(evidence), LOG.verifierKey)).toMatch(
      /two different roots for size 12/,
    );
    expect(
      verifySplitViewEvidence(sameSizeEvidence(fork.note(1), honest.note(1)), LOG.verifierKey),
    ).toMatch(/size 1\b/);
  });

  it("proves a larger tree that does not extend a smaller one, both ways round", async () => {
    for (const [smallSize, size] of [
      [1, 2],
      [5, 9],
      [13, 256],
      [20, 300],
    ] as const) {
      // The fork's small tree is not the start of the honest large one …
      const a = await inconsistency(fork.note(smallSize), honest, smallSize, size);
      expect(verifySplitViewEvidence(roundTrip(a), LOG.verifierKey)).toMatch(
        new RegExp(`size ${size} that does not extend the tree of size ${smallSize}`),
      );
    }
    // … and the honest small tree is not the start of the fork's large one.
    const b = await inconsistency(honest.note(7), fork, 7, 20);
    expect(verifySplitViewEvidence(roundTrip(b), LOG.verifierKey)).toMatch(/does not extend/);
  });

  it("refuses evidence of trees that agree", async () => {
    refused(
      () =>
        verifySplitViewEvidence(sameSizeEvidence(honest.note(9), honest.note(9)), LOG.verifierKey),
      /same root/,
    );
    const consistent = await inconsistency(honest.note(9), honest, 9, 300);
    refused(() => verifySplitViewEvidence(consistent, LOG.verifierKey), /consistent/);
  });

  it("refuses tampered evidence", async () => {
    const good = await inconsistency(fork.note(5), honest, 5, 9);
    expect(() => verifySplitViewEvidence(good, LOG.verifierKey)).not.toThrow();
    const consistency = good.consistency as NonNullable<SplitViewEvidence["consistency"]>;
    // A proof hash changed.
    const proof = [...consistency.proof];
    proof[0] = toBase64(new Uint8Array(32).fill(7));
    refused(
      () =>
        verifySplitViewEvidence(
          { ...good, consistency: { ...consistency, proof } },
          LOG.verifierKey,
        ),
      /does not verify/,
    );
    // A claimed prefix root that is not the larger tree's.
    refused(
      () =>
        verifySplitViewEvidence(
          {
            ...good,
            consistency: { ...consistency, firstRootInSecond: toBase64(new Uint8Array(32)) },
          },
          LOG.verifierKey,
        ),
      /does not verify/,
    );
    // The smaller checkpoint's text altered (its size): the log's signature no longer holds.
    const text = parseNote(fork.note(5)).text;
    const altered = fork.note(5).replace(`\n5\n`, "\n6\n");
    expect(altered).not.toBe(fork.note(5));
    expect(text).toContain("\n5\n");
    refused(
      () => verifySplitViewEvidence({ ...good, first: altered }, LOG.verifierKey),
      /not signed/,
    );
    // The two swapped: the smaller must come first.
    refused(() =>
      verifySplitViewEvidence({ ...good, first: good.second, second: good.first }, LOG.verifierKey),
    );
    // Missing the consistency part.
    refused(() => verifySplitViewEvidence({ ...good, consistency: undefined }, LOG.verifierKey));
    // A different origin field.
    refused(
      () => verifySplitViewEvidence({ ...good, origin: "other.example" }, LOG.verifierKey),
      /another log/,
    );
  });

  it("refuses checkpoints not signed by the log's key", () => {
    const impostor = parseSignerKey(generateNoteKey("log.evidence-test.example").signerKey);
    const forged = signNote(parseNote(fork.note(12)).text, [impostor]);
    refused(
      () => verifySplitViewEvidence(sameSizeEvidence(honest.note(12), forged), LOG.verifierKey),
      /not signed/,
    );
    // Checked against another log's key, nothing proves anything.
    const other = generateNoteKey("log.evidence-test.example");
    refused(
      () =>
        verifySplitViewEvidence(
          sameSizeEvidence(honest.note(12), fork.note(12)),
          other.verifierKey,
        ),
      /not signed/,
    );
  });

  it("refuses malformed files", () => {
    const good = sameSizeEvidence(honest.note(3), fork.note(3));
    for (const text of [
      "not json",
      JSON.stringify({ ...good, type: "other" }),
      JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify({ ...good, consistency: { firstRootInSecond: "short", proof: [] } }),
      JSON.stringify({ ...good, first: undefined }),
    ]) {
      refused(() => parseSplitViewEvidence(text));
    }
  });

  it("turns a witness's same-size refusal into evidence anyone can check", async () => {
    const kit = await openWitness([LOG.verifierKey], witnessKey());
    expect(kit.witness.addCheckpoint(await addBody(honest, 0, honest.note(15))).status).toBe(200);
    expect(kit.witness.addCheckpoint(await addBody(fork, 15, fork.note(15))).status).toBe(409);
    const [record] = kit.store.evidence();
    expect(record?.kind).toBe("same-size-different-root");
    const evidence = sameSizeEvidence(
      record?.cosignedCheckpoint as string,
      record?.request as string,
    );
    expect(verifySplitViewEvidence(roundTrip(evidence), LOG.verifierKey)).toMatch(
      /two different roots/,
    );
    await kit.close();
  });
});
