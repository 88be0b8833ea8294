/**
 * The signature database reader on its own: what the hex language spells and pins, how logical
 * expressions group, bounded and path-safe unpacking (Decision 20, 21), cdiff scripts that do not
 * fit, regexes from signatures only read, and ClamAV's signature encoding.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import { applyCdiff } from "./cdiff.js";
import { openDatabase } from "./database.js";
import { CLAMAV_KEYS, decodeSignatureNumber, verifyMd5Signature } from "./dsig.js";
import { parseHexSignature } from "./hexsig.js";
import { holdsWhenAbsent, logicText, parseLogic } from "./logic.js";
import type { LogicalSignature } from "./model.js";

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** A tar holding the given members (regular files unless a type is given), ustar headers. */
function tar(members: { name: string; bytes: Buffer; type?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const h = Buffer.alloc(512);
    h.write(m.name, 0, "latin1");
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(`${m.bytes.length.toString(8).padStart(11, "0")}\0`, 124);
    h.write("00000000000\0", 136);
    h.write(m.type ?? "0", 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    h.fill(" ", 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, m.bytes, Buffer.alloc((512 - (m.bytes.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** An unsigned container around a tar.gz body. */
function cud(body: Buffer): Buffer {
  const md5 = createHash("md5").update(body).digest("hex");
  const header = Buffer.alloc(512, " ");
  header.write(`ClamAV-VDB:01 Jan 2026 00-00 +0000:1:1:216:${md5}:X:test:1767225600`, 0, "latin1");
  return Buffer.concat([header, body]);
}

describe("the hex signature language", () => {
  it("spells the pinned bytes, gaps dropped, alternatives fanned out, negations left out", () => {
    const p = parseHexSignature("544f50??2053(45|65)435245!(41|42)54");
    expect(p.views).toEqual(["TOP SECRET", "TOP SeCRET"]);
    expect(p.fixedBytes).toBe(9);
    expect(p.negated).toBe(true);
    expect(p.minLength).toBe(12);
  });
  it("sees UTF-16 written by hand, and counts jumps and wildcards", () => {
    const p = parseHexSignature("4e004f00{2-8}46004f005200*4e00");
    expect(p.views).toContain("NOFORN");
    expect(p.unboundedGap).toBe(true);
    expect(p.longestRun).toBe(6);
    expect(parseHexSignature("4d5a{5}9000").minLength).toBe(9);
  });
  it("refuses what ClamAV refuses, with a stable code", () => {
    for (const [hex, code] of [
      ["4d5a9", "E_SIGDB_HEX"],
      ["4d5g90", "E_SIGDB_HEX"],
      ["4d??5a", "E_SIGDB_HEX_SHORT"],
      ["4d5a{2-3}90", "E_SIGDB_HEX_SHORT"],
      ["4d5a!(90|9192)", "E_SIGDB_HEX"],
      ["4d5a()90", "E_SIGDB_HEX"],
      ["4d5a(9{1}0|91)", "E_SIGDB_HEX"],
    ] as const) {
      expect((thrown(() => parseHexSignature(hex)) as { code?: string })?.code, hex).toBe(code);
    }
    expect((thrown(() => parseHexSignature("4d5a", true)) as { code?: string })?.code).toBe(
      "E_SIGDB_HEX_SHORT",
    );
  });
  it("reads a pattern of a million digits in linear time", () => {
    const big = `${"41".repeat(200_000)}(42|43)${"??44".repeat(100_000)}*${"45".repeat(100_000)}`;
    const t0 = performance.now();
    const p = parseHexSignature(big);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(p.fixedBytes).toBe(400_000);
  });
});

describe("logical expressions", () => {
  it("split at the first operator, as ClamAV does", () => {
    const e = parseLogic("0&1|2");
    expect(e.k).toBe("and");
    expect(logicText(e)).toBe("0&1|2");
    const block = parseLogic("(0|1)>2,1&2=0");
    expect(block.k).toBe("and");
    if (block.k !== "id") {
      expect(block.left.mod).toEqual({ op: ">", count: 2, distinct: 1 });
      expect(block.right.k === "id" && holdsWhenAbsent(block.right.mod)).toBe(true);
    }
  });
  it("refuses malformed expressions", () => {
    for (const bad of ["", "0&", "(0|1", "0|1)", "0&x", "(0|1)?3"]) {
      expect((thrown(() => parseLogic(bad)) as { code?: string })?.code, bad).toBe("E_SIGDB_LOGIC");
    }
  });
  it("never runs a signature's regex: a catastrophic one is only read", () => {
    const evil = `(a+)+(b|ab?)*(c+)+${"x".repeat(20_000)}`;
    const line = `Js.Evil-1;Engine:81-255,Target:0;0&1;${Buffer.from("eval(").toString("hex")};0/${evil}/i`;
    const t0 = performance.now();
    const db = openDatabase("daily.ldb", Buffer.from(`${line}\n`));
    expect(performance.now() - t0).toBeLessThan(2000);
    const s = db.signatures[0] as LogicalSignature;
    expect(s.subsignatures[1]).toMatchObject({ kind: "pcre", trigger: "0", flags: "i" });
  });
});

describe("containers and archives, bounded and path-safe", () => {
  it("reads an unsigned container", () => {
    const db = openDatabase(
      "daily.cud",
      cud(gzipSync(tar([{ name: "daily.ndb", bytes: Buffer.from("A:0:*:4d5a9000\n") }]))),
    );
    expect(db.source).toBe("cud");
    expect(db.verification).toMatchObject({ md5: "match", signature: "absent" });
    expect(db.signatures.map((s) => s.name)).toEqual(["A"]);
  });
  it("refuses members whose names leave the folder, and folders and links", () => {
    for (const name of ["../evil.ndb", "sub/evil.ndb", "/etc/evil.ndb", "..", "C:evil.ndb"]) {
      const err = thrown(() =>
        openDatabase(
          "daily.cud",
          cud(gzipSync(tar([{ name, bytes: Buffer.from("A:0:*:4d5a9000\n") }]))),
        ),
      );
      expect(isCrosscheckError(err, "E_SIGDB_PATH"), name).toBe(true);
    }
    for (const type of ["5", "2", "x"]) {
      const err = thrown(() =>
        openDatabase(
          "daily.cud",
          cud(gzipSync(tar([{ name: "x.ndb", bytes: Buffer.alloc(0), type }]))),
        ),
      );
      expect(isCrosscheckError(err, "E_SIGDB_FORMAT"), type).toBe(true);
    }
  });
  it("refuses a compression bomb and oversized input", () => {
    const bomb = gzipSync(tar([{ name: "daily.ndb", bytes: Buffer.alloc(8 << 20, 0x41) }]));
    const err = thrown(() =>
      openDatabase("daily.cud", cud(bomb), { limits: { ratioFloor: 1 << 20 } }),
    );
    expect(isCrosscheckError(err, "E_SIGDB_LIMIT")).toBe(true);
    expect((err as Error).message).toContain("compression bomb");
    const big = thrown(() =>
      openDatabase("daily.ndb", Buffer.alloc(4096, 0x41), { limits: { maxInputBytes: 1024 } }),
    );
    expect(isCrosscheckError(big, "E_SIGDB_LIMIT")).toBe(true);
  });
  it("stops an overlong line with an issue and reads on", () => {
    const db = openDatabase(
      "daily.ndb",
      Buffer.from(`A:0:*:${"41".repeat(600)}\nB:0:*:4d5a9000\n`),
      {
        limits: { maxLineLength: 100 },
      },
    );
    expect(db.issues.map((i) => `${i.line} ${i.code}`)).toEqual(["1 E_SIGDB_LINE_LENGTH"]);
    expect(db.signatures.map((s) => s.name)).toEqual(["B"]);
  });
});

describe("cdiff scripts", () => {
  const files = new Map([["daily.ndb", "A:0:*:4d5a9000\nB:0:*:4d5a9001\n"]]);
  it("apply DEL, XCHG and ADD to the lines as they were when opened", () => {
    const out = applyCdiff(
      "x.cdiff",
      {
        script: [
          "OPEN daily.ndb",
          "DEL 1 A:0",
          "XCHG 2 B:0 B:0:*:4d5a9002",
          "ADD C:0:*:4d5a9003",
          "CLOSE",
        ],
      },
      files,
    );
    expect(out.get("daily.ndb")).toBe("B:0:*:4d5a9002\nC:0:*:4d5a9003\n");
  });
  it("refuse a line that does not match, an escaping name, an unknown command", () => {
    for (const script of [
      ["OPEN daily.ndb", "DEL 1 B:0", "CLOSE"],
      ["OPEN ../daily.ndb", "ADD x", "CLOSE"],
      ["OPEN daily.ndb", "RUN rm", "CLOSE"],
      ["OPEN daily.ndb", "ADD x"],
      ["OPEN daily.ndb", "DEL 9 A", "CLOSE"],
    ]) {
      expect(
        isCrosscheckError(
          thrown(() => applyCdiff("x.cdiff", { script }, files)),
          "E_SIGDB_CDIFF",
        ),
        script.join("; "),
      ).toBe(true);
    }
  });
});

describe("ClamAV's signature encoding", () => {
  it("reads its own base-64 alphabet, least significant digit first, and nothing else", () => {
    expect(decodeSignatureNumber("b")).toBe(1n);
    expect(decodeSignatureNumber("ab")).toBe(64n);
    expect(decodeSignatureNumber("A")).toBe(26n);
    expect(decodeSignatureNumber("a=b")).toBeUndefined();
    expect(decodeSignatureNumber("a".repeat(500))).toBeUndefined();
  });
  it("does not verify a signature over another MD5", () => {
    const sig =
      "ttQeKzTSL5iF5/IWsA8weveL64WDVkhgfbm/ABaW3xAWalVKcAp65Q/cWmhkhKFfHSLIXNfCzTLbhfTeISKpfWAheL7NZk+t6nQ8NEFBBst6CQcoFTwwyVLwwTSN38VYLW/vZFYphnkBcCotyo++NYU5VQ9JUA6dFQXxaU00b6c";
    expect(verifyMd5Signature("a4ab60ae1c1c4e8f787459102dcfd90b", sig, CLAMAV_KEYS.cvd)).toBe(true);
    expect(verifyMd5Signature("a4ab60ae1c1c4e8f787459102dcfd90c", sig, CLAMAV_KEYS.cvd)).toBe(
      false,
    );
  });
});
