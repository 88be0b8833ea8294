import { describe, expect, it } from "vitest";
import { alert, formatAlert } from "./alerts.js";
import { artifactsKey } from "./checks.js";
import {
  emptyMonitorState,
  MAX_RELEASES,
  parseMonitorState,
  serializeMonitorState,
} from "./state.js";

describe("monitor state", () => {
  it("round-trips through its JSON form", () => {
    const state = emptyMonitorState("log.example");
    state.channels.sigdb = { version: "1.2", envelopeSha256: "a".repeat(64), index: 3 };
    state.releases["b".repeat(64)] = { verdicts: [] };
    expect(parseMonitorState(serializeMonitorState(state))).toEqual(state);
  });

  it("refuses a state that is not one, saying how to recover", () => {
    expect(() => parseMonitorState("{")).toThrow(/start over without it/);
    expect(() =>
      parseMonitorState(JSON.stringify({ ...emptyMonitorState("x"), next: -1 })),
    ).toThrow(expect.objectContaining({ code: "E_MONITOR_STATE" }));
    const big = emptyMonitorState("x");
    for (let i = 0; i <= MAX_RELEASES; i++) {
      big.releases[i.toString(16).padStart(64, "0")] = { verdicts: [] };
    }
    expect(() => parseMonitorState(JSON.stringify(big))).toThrow(/more than/);
  });
});

describe("alerts", () => {
  it("read as one line naming severity, code, entry and envelope", () => {
    const a = alert("M_HEAD_UNREVIEWED", "Published unreviewed.", {
      index: 7,
      envelopeSha256: "c".repeat(64),
    });
    expect(a.severity).toBe("critical");
    expect(formatAlert(a)).toBe(
      `CRITICAL M_HEAD_UNREVIEWED #7 sha256:${"c".repeat(12)}: Published unreviewed.`,
    );
    expect(formatAlert(alert("M_ENTRY_DIGEST_ONLY", "x"))).toBe("INFO     M_ENTRY_DIGEST_ONLY: x");
  });

  it("compare artifact lists by content, not order", () => {
    const a = { name: "a", sha256: "1".repeat(64) };
    const b = { name: "b", sha256: "2".repeat(64) };
    expect(artifactsKey([a, b])).toBe(artifactsKey([b, a]));
    expect(artifactsKey([a])).not.toBe(artifactsKey([{ ...a, sha256: "3".repeat(64) }]));
  });
});
