import { describe, expect, it } from "vitest";
import { errorCode } from "../../test/support/error-code.js";
import { formatTlogProof, parseTlogProof } from "./tlog-proof.js";

const NOTE =
  "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n" +
  "— example.com/fancylog hI2DJw1roloI=\n— witness1.example mJirIkljqY9v2B/5bg==\n";
const HASHES = [
  "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=",
  "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=",
];
const SPEC_EXAMPLE = `c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
${HASHES.join("\n")}

${NOTE}`;

describe("tlog-proof", () => {
  it("reads the spec's example shape and writes it back byte for byte", () => {
    const parsed = parseTlogProof(SPEC_EXAMPLE);
    expect(parsed.index).toBe(73894);
    expect(parsed.proof).toHaveLength(2);
    expect(parsed.checkpoint).toBe(NOTE);
    expect(new TextDecoder().decode(parsed.extra)).toMatch(/^age-v1\.2\.1-darwin-arm64\.tar\.gz/);
    expect(formatTlogProof(parsed)).toBe(SPEC_EXAMPLE);
  });

  it("omits the extra line when there is none, and allows an empty proof", () => {
    const text = formatTlogProof({ index: 0, proof: [], checkpoint: NOTE });
    expect(text).toBe(`c2sp.org/tlog-proof@v1\nindex 0\n\n${NOTE}`);
    const parsed = parseTlogProof(text);
    expect(parsed).toEqual({ index: 0, proof: [], checkpoint: NOTE });
    expect("extra" in parsed).toBe(false);
  });

  it("refuses malformed proofs", () => {
    const good = `c2sp.org/tlog-proof@v1\nindex 5\n${HASHES[0]}\n\n${NOTE}`;
    expect(parseTlogProof(good).index).toBe(5);
    for (const bad of [
      good.replace("@v1", "@v2"),
      good.replace("index 5", "index 05"),
      good.replace("index 5", "index -5"),
      good.replace("index 5", "idx 5"),
      good.replace("index 5\n", ""),
      good.replace(HASHES[0] as string, "AAAA"),
      good.replace(HASHES[0] as string, "not base64!"),
      good.replace("index 5", "extra !!\nindex 5"),
      good.replace("index 5", "index 5\nextra AAAA"),
      `c2sp.org/tlog-proof@v1\nindex 5\n${HASHES[0]}\n${NOTE}`,
      good.replace("\n\n—", "\n—"),
      good.replace("109482", "0109482"),
      good.slice(0, -1),
      `${good.split("\n\n")[0]}\n\n`,
    ]) {
      expect(
        errorCode(() => parseTlogProof(bad)),
        JSON.stringify(bad),
      ).toBe("E_TLOG_PROOF_MALFORMED");
    }
    expect(
      errorCode(() => formatTlogProof({ index: 1, proof: [new Uint8Array(31)], checkpoint: NOTE })),
    ).toBe("E_TLOG_PROOF_MALFORMED");
  });
});
