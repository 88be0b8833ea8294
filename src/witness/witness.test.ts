/**
 * The witness against C2SP tlog-witness `add-checkpoint`, status by status, in process: what it
 * answers, what it stores (nothing on a refusal), what it keeps as evidence, and what survives a
 * reopen of its database.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addBody,
  checkCosignature,
  type GrowingLog,
  growingLog,
  logKey,
  openWitness,
  type WitnessKit,
  witnessKey,
} from "../../test/support/witness-kit.js";
import {
  bytesEqual,
  generateNoteKey,
  parseNote,
  parseSignerKey,
  signNote,
  toBase64,
} from "../crypto/index.js";
import { cosignatureTime } from "../merkle/index.js";
import { createWitnessServer } from "../server/index.js";
import { formatAddCheckpoint, MAX_EVIDENCE_PER_LOG, TLOG_SIZE_CONTENT_TYPE } from "./index.js";

const LOG = logKey();
let honest: GrowingLog;
let fork: GrowingLog;

beforeAll(async () => {
  honest = await growingLog(LOG.signerKey, "honest");
  fork = await growingLog(LOG.signerKey, "fork");
  await honest.grow(12);
  await fork.grow(12);
});
afterAll(async () => {
  await honest.close();
  await fork.close();
});

/** A witness whose stored state is the honest checkpoint of `size` (0: never cosigned). */
async function witnessAt(size: number, path?: string): Promise<WitnessKit> {
  const kit = await openWitness([LOG.verifierKey], witnessKey(), path);
  if (size > 0) {
    const answer = kit.witness.addCheckpoint(await addBody(honest, 0, honest.note(size)));
    expect(answer.status).toBe(200);
  }
  return kit;
}

function storedSize(kit: WitnessKit): number | undefined {
  return kit.store.current(originOf())?.size;
}

function originOf(): string {
  return LOG.verifierKey.split("+")[0] as string;
}

/** Asserts a refusal leaves the state as it was. */
function expectUnchanged(kit: WitnessKit, before: ReturnType<WitnessKit["store"]["current"]>) {
  const after = kit.store.current(originOf());
  expect(after?.size).toBe(before?.size);
  expect(after?.checkpoint).toBe(before?.checkpoint);
}

describe("200: cosigns what extends its state", () => {
  it("cosigns a first checkpoint, then each consistent extension, with cosignature/v1 lines", async () => {
    const kit = await witnessAt(0);
    const before = Math.floor(Date.now() / 1000);
    const first = kit.witness.addCheckpoint(await addBody(honest, 0, honest.note(3)));
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/^— w\.witness-test\.example [A-Za-z0-9+/]+=*\n$/);
    const cosigned = checkCosignature(honest.note(3), first.body, kit.key.verifierKey);
    const sig = parseNote(cosigned).signatures[0];
    const time = cosignatureTime(sig?.signature as Uint8Array) as number;
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    expect(storedSize(kit)).toBe(3);

    for (const [old, next] of [
      [3, 4],
      [4, 8],
      [8, 12],
    ] as const) {
      const answer = kit.witness.addCheckpoint(await addBody(honest, old, honest.note(next)));
      expect(answer.status, answer.body).toBe(200);
      checkCosignature(honest.note(next), answer.body, kit.key.verifierKey);
      expect(storedSize(kit)).toBe(next);
    }
    // The same checkpoint again (old = size = stored, same root) is cosigned again.
    const again = kit.witness.addCheckpoint(await addBody(honest, 12, honest.note(12)));
    expect(again.status).toBe(200);
    checkCosignature(honest.note(12), again.body, kit.key.verifierKey);
    // A cosignature does not verify for another checkpoint.
    expect(() => checkCosignature(honest.note(11), again.body, kit.key.verifierKey)).toThrow();
    await kit.close();
  });

  it("cosigns the empty tree", async () => {
    const kit = await witnessAt(0);
    const answer = kit.witness.addCheckpoint(await addBody(honest, 0, honest.note(0)));
    expect(answer.status).toBe(200);
    checkCosignature(honest.note(0), answer.body, kit.key.verifierKey);
    await kit.close();
  });
});

