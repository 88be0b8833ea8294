import { describe, expect, it } from "vitest";
import { goodRebuild, RELEASED_SHA256 as RELEASED } from "../../test/support/rebuild-statements.js";
import {
  ed25519EnvelopeSigner,
  envelopeLogEntry,
  type RebuildPredicate,
  signRebuild,
} from "../attest/index.js";
import { ed25519Key, policyFixture } from "../policy/fixtures.js";
import { openPolicy, signPolicy } from "../policy/index.js";
import { EntryChecker } from "./checks.js";
import { emptyMonitorState } from "./state.js";

const GOOD: RebuildPredicate = goodRebuild();
const BAD: RebuildPredicate = {
  ...GOOD,
  status: "BAD",
  artifacts: [{ name: "agent", sha256: RELEASED, rebuiltSha256: "b".repeat(64) }],
  differences: [{ artifact: "agent", member: "", kind: "content", detail: "byte 4242 differs" }],
  reason: "agent differs from the file built from the commit.",
};

describe("the monitor on rebuild statements", () => {
  const fixture = policyFixture();
  const policy = openPolicy(
    signPolicy(fixture.document, [
      fixture.roots[0]?.signerKey as string,
      fixture.roots[1]?.signerKey as string,
    ]),
    { now: new Date("2026-11-23T12:00:00Z") },
  );
  const check = (predicate: RebuildPredicate, signerKey: string) =>
    new EntryChecker(policy, emptyMonitorState("example.com/log")).check(
      0,
      envelopeLogEntry(signRebuild(predicate, ed25519EnvelopeSigner(signerKey))),
    );

  it("is quiet about a policy rebuilder's GOOD, and raises its BAD as critical", () => {
    expect(check(GOOD, fixture.rebuilder.signerKey)).toEqual([]);
    const [bad] = check(BAD, fixture.rebuilder.signerKey);
    expect(bad).toMatchObject({ code: "M_REBUILD_BAD", severity: "critical" });
    expect(bad?.message).toContain("Rebuild Co");
  });

  it("flags a rebuild signed by anyone the policy does not name", () => {
    const stranger = ed25519Key("stranger.example");
    expect(check(BAD, stranger.signerKey).map((a) => a.code)).toEqual([
      "M_REBUILD_UNTRUSTED_SIGNER",
    ]);
  });
});
