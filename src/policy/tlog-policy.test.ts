import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../errors/index.js";
import { ed25519Key, renamedKey, witnessKey } from "./fixtures.js";
import {
  formatTlogPolicy,
  MAX_TLOG_POLICY_SIZE,
  parseTlogPolicy,
  quorumSatisfied,
} from "./tlog-policy.js";

const log = ed25519Key("example.com/log").verifierKey;
const w = Object.fromEntries(
  ["X1", "X2", "X3", "Y1", "Y2", "Y3"].map((name) => [
    name,
    witnessKey(`${name.toLowerCase()}.example`).verifierKey,
  ]),
) as Record<string, string>;

/** The example of the spec: two organisations' witnesses, nested groups. */
const SPEC_EXAMPLE = `# example policy
log ${log}

witness X1 ${w.X1}
witness X2 ${w.X2}
witness X3 ${w.X3}
group X-witnesses 2 X1 X2 X3

witness Y1 ${w.Y1}
witness Y2 ${w.Y2}
witness Y3 ${w.Y3}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`;

function refusal(text: string): string {
  try {
    parseTlogPolicy(text);
  } catch (err) {
    if (isCrosscheckError(err, "E_TLOG_POLICY")) return err.message;
    throw err;
  }
  throw new Error("the policy was accepted");
}

describe("parseTlogPolicy", () => {
  it("parses the specification's example", () => {
    const policy = parseTlogPolicy(SPEC_EXAMPLE);
    expect(policy.logs).toEqual([{ key: log }]);
    expect(policy.witnesses.map((x) => x.name)).toEqual(["X1", "X2", "X3", "Y1", "Y2", "Y3"]);
    expect(policy.groups).toEqual([
      { name: "X-witnesses", threshold: 2, members: ["X1", "X2", "X3"] },
      { name: "Y-witnesses", threshold: "any", members: ["Y1", "Y2", "Y3"] },
      { name: "X-and-Y", threshold: "all", members: ["X-witnesses", "Y-witnesses"] },
    ]);
    expect(policy.quorum).toBe("X-and-Y");
  });

  it("accepts URLs, tabs, indented comments, surrounding white space and a missing final newline", () => {
    const policy = parseTlogPolicy(
      `  # indented comment\n\t log\t${log}  https://log.example/ \nwitness A ${w.X1} https://a.example/\n\nquorum A`,
    );
    expect(policy.logs).toEqual([{ key: log, url: "https://log.example/" }]);
    expect(policy.witnesses).toEqual([{ name: "A", key: w.X1, url: "https://a.example/" }]);
    expect(policy.quorum).toBe("A");
  });

  it("accepts quorum none without witnesses", () => {
    expect(parseTlogPolicy(`log ${log}\nquorum none\n`).quorum).toBe("none");
  });

  it("formats back to text that parses to the same policy", () => {
    const policy = parseTlogPolicy(SPEC_EXAMPLE);
    const text = formatTlogPolicy(policy);
    expect(parseTlogPolicy(text)).toEqual(policy);
    expect(text.endsWith("quorum X-and-Y\n")).toBe(true);
  });

  const refusals: [string, string, RegExp][] = [
    [
      "an unknown keyword",
      `log ${log}\nwitnesses A ${w.X1}\nquorum none`,
      /line 2: unknown keyword "witnesses"/,
    ],
    ["a log line without a key", "log\nquorum none", /line 1: expected `log <vkey> \[<url>\]`/],
    [
      "a log line with extra items",
      `log ${log} https://a/ extra\nquorum none`,
      /line 1: expected `log/,
    ],
    [
      "a log key that does not parse",
      "log example.com/log+00000000+AQ==\nquorum none",
      /line 1: the log key is invalid/,
    ],
    [
      "a witness key as the log key",
      `log ${w.X1}\nquorum none`,
      /line 1: the log key .* must be an Ed25519/,
    ],
    [
      "a duplicate log under another name",
      `log ${log}\nlog ${renamedKey(log, "other")}\nquorum none`,
      /line 2: duplicates the log on line 1/,
    ],
    [
      "a witness line without a key",
      "witness A\nquorum none",
      /line 1: expected `witness <name> <vkey> \[<url>\]`/,
    ],
    [
      "an Ed25519 key as a witness key",
      `witness A ${log}\nquorum A`,
      /line 1: the witness key .* must be a cosignature\/v1/,
    ],
    [
      "a witness name used twice",
      `witness A ${w.X1}\nwitness A ${w.X2}\nquorum A`,
      /line 2: the name "A" is already a witness/,
    ],
    [
      "a duplicate witness key",
      `witness A ${w.X1}\nwitness B ${renamedKey(w.X1 as string, "b")}\nquorum A`,
      /line 2: duplicates the witness on line 1/,
    ],
    ["a witness named none", `witness none ${w.X1}\nquorum none`, /line 1: `none` is predefined/],
    [
      "a group without members",
      `witness A ${w.X1}\ngroup G any\nquorum G`,
      /line 2: expected `group/,
    ],
    [
      "a group member not yet defined",
      `group G any A\nwitness A ${w.X1}\nquorum G`,
      /line 1: member "A" is not a witness or group defined on an earlier line/,
    ],
    [
      "a group member listed twice",
      `witness A ${w.X1}\ngroup G any A A\nquorum G`,
      /line 2: member "A" is listed twice/,
    ],
    [
      "none as a group member",
      `witness A ${w.X1}\ngroup G any A none\nquorum G`,
      /line 2: `none` cannot be a group member/,
    ],
    [
      "a threshold of zero",
      `witness A ${w.X1}\ngroup G 0 A\nquorum G`,
      /line 2: the group threshold "0" is not all, any or a number/,
    ],
    [
      "a threshold above the member count",
      `witness A ${w.X1}\ngroup G 2 A\nquorum G`,
      /line 2: the group threshold 2 exceeds its 1 member/,
    ],
    [
      "a threshold with a leading zero",
      `witness A ${w.X1}\ngroup G 01 A\nquorum G`,
      /line 2: the group threshold "01"/,
    ],
    [
      "a group named like a witness",
      `witness A ${w.X1}\ngroup A any A\nquorum A`,
      /line 2: the name "A" is already a witness/,
    ],
    ["no quorum line", `log ${log}\n`, /no quorum line/],
    [
      "two quorum lines",
      `witness A ${w.X1}\nquorum A\nquorum none`,
      /line 3: a second quorum line \(the first is line 2\)/,
    ],
    [
      "a quorum naming nothing defined",
      `log ${log}\nquorum B`,
      /line 2: the quorum "B" is not a witness or group/,
    ],
    [
      "a quorum line with two names",
      `witness A ${w.X1}\nquorum A A`,
      /line 2: expected `quorum <name>\|none`/,
    ],
    ["a carriage return", `log ${log}\r\nquorum none\r\n`, /line 1: contains a control character/],
  ];
  it.each(refusals)("refuses %s", (_, text, message) => {
    expect(refusal(text)).toMatch(message);
  });

  it("refuses oversized text before reading it", () => {
    expect(refusal(`# ${"x".repeat(MAX_TLOG_POLICY_SIZE)}\nquorum none`)).toMatch(/larger than/);
  });
});