describe("400: malformed requests", () => {
  it("refuses bad old lines, too many or bad proof lines, and a proof from size 0", async () => {
    const kit = await witnessAt(4);
    const before = kit.store.current(originOf());
    const note = honest.note(8);
    const proof = (await honest.proof(4, 8)).map((h) => `${toBase64(h)}\n`).join("");
    const hash = `${toBase64(new Uint8Array(32))}\n`;
    const bodies = [
      `old 04\n${proof}\n${note}`,
      `old -4\n${proof}\n${note}`,
      `Old 4\n${proof}\n${note}`,
      `old 4 \n${proof}\n${note}`,
      `old\n${proof}\n${note}`,
      `old 4\n${proof}${note}`, // no empty line
      `${proof}\n${note}`,
      `old 4\n${hash.repeat(64)}\n${note}`,
      `old 4\n${proof}not base64!\n\n${note}`,
      `old 4\n${toBase64(new Uint8Array(31))}\n\n${note}`,
      `old 0\n${hash}\n${note}`,
      `old 4\n${proof}\n`, // no checkpoint
      `old 4\n${proof}\nnot a checkpoint\n`,
      `old 4\n${proof}\n${note.replace(/\n\n.*$/s, "\n")}`, // unsigned text
      "",
    ];
    for (const body of bodies) {
      const answer = kit.witness.addCheckpoint(body);
      expect(answer.status, JSON.stringify(body.slice(0, 40))).toBe(400);
      expect(answer.body.length).toBeGreaterThan(0);
    }
    // 63 proof lines are allowed by the syntax (the proof itself is then wrong: 422).
    const sixtyThree = kit.witness.addCheckpoint(`old 4\n${hash.repeat(63)}\n${note}`);
    expect(sixtyThree.status).toBe(422);
    expectUnchanged(kit, before);
    await kit.close();
  });

  it("refuses an old size larger than the checkpoint's, keeping a smaller tree as evidence", async () => {
    const kit = await witnessAt(8);
    const before = kit.store.current(originOf());
    const answer = kit.witness.addCheckpoint(
      formatAddCheckpoint({ oldSize: 9, proof: [], checkpoint: honest.note(5) }),
    );
    expect(answer.status).toBe(400);
    expectUnchanged(kit, before);
    const evidence = kit.store.evidence();
    expect(evidence).toHaveLength(1);
    expect(evidence[0]?.kind).toBe("smaller-tree");
    expect(evidence[0]?.cosignedCheckpoint).toBe(honest.note(8));
    // Not smaller than what it cosigned: refused, but nothing to keep.
    const larger = kit.witness.addCheckpoint(
      formatAddCheckpoint({ oldSize: 11, proof: [], checkpoint: honest.note(10) }),
    );
    expect(larger.status).toBe(400);
    expect(kit.store.evidence()).toHaveLength(1);
    expectUnchanged(kit, before);
    await kit.close();
  });
});

describe("404 and 403: whose checkpoint it is", () => {
  it("answers 404 for a log it does not witness", async () => {
    const kit = await witnessAt(4);
    const other = generateNoteKey("other.log.example");
    const stranger = await growingLog(other.signerKey, "stranger");
    await stranger.grow(2);
    const answer = kit.witness.addCheckpoint(await addBody(stranger, 0, stranger.note(2)));
    expect(answer.status).toBe(404);
    expect(kit.store.current("other.log.example")).toBeUndefined();
    await stranger.close();
    await kit.close();
  });

  it("answers 403 without a valid signature by the log's key", async () => {
    const kit = await witnessAt(4);
    const before = kit.store.current(originOf());
    const text = parseNote(honest.note(8)).text;
    // Another key with the log's very name (a different key hash).
    const impostor = parseSignerKey(generateNoteKey(originOf()).signerKey);
    const signedByImpostor = signNote(text, [impostor]);
    // The log's signature line, altered.
    const real = honest.note(8);
    const lastSig = real.trimEnd().split("\n").pop() as string;
    const b64 = lastSig.split(" ").pop() as string;
    const flipped = `${b64.slice(0, 10)}${b64[10] === "A" ? "B" : "A"}${b64.slice(11)}`;
    const altered = real.replace(b64, flipped);
    // The log's signature over another text (a different size).
    const mixed = `${text}\n${honest.note(7).slice(parseNote(honest.note(7)).text.length + 1)}`;
    const proof = await honest.proof(4, 8);
    for (const checkpoint of [signedByImpostor, altered, mixed]) {
      const answer = kit.witness.addCheckpoint(
        formatAddCheckpoint({ oldSize: 4, proof, checkpoint }),
      );
      expect(answer.status).toBe(403);
    }
    expectUnchanged(kit, before);
    expect(kit.store.evidence()).toHaveLength(0);
    await kit.close();
  });
});

