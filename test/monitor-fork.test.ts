/**
 * Split views: two logs with the same key and different entries (a log showing one client a
 * forked tree). The monitor, having seen one, catches the other with evidence anyone can check,
 * and `compareCheckpoints` does the same for checkpoints endpoints gossip.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fromBase64, toBase64, utf8Encode } from "../src/crypto/index.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { compareCheckpoints, Monitor } from "../src/monitor/index.js";
import {
  parseSplitViewEvidence,
  type SplitViewEvidence,
  verifySplitViewEvidence,
} from "../src/witness/index.js";
import { type MonitorWorld, monitorWorld, type ServedLog } from "./support/monitor-world.js";

const entry = (text: string) => utf8Encode(text);

function rejects(evidence: SplitViewEvidence, vkey: string): void {
  expect(() =>
    verifySplitViewEvidence(parseSplitViewEvidence(JSON.stringify(evidence)), vkey),
  ).toThrow(expect.objectContaining({ code: "E_EVIDENCE_INVALID" }));
}

describe("split views", () => {
  let mw: MonitorWorld;
  let main: ServedLog;
  let fork: ServedLog;
  let vkey: string;

  beforeEach(async () => {
    mw = await monitorWorld();
    main = mw.served;
    fork = await mw.fork();
    vkey = mw.w.keys.log.verifierKey;
    for (const log of [main, fork]) await log.add(entry("shared 0"));
  });
  afterEach(async () => {
    await mw.close();
  });

  const monitorOf = (log: ServedLog, state = undefined as Monitor["state"] | undefined) =>
    new Monitor({ client: log.client, policy: mw.w.policy, state });

  it("stays quiet while the log grows consistently", async () => {
    const monitor = monitorOf(main);
    await main.add(entry("a"));
    expect((await monitor.poll()).evidence).toBeUndefined();
    for (let i = 0; i < 600; i++) await main.add(entry(`more ${i}`));
    const result = await monitor.poll();
    expect(result.evidence).toBeUndefined();
    expect(result.alerts.every((a) => a.code === "M_ENTRY_MALFORMED")).toBe(true);
    expect(result.verifiedSize).toBe(602);
  });

  it("catches two roots for one size, with evidence that verifies and cannot be tampered with", async () => {
    await main.add(entry("main 1"));
    await fork.add(entry("fork 1"));
    const seen = monitorOf(main);
    await seen.poll();
    const other = monitorOf(fork, seen.state);
    const result = await other.poll();
    expect(result.alerts).toMatchObject([{ code: "M_SPLIT_VIEW", severity: "critical" }]);
    const evidence = result.evidence as SplitViewEvidence;
    expect(evidence.consistency).toBeUndefined();
    expect(verifySplitViewEvidence(parseSplitViewEvidence(JSON.stringify(evidence)), vkey)).toBe(
      `${mw.w.log.origin} signed two different roots for size 2.`,
    );
    // The monitor keeps what it had proved: the fork moves it nowhere.
    expect(other.checkpoint).toBe(seen.checkpoint);
    rejects({ ...evidence, second: evidence.first }, vkey);
    rejects(
      { ...evidence, second: evidence.second.replace(/\n\n— .*/s, "\n\n— x+00000000 AAAA\n") },
      vkey,
    );
  });

  it("catches a larger tree that does not extend the one it saw", async () => {
    await main.add(entry("main 1"));
    for (let i = 0; i < 300; i++) await fork.add(entry(`fork ${i}`));
    const seen = monitorOf(main);
    await seen.poll();
    const result = await monitorOf(fork, seen.state).poll();
    expect(result.alerts).toMatchObject([{ code: "M_SPLIT_VIEW", severity: "critical" }]);
    const evidence = result.evidence as SplitViewEvidence;
    expect(evidence.consistency?.proof.length).toBeGreaterThan(0);
    expect(verifySplitViewEvidence(evidence, vkey)).toBe(
      `${mw.w.log.origin} signed a tree of size 301 that does not extend the tree of size 2 it also signed.`,
    );
    const consistency = evidence.consistency as NonNullable<SplitViewEvidence["consistency"]>;
    const flipped = fromBase64(consistency.proof[0] as string);
    flipped[0] = (flipped[0] as number) ^ 1;
    rejects(
      {
        ...evidence,
        consistency: { ...consistency, proof: [toBase64(flipped), ...consistency.proof.slice(1)] },
      },
      vkey,
    );
    // Claiming the first tree's own root as the prefix makes the proof fail.
    const first = evidence.first;
    const firstRoot = first.split("\n")[2] as string;
    rejects({ ...evidence, consistency: { ...consistency, firstRootInSecond: firstRoot } }, vkey);
    rejects({ ...evidence, first: evidence.second, second: evidence.first }, vkey);
    expect(() => verifySplitViewEvidence(evidence, mw.w.keys.vendor.verifierKey)).toThrow();
  });

  it("reports a log that shrinks", async () => {
    await main.add(entry("main 1"));
    await main.add(entry("main 2"));
    const seen = monitorOf(main);
    await seen.poll();
    const result = await monitorOf(fork, seen.state).poll();
    expect(result.alerts).toMatchObject([{ code: "M_LOG_SHRANK", severity: "critical" }]);
    expect(result.evidence).toBeUndefined();
  });

  describe("compareCheckpoints", () => {
    it("proves checkpoints of one log consistent, in either order", async () => {
      const a = main.log.checkpoint();
      for (let i = 0; i < 20; i++) await main.add(entry(`x ${i}`));
      const b = main.log.checkpoint();
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        const result = await compareCheckpoints(x, y, { verifierKey: vkey, client: main.client });
        expect(result.status).toBe("consistent");
        expect(result.message).toContain("extends its tree of size 1");
      }
      expect((await compareCheckpoints(b, b, { verifierKey: vkey })).status).toBe("consistent");
      await expect(compareCheckpoints(a, b, { verifierKey: vkey })).rejects.toSatisfy((e) =>
        isCrosscheckError(e, "E_COMPARE_NEEDS_LOG"),
      );
    });

    it("writes evidence for a fork, both ways, and says when it cannot prove anything", async () => {
      await main.add(entry("main 1"));
      const a = main.log.checkpoint();
      await fork.add(entry("fork 1"));
      const same = fork.log.checkpoint();
      await fork.add(entry("fork 2"));
      const b = fork.log.checkpoint();

      const sameSize = await compareCheckpoints(a, same, { verifierKey: vkey });
      expect(sameSize.status).toBe("split-view");

      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        const result = await compareCheckpoints(x, y, { verifierKey: vkey, client: fork.client });
        expect(result.status).toBe("split-view");
        if (result.status !== "split-view") return;
        expect(result.sizes).toEqual(x === a ? [2, 3] : [3, 2]);
        expect(result.evidence.first).toBe(a);
        expect(verifySplitViewEvidence(result.evidence, vkey)).toContain("does not extend");
      }

      // The main log cannot prove anything about the fork's size-3 tree.
      await main.add(entry("main 2"));
      const unproven = await compareCheckpoints(a, b, { verifierKey: vkey, client: main.client });
      expect(unproven.status).toBe("unproven");
      expect(unproven.message).toMatch(
        /^Not conclusive: the log's tiles do not produce a consistency proof that verifies into its checkpoint of size 3/,
      );
      // A log too small to hold the larger tree says so too.
      for (let i = 0; i < 10; i++) await fork.add(entry(`fork more ${i}`));
      const big = fork.log.checkpoint();
      const tooSmall = await compareCheckpoints(same, big, {
        verifierKey: vkey,
        client: main.client,
      });
      expect(tooSmall.status).toBe("unproven");
      expect(tooSmall.message).toContain("could not serve the tiles of its tree of size 13");
    });

    it("refuses a checkpoint the key does not verify, naming which", async () => {
      const a = main.log.checkpoint();
      await expect(
        compareCheckpoints(a, a.replace(/\n\n.*/s, "\n\n— other 0000\n"), { verifierKey: vkey }),
      ).rejects.toThrow(/Checkpoint B/);
    });
  });
});
