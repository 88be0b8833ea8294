/**
 * The monitor's checks against a real log served over HTTP: every alert kind, from the entries a
 * vendor, reviewers or an attacker with add access could log.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ed25519EnvelopeSigner,
  IN_TOTO_PAYLOAD_TYPE,
  makeStatement,
  RELEASE_PREDICATE_TYPE,
  signEnvelope,
  signStatement,
} from "../src/attest/index.js";
import { generateNoteKey, utf8Encode } from "../src/crypto/index.js";
import { LogClient, TransparencyLog } from "../src/log/index.js";
import { decodeEntryBundle, encodeEntryBundle } from "../src/merkle/index.js";
import {
  type Alert,
  Monitor,
  parseMonitorState,
  serializeMonitorState,
} from "../src/monitor/index.js";
import { openSqlite } from "../src/store/index.js";
import { type MonitorWorld, monitorWorld, serve } from "./support/monitor-world.js";
import { ARTIFACT_SHA256 } from "./support/release-world.js";

const codes = (alerts: Alert[]) => alerts.map((a) => a.code);
/** Without the informational note that a release does not name its predecessor. */
const notPrevious = (alerts: Alert[]) => alerts.filter((a) => a.code !== "M_PREVIOUS_MISMATCH");

describe("monitor checks", () => {
  let mw: MonitorWorld;
  beforeEach(async () => {
    mw = await monitorWorld();
  });
  afterEach(async () => {
    await mw.close();
  });

  it("raises nothing for a release published with its reviews, and catches up", async () => {
    const { w, served } = mw;
    const parts = w.parts();
    await served.add(parts.release);
    for (const r of parts.reviews) await served.add(r);
    await served.add(parts.head);
    const monitor = mw.monitor();
    const result = await monitor.poll();
    expect(result.alerts).toEqual([]);
    expect(result).toMatchObject({ verifiedSize: 4, next: 4, caughtUp: true, entriesChecked: 4 });
    expect(monitor.state.channels.sigdb?.version).toBe("2026.11.23.1");
    const again = await monitor.poll();
    expect(again).toMatchObject({ alerts: [], entriesChecked: 0, caughtUp: true });
  });

  it("flags releases signed by keys the policy does not trust for the channel, or revoked", async () => {
    const { w, served } = mw;
    const byOther = w.release({}, w.keys.otherVendor); // a rules vendor signing sigdb
    const byRevoked = w.release({ version: "2026.11.23.2" }, w.keys.revoked);
    const stranger = generateNoteKey("stranger.example/releases");
    const byStranger = w.release({ version: "2026.11.23.3" }, stranger);
    const productRelease = w.release({
      channel: "product",
      source: { repository: "https://example.com/p.git", commit: "a".repeat(40) },
      build: { recipe: "make" },
    });
    for (const e of [byOther, byRevoked, byStranger, productRelease]) await served.add(e);
    const { alerts } = await mw.monitor().poll();
    expect(alerts).toMatchObject([
      { code: "M_RELEASE_UNTRUSTED_SIGNER", severity: "warning", index: 0 },
      { code: "M_RELEASE_REVOKED_SIGNER", severity: "critical", index: 1 },
      { code: "M_RELEASE_UNTRUSTED_SIGNER", severity: "warning", index: 2 },
      { code: "M_CHANNEL_UNTRUSTED", severity: "warning", index: 3 },
    ]);
    expect(alerts[0]?.message).toContain("other-vendor.example/releases");
    expect(alerts[2]?.message).toContain("no key the policy knows");
  });

  it("flags audiences other than everyone: a region, an undeclared region, a customer", async () => {
    const { w, served } = mw;
    await served.add(w.release({ audience: { region: "eu" } }));
    await served.add(w.release({ version: "2026.11.23.2", audience: { region: "mars" } }));
    // signRelease refuses a customer audience; an attacker with the key signs the statement anyway.
    const targeted = signStatement(
      makeStatement(
        [{ name: "main.cvd", digest: { sha256: ARTIFACT_SHA256 } }],
        RELEASE_PREDICATE_TYPE,
        {
          channel: "sigdb",
          version: "2026.11.23.3",
          artifacts: [{ name: "main.cvd", size: 1, sha256: ARTIFACT_SHA256 }],
          previous: null,
          audience: { customer: "acme-corp" },
          published: "2026-11-23T10:00:00Z",
        },
      ),
      ed25519EnvelopeSigner(w.keys.vendor.signerKey),
    );
    await served.add(targeted);
    const { alerts } = await mw.monitor().poll();
    const audience = alerts.filter((a) => a.code.startsWith("M_AUDIENCE"));
    expect(audience).toMatchObject([
      { code: "M_AUDIENCE_REGION", severity: "warning", index: 0 },
      { code: "M_AUDIENCE_UNKNOWN_REGION", severity: "critical", index: 1 },
      { code: "M_AUDIENCE_TARGETED", severity: "critical", index: 2 },
    ]);
    expect(audience[2]?.message).toContain("vendor.example/releases");
  });

  it("flags versions that go back or repeat within a channel", async () => {
    const { w, served } = mw;
    const first = w.release({ version: "2026.11.23.2" });
    await served.add(first);
    await served.add(w.release({ version: "2026.11.23.1" }));
    await served.add(w.release({ version: "2026.11.23.2", published: "2026-11-23T11:00:00Z" }));
    await served.add(w.release({ version: "2026.11.23.10", previous: null }));
    // Untrusted releases never move the channel's version.
    await served.add(w.release({ version: "2099.1" }, w.keys.otherVendor));
    await served.add(
      w.release({ version: "2026.11.23.11", previous: { envelopeSha256: "0".repeat(64) } }),
    );
    const monitor = mw.monitor();
    const { alerts } = await monitor.poll();
    expect(codes(alerts)).toEqual([
      "M_VERSION_ROLLBACK",
      "M_VERSION_REPEATED",
      "M_PREVIOUS_MISMATCH",
      "M_RELEASE_UNTRUSTED_SIGNER",
      "M_PREVIOUS_MISMATCH",
    ]);
    expect(alerts[0]).toMatchObject({ severity: "critical", index: 1 });
    expect(alerts[0]?.message).toContain("2026.11.23.2");
    expect(monitor.state.channels.sigdb?.version).toBe("2026.11.23.11");
  });

  it("flags reviews by unknown or revoked keys, other organisations, and rejections", async () => {
    const { w, served } = mw;
    const release = w.release();
    await served.add(release);
    const mallory = generateNoteKey("mallory.example/reviewer");
    await served.add(w.review(release, mallory, "Mallory Inc"));
    await served.add(w.review(release, w.keys.revoked, "Delta Audit"));
    await served.add(w.review(release, w.keys.beta, "Alpha Labs")); // counts for Beta Review
    await served.add(
      w.review(release, w.keys.gamma, "Gamma Security", {
        verdict: "reject",
        comment: "uploads documents",
      }),
    );
    const { alerts } = await mw.monitor().poll();
    expect(alerts).toMatchObject([
      { code: "M_REVIEW_UNKNOWN_KEY", severity: "warning", index: 1 },
      { code: "M_REVIEW_REVOKED_KEY", severity: "critical", index: 2 },
      { code: "M_REVIEW_ORGANIZATION", severity: "info", index: 3 },
      { code: "M_RELEASE_REJECTED", severity: "warning", index: 4 },
    ]);
    expect(alerts[3]?.message).toMatch(
      /^release sigdb 2026\.11\.23\.1 \([0-9a-f]{12}\) rejected by Gamma Security: uploads documents$/,
    );
  });

  it("flags heads that publish a release without k organisations' approvals, or rejected", async () => {
    const { w, served } = mw;
    // Head logged before the reviews: published unreviewed, even though approvals follow.
    const early = w.release();
    await served.add(early);
    await served.add(w.head(early));
    await served.add(w.review(early, w.keys.alpha, "Alpha Labs"));
    await served.add(w.review(early, w.keys.beta, "Beta Review"));
    // Two reviewers of one organisation are one approval.
    const sameOrg = w.release({ version: "2026.11.23.2" });
    await served.add(sameOrg);
    await served.add(w.review(sameOrg, w.keys.alpha, "Alpha Labs"));
    await served.add(w.review(sameOrg, w.keys.alpha2, "Alpha Labs"));
    await served.add(w.head(sameOrg));
    // k approvals and one rejection: vetoed.
    const vetoed = w.release({ version: "2026.11.23.3" });
    await served.add(vetoed);
    for (const [k, org] of [
      [w.keys.alpha, "Alpha Labs"],
      [w.keys.beta, "Beta Review"],
    ] as const) {
      await served.add(w.review(vetoed, k, org));
    }
    await served.add(w.review(vetoed, w.keys.gamma, "Gamma Security", { verdict: "reject" }));
    await served.add(w.head(vetoed));
    const alerts = notPrevious((await mw.monitor().poll()).alerts);
    expect(alerts).toMatchObject([
      { code: "M_HEAD_UNREVIEWED", severity: "critical", index: 1 },
      { code: "M_HEAD_UNREVIEWED", severity: "critical", index: 7 },
      { code: "M_RELEASE_REJECTED", severity: "warning", index: 11 },
      { code: "M_HEAD_REJECTED", severity: "critical", index: 12 },
    ]);
    expect(alerts[0]?.message).toContain("approved by 0 of the 2");
    expect(alerts[1]?.message).toContain(
      "approved by 1 of the 2 reviewer organisations required (Alpha Labs)",
    );
    expect(alerts[3]?.message).toContain("rejected by Gamma Security");
  });

  it("flags heads naming unlogged, untrusted or different releases, and untrusted heads", async () => {
    const { w, served } = mw;
    const unlogged = w.release({ version: "2026.11.23.5" });
    await served.add(w.head(unlogged));
    const untrusted = w.release({ version: "2026.11.23.6" }, w.keys.otherVendor);
    await served.add(untrusted);
    await served.add(w.head(untrusted, {}, w.keys.vendor));
    const good = w.parts({ version: "2026.11.23.7" });
    await served.add(good.release);
    for (const r of good.reviews) await served.add(r);
    await served.add(w.head(good.release, { version: "2026.11.23.8" }));
    await served.add(w.head(good.release, {}, w.keys.otherVendor));
    // A review of other artifacts than the release's does not count.
    const other = w.release({ version: "2026.11.23.9" });
    await served.add(other);
    await served.add(
      w.review(other, w.keys.alpha, "Alpha Labs", {
        artifacts: [{ name: "main.cvd", sha256: "1".repeat(64) }],
      }),
    );
    const alerts = notPrevious((await mw.monitor().poll()).alerts);
    expect(codes(alerts)).toEqual([
      "M_HEAD_UNKNOWN_RELEASE",
      "M_RELEASE_UNTRUSTED_SIGNER",
      "M_HEAD_UNTRUSTED_RELEASE",
      "M_HEAD_UNREVIEWED",
      "M_HEAD_MISMATCH",
      "M_HEAD_UNTRUSTED_SIGNER",
      "M_REVIEW_MISMATCH",
    ]);
    expect(alerts[0]).toMatchObject({ severity: "critical", index: 0 });
  });

  it("says what it cannot check: digest entries, other payloads, malformed entries", async () => {
    const { w, served } = mw;
    await served.add(utf8Encode(`{"dsseSha256":"${"ab".repeat(32)}","size":70000}`));
    await served.add(
      signEnvelope("text/plain", utf8Encode("hello"), [
        ed25519EnvelopeSigner(w.keys.vendor.signerKey),
      ]),
    );
    await served.add(
      signStatement(
        makeStatement(
          [{ name: "x", digest: { sha256: "0".repeat(64) } }],
          "https://example.com/other/v1",
          {},
        ),
        ed25519EnvelopeSigner(w.keys.vendor.signerKey),
      ),
    );
    await served.add(utf8Encode("not an envelope"));
    await served.add(
      signEnvelope(IN_TOTO_PAYLOAD_TYPE, utf8Encode("{}"), [
        ed25519EnvelopeSigner(w.keys.vendor.signerKey),
      ]),
    );
    const { alerts } = await mw.monitor().poll();
    expect(alerts).toMatchObject([
      { code: "M_ENTRY_DIGEST_ONLY", severity: "info", index: 0, envelopeSha256: "ab".repeat(32) },
      { code: "M_UNKNOWN_PAYLOAD", severity: "info", index: 1 },
      { code: "M_UNKNOWN_PAYLOAD", severity: "info", index: 2 },
      { code: "M_ENTRY_MALFORMED", severity: "warning", index: 3 },
      { code: "M_UNKNOWN_PAYLOAD", severity: "info", index: 4 },
    ]);
  });

  it("bounds each poll, and continues after a restart from its saved state", async () => {
    const { w, served } = mw;
    const parts = w.parts();
    await served.add(parts.release);
    for (const r of parts.reviews) await served.add(r);
    for (let i = 0; i < 300; i++) await served.add(utf8Encode(`filler ${i}`));
    await served.add(parts.head);
    let monitor = mw.monitor({ maxEntriesPerPoll: 100 });
    const first = await monitor.poll();
    expect(first).toMatchObject({
      entriesChecked: 100,
      next: 100,
      caughtUp: false,
      verifiedSize: 304,
    });
    const saved = serializeMonitorState(monitor.state);
    monitor = mw.monitor({ state: parseMonitorState(saved), maxEntriesPerPoll: 100 });
    const alerts: Alert[] = [...first.alerts];
    for (let i = 0; i < 3; i++) alerts.push(...(await monitor.poll()).alerts);
    expect(monitor.state.next).toBe(304);
    // The head (entry 303) is judged by the reviews read three polls earlier: no alert.
    expect(alerts.filter((a) => a.code !== "M_ENTRY_MALFORMED")).toEqual([]);
    expect(alerts).toHaveLength(300);
    // The log grows; the restarted monitor proves consistency from what it saved.
    await served.add(w.release({ version: "2026.11.23.1", published: "2026-11-23T11:00:00Z" }));
    const after = await monitor.poll();
    expect(codes(after.alerts)).toEqual(["M_VERSION_REPEATED"]);
    expect(after).toMatchObject({ verifiedSize: 305, next: 305, caughtUp: true });
  });

  it("refuses a checkpoint not signed by the policy's log key", async () => {
    const other = generateNoteKey("log.crosscheck.example");
    const database = openSqlite(":memory:");
    const log = await TransparencyLog.open({ database, signer: other.signerKey });
    const impostor = await serve(log);
    try {
      await impostor.add(utf8Encode("x"));
      const monitor = new Monitor({ client: impostor.client, policy: mw.w.policy });
      const { alerts } = await monitor.poll();
      expect(alerts).toMatchObject([{ code: "M_CHECKPOINT_INVALID", severity: "critical" }]);
      expect(monitor.checkpoint).toBeNull();
    } finally {
      await impostor.close();
      await log.close();
      await database.close();
    }
  });

  it("refuses entry bundles that are not the leaves the checkpoint commits to", async () => {
    const { w, served } = mw;
    const parts = w.parts();
    await served.add(parts.release);
    await served.add(w.head(parts.release));
    // A log (or a cache in between) that swaps an entry in its bundles.
    const tampering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes("/tile/entries/")) return response;
      const entries = decodeEntryBundle(new Uint8Array(await response.arrayBuffer()));
      entries[1] = utf8Encode("something else");
      return new Response(encodeEntryBundle(entries).slice(), { status: 200 });
    };
    const monitor = new Monitor({
      client: new LogClient(served.url, { fetch: tampering }),
      policy: w.policy,
    });
    const { alerts } = await monitor.poll();
    expect(alerts).toMatchObject([{ code: "M_ENTRIES_MISMATCH", severity: "critical" }]);
    expect(monitor.state.next).toBe(0);
  });
});