describe("quorumSatisfied", () => {
  const policy = parseTlogPolicy(SPEC_EXAMPLE);
  const cases: [string[], boolean][] = [
    [[], false],
    [["X1", "X2"], false], // X-witnesses met, Y-witnesses not
    [["Y1", "Y2", "Y3"], false],
    [["X1", "Y1"], false], // only 1 of the 2 X-witnesses needed
    [["X1", "X3", "Y2"], true],
    [["X1", "X2", "X3", "Y1", "Y2", "Y3"], true],
    [["X1", "X2", "unknown"], false],
  ];
  it.each(cases)("cosigned by %j → %s", (names, expected) => {
    expect(quorumSatisfied(policy, new Set(names))).toBe(expected);
  });

  it("does not count a group's name as a cosigning witness", () => {
    expect(quorumSatisfied(policy, new Set(["X-witnesses", "Y-witnesses"]))).toBe(false);
  });

  it("is satisfied by a single named witness alone", () => {
    const single = parseTlogPolicy(`witness A ${w.X1}\nwitness B ${w.X2}\nquorum B`);
    expect(quorumSatisfied(single, new Set(["A"]))).toBe(false);
    expect(quorumSatisfied(single, new Set(["B"]))).toBe(true);
  });

  it("is always satisfied by quorum none", () => {
    expect(quorumSatisfied(parseTlogPolicy("quorum none"), new Set())).toBe(true);
  });

  it("evaluates deep nesting with shared groups quickly", () => {
    const lines = [`witness A ${w.X1}`, `witness B ${w.X2}`, "group G0 any A B"];
    for (let i = 1; i < 100; i++)
      lines.push(
        `group G${i} all G${i - 1} ${i === 1 ? "A" : `H${i - 1}`}`,
        `group H${i} any G${i - 1}`,
      );
    lines.push("quorum G99");
    const deep = parseTlogPolicy(lines.join("\n"));
    expect(quorumSatisfied(deep, new Set(["A"]))).toBe(true);
    expect(quorumSatisfied(deep, new Set(["B"]))).toBe(false);
  });
});