describe("409: the client is behind, or the log shows two roots for one size", () => {
  it("answers <size>\\n as text/x.tlog.size when old is not the size it cosigned", async () => {
    const kit = await witnessAt(6);
    const before = kit.store.current(originOf());
    for (const old of [0, 4, 5, 7]) {
      const answer = kit.witness.addCheckpoint(await addBody(honest, old, honest.note(10)));
      expect(answer.status).toBe(409);
      expect(answer.body).toBe("6\n");
      expect(answer.contentType).toBe(TLOG_SIZE_CONTENT_TYPE);
    }
    expectUnchanged(kit, before);
    // Behind, but not smaller than its state: no evidence.
    expect(kit.store.evidence()).toHaveLength(0);
    // A fresh witness knows size 0.
    const fresh = await witnessAt(0);
    const answer = fresh.witness.addCheckpoint(await addBody(honest, 3, honest.note(10)));
    expect(answer).toMatchObject({ status: 409, body: "0\n", contentType: TLOG_SIZE_CONTENT_TYPE });
    await fresh.close();
    await kit.close();
  });

  it("keeps a smaller tree it is shown as evidence", async () => {
    const kit = await witnessAt(8);
    const before = kit.store.current(originOf());
    const body = await addBody(honest, 0, honest.note(5));
    const answer = kit.witness.addCheckpoint(body);
    expect(answer).toMatchObject({ status: 409, body: "8\n" });
    expectUnchanged(kit, before);
    const [record] = kit.store.evidence();
    expect(record).toMatchObject({
      origin: originOf(),
      kind: "smaller-tree",
      cosignedCheckpoint: honest.note(8),
      request: honest.note(5),
    });
    await kit.close();
  });

  it("refuses the same size with another root, keeping both checkpoints", async () => {
    const kit = await witnessAt(8);
    const before = kit.store.current(originOf());
    expect(bytesEqual(fork.root(8), honest.root(8))).toBe(false);
    const body = formatAddCheckpoint({ oldSize: 8, proof: [], checkpoint: fork.note(8) });
    const answer = kit.witness.addCheckpoint(body);
    expect(answer).toMatchObject({ status: 409, body: "8\n", contentType: TLOG_SIZE_CONTENT_TYPE });
    expectUnchanged(kit, before);
    const [record] = kit.store.evidence();
    expect(record).toMatchObject({
      kind: "same-size-different-root",
      cosignedCheckpoint: honest.note(8),
      request: fork.note(8),
    });
    await kit.close();
  });

  it("keeps a same-size fork as evidence even when the request's old size is not its size", async () => {
    // The fork's checkpoint of the witness's own size, sent with old 0 (what a collector sends
    // first): the witness is shown two roots for one size and must keep them (issue 4), whatever
    // the old size says.
    const kit = await witnessAt(8);
    const body = formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: fork.note(8) });
    expect(kit.witness.addCheckpoint(body)).toMatchObject({ status: 409, body: "8\n" });
    expect(kit.store.evidence().map((e) => e.kind)).toEqual(["same-size-different-root"]);
    await kit.close();
  });
});

describe("422: a consistency proof that does not verify", () => {
  it("refuses a forked larger tree and a wrong proof, keeping evidence", async () => {
    const kit = await witnessAt(5);
    const before = kit.store.current(originOf());
    const forked = await addBody(fork, 5, fork.note(9));
    expect(kit.witness.addCheckpoint(forked).status).toBe(422);
    // The honest checkpoint with the fork's proof, or with a proof from another size.
    const wrongProof = formatAddCheckpoint({
      oldSize: 5,
      proof: await fork.proof(5, 9),
      checkpoint: honest.note(9),
    });
    expect(kit.witness.addCheckpoint(wrongProof).status).toBe(422);
    const otherSizes = formatAddCheckpoint({
      oldSize: 5,
      proof: await honest.proof(4, 9),
      checkpoint: honest.note(9),
    });
    expect(kit.witness.addCheckpoint(otherSizes).status).toBe(422);
    const empty = formatAddCheckpoint({ oldSize: 5, proof: [], checkpoint: honest.note(9) });
    expect(kit.witness.addCheckpoint(empty).status).toBe(422);
    expectUnchanged(kit, before);
    const evidence = kit.store.evidence();
    // The three refusals of the honest checkpoint differ only in the caller's proof: kept once.
    expect(evidence.map((e) => e.kind)).toEqual(["inconsistent", "inconsistent"]);
    expect(evidence[0]).toMatchObject({
      cosignedCheckpoint: honest.note(5),
      request: fork.note(9),
    });
    // The honest extension still passes afterwards.
    const ok = kit.witness.addCheckpoint(await addBody(honest, 5, honest.note(9)));
    expect(ok.status).toBe(200);
    await kit.close();
  });
});

describe("evidence a hostile caller cannot inflate", () => {
  it("keeps a refused checkpoint as its text and the log's signature lines, once", async () => {
    const kit = await witnessAt(8);
    const forked = fork.note(8);
    // The log's real note, padded with signature lines of other keys and a repeated log line.
    const logLine = forked.slice(parseNote(forked).text.length + 1);
    const junk = Array.from({ length: 90 }, (_, i) => {
      const other = parseSignerKey(generateNoteKey(`junk-${i}.example`).signerKey);
      return signNote(parseNote(forked).text, [other]).slice(parseNote(forked).text.length + 1);
    }).join("");
    const padded = `${forked}${logLine}${junk}`;
    for (const oldSize of [8, 0, 3]) {
      const body = formatAddCheckpoint({ oldSize, proof: [], checkpoint: padded });
      expect(kit.witness.addCheckpoint(body).status).toBe(409);
    }
    expect(
      kit.witness.addCheckpoint(formatAddCheckpoint({ oldSize: 8, proof: [], checkpoint: forked }))
        .status,
    ).toBe(409);
    const evidence = kit.store.evidence();
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({
      kind: "same-size-different-root",
      cosignedCheckpoint: honest.note(8),
      request: forked,
    });
    await kit.close();
  });

  it(`keeps at most ${MAX_EVIDENCE_PER_LOG} records per log`, async () => {
    const kit = await openWitness([LOG.verifierKey]);
    const record = (i: number) => ({
      origin: originOf(),
      kind: "inconsistent",
      cosignedCheckpoint: honest.note(5),
      request: `note ${i}\n`,
    });
    // All but the last record written at once (one by one would only make the test slow).
    const insert = kit.database.db.prepare(
      "INSERT INTO witness_evidence (origin, kind, cosigned_checkpoint, request, received_at) VALUES (?, ?, ?, ?, ?)",
    );
    kit.database.db.transaction(() => {
      for (let i = 0; i < MAX_EVIDENCE_PER_LOG - 1; i++) {
        const r = record(i);
        insert.run(r.origin, r.kind, r.cosignedCheckpoint, r.request, "2026-11-23T12:00:00Z");
      }
    })();
    expect(kit.store.keepEvidence(record(0))).toBe(false); // a duplicate
    expect(kit.store.keepEvidence(record(MAX_EVIDENCE_PER_LOG - 1))).toBe(true);
    expect(kit.store.keepEvidence(record(MAX_EVIDENCE_PER_LOG))).toBe(false);
    expect(kit.store.evidence()).toHaveLength(MAX_EVIDENCE_PER_LOG);
    // Another log's evidence has its own budget.
    expect(kit.store.keepEvidence({ ...record(0), origin: "other.example" })).toBe(true);
    await kit.close();
  });
});

describe("state", () => {
  it("persists across a reopen of the database, and so does the evidence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "crosscheck-witness-unit-"));
    try {
      const path = join(dir, "witness.sqlite");
      const key = witnessKey();
      const first = await openWitness([LOG.verifierKey], key, path);
      expect(first.witness.addCheckpoint(await addBody(honest, 0, honest.note(7))).status).toBe(
        200,
      );
      expect(first.witness.addCheckpoint(await addBody(fork, 7, fork.note(7))).status).toBe(409);
      await first.close();

      const second = await openWitness([LOG.verifierKey], key, path);
      const answer = second.witness.addCheckpoint(await addBody(honest, 0, honest.note(9)));
      expect(answer).toMatchObject({ status: 409, body: "7\n" });
      expect(second.store.evidence().map((e) => e.kind)).toEqual(["same-size-different-root"]);
      expect(second.witness.addCheckpoint(await addBody(honest, 7, honest.note(9))).status).toBe(
        200,
      );
      await second.close();
      const third = await openWitness([LOG.verifierKey], key, path);
      expect(third.store.current(originOf())?.size).toBe(9);
      await third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("over HTTP", () => {
  it("answers POST /add-checkpoint with the statuses and the 409 content type", async () => {
    const kit = await witnessAt(4);
    const app = await createWitnessServer({ witness: kit.witness });
    try {
      const post = (payload: string, headers: Record<string, string> = {}) =>
        app.inject({ method: "POST", url: "/add-checkpoint", payload, headers });
      const ok = await post(await addBody(honest, 4, honest.note(6)), {
        "content-type": "text/plain",
      });
      expect(ok.statusCode).toBe(200);
      checkCosignature(honest.note(6), ok.body, kit.key.verifierKey);
      const behind = await post(await addBody(honest, 0, honest.note(8)));
      expect(behind.statusCode).toBe(409);
      expect(behind.headers["content-type"]).toMatch(/^text\/x\.tlog\.size/);
      expect(behind.body).toBe("6\n");
      // No content type at all is still read as the body.
      const bare = await app.inject({
        method: "POST",
        url: "/add-checkpoint",
        payload: Buffer.from(await addBody(honest, 6, honest.note(8))),
      });
      expect(bare.statusCode).toBe(200);
      expect((await post("old x\n\n")).statusCode).toBe(400);
      expect((await post(await addBody(fork, 8, fork.note(10)))).statusCode).toBe(422);
    } finally {
      await app.close();
      await kit.close();
    }
  });
});
