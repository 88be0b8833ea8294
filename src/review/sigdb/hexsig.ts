/**
 * ClamAV's hex signature language (body signatures, logical subsignatures, file type magic), read
 * as libclamav's loader reads it (readdb.c cli_add_content_match_pattern, matcher-ac.c
 * cli_ac_addsig), in our own single pass:
 *
 *   `4d5a`      bytes          `??` any byte     `4?` `?d` one nibble
 *   `*`         any gap        `{n}` n bytes     `{n-m}` `{n-}` `{-n}` a bounded or open jump
 *   `(aa|bb)`   alternatives (of any lengths, nested)   `!(aa|bb)` none of them (fixed length)
 *   `aa[n-m]`   a single byte anchored n to m bytes before (or after) the rest, m ≤ 32
 *   `(B)` `(L)` `(W)`  word boundary, line start/end, non-alphanumeric, at either end
 *
 * Refused as ClamAV refuses them: odd or foreign digits, empty or unbalanced groups, jumps inside
 * alternatives, a negated alternative of mixed lengths, a part (between `*` and range jumps)
 * without two pinned bytes in a row, and a plain pattern (the Boyer-Moore matcher's) shorter than
 * three bytes. Every construct is linear in the input: no backtracking.
 */
import { stripNul } from "../keywords/index.js";
import type { HexPattern } from "./model.js";

export class HexSyntaxError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Samples kept when alternatives fan out: enough to spell a word, bounded. */
const MAX_VIEWS = 16;
/** ClamAV's largest anchor distance (AC_CH_MAXDIST). */
const MAX_ANCHOR = 32;
/** Nesting ClamAV allows inside alternatives (ACPATT_ALTN_MAXNEST). */
const MAX_NEST = 15;

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i;
  HEX[65 + i] = 10 + i;
}

const SCRATCH = new Uint16Array(1 << 15);

/** A pattern of only hex digits: decoded directly, the common case by far. */
function plainHex(s: string): string | undefined {
  const n = s.length;
  if (n === 0 || n % 2 !== 0 || n / 2 > SCRATCH.length) return undefined;
  for (let i = 0, k = 0; i < n; i += 2, k++) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const hi = a < 128 ? (HEX[a] as number) : -1;
    const lo = b < 128 ? (HEX[b] as number) : -1;
    if (hi < 0 || lo < 0) return undefined;
    SCRATCH[k] = (hi << 4) | lo;
  }
  return String.fromCharCode.apply(null, SCRATCH.subarray(0, n / 2) as unknown as number[]);
}

function withStripped(views: string[]): string[] {
  const out = views.filter((v) => v.length > 0);
  for (const v of views) if (v.indexOf("\0") >= 0) out.push(stripNul(v));
  return out;
}

/**
 * Parses a hex signature. `bm`: whether ClamAV would hand a plain pattern to its Boyer-Moore
 * matcher (body signatures outside PE/ELF/Mach-O-relative offsets), which needs 3 bytes.
 */
export function parseHexSignature(source: string, bm = false): HexPattern {
  const bin = plainHex(source);
  if (bin !== undefined) {
    if (bin.length < (bm ? 3 : 2)) {
      throw new HexSyntaxError(
        "E_SIGDB_HEX_SHORT",
        `the pattern ${source} is ${bin.length} byte${bin.length === 1 ? "" : "s"} long; ClamAV refuses patterns shorter than ${bm ? 3 : 2} bytes`,
      );
    }
    return {
      source,
      fixedBytes: bin.length,
      longestRun: bin.length,
      minLength: bin.length,
      unboundedGap: false,
      negated: false,
      views: withStripped([bin]),
    };
  }
  return new Parser(source).parse();
}

interface Seq {
  /** Samples of the pinned bytes so far (gaps dropped), not counting `pending`. */
  acc: string[];
  /** Pinned bytes read since the last flush, to append to every sample. */
  pending: number[];
  fixed: number;
  run: number;
  longest: number;
  min: number;
  /** Any wildcard, nibble or group: not a plain fixed string. */
  variable: boolean;
}

class Parser {
  private i = 0;
  private unbounded = false;
  private negated = false;
  /** Longest pinned run of the current part (parts split at `*` and range jumps). */
  private partRun = 0;
  private partBytes = 0;
  private parts: { run: number; bytes: number }[] = [];

  constructor(private readonly s: string) {}

  private fail(code: string, what: string): never {
    throw new HexSyntaxError(code, `${what} at character ${this.i + 1} of ${this.s.slice(0, 80)}`);
  }

  parse(): HexPattern {
    const seq: Seq = {
      acc: [""],
      pending: [],
      fixed: 0,
      run: 0,
      longest: 0,
      min: 0,
      variable: false,
    };
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === "*") {
        this.i++;
        this.unbounded = true;
        this.endPart(seq);
      } else if (c === "{") {
        this.jump(seq);
      } else if (c === "[") {
        this.anchor(seq, this.i === 2);
      } else if (c === "(" || (c === "!" && s[this.i + 1] === "(")) {
        this.group(seq, 0);
      } else {
        this.pair(seq);
      }
    }
    this.endPart(seq);
    for (const p of this.parts) {
      if (p.bytes < 2 || p.run < 2) {
        this.fail(
          "E_SIGDB_HEX_SHORT",
          "a part of the pattern has no two pinned bytes in a row; ClamAV refuses it",
        );
      }
    }
    return {
      source: s,
      fixedBytes: seq.fixed,
      longestRun: seq.longest,
      minLength: seq.min,
      unboundedGap: this.unbounded,
      negated: this.negated,
      views: withStripped(flush(seq)),
    };
  }

  private endPart(seq: Seq): void {
    this.parts.push({ run: this.partRun, bytes: this.partBytes });
    this.partRun = 0;
    this.partBytes = 0;
    seq.run = 0;
  }

  private pushByte(seq: Seq, value: number | undefined): void {
    seq.min++;
    this.partBytes++;
    if (value === undefined) {
      seq.run = 0;
      seq.variable = true;
      return;
    }
    seq.fixed++;
    seq.run++;
    if (seq.run > seq.longest) seq.longest = seq.run;
    if (seq.run > this.partRun) this.partRun = seq.run;
    seq.pending.push(value);
  }

  /** `xx`, `??`, `x?`, `?x`. */
  private pair(seq: Seq): void {
    const s = this.s;
    const a = s[this.i];
    const b = s[this.i + 1];
    if (b === undefined) this.fail("E_SIGDB_HEX", "an odd number of hex digits");
    const ha = a === "?" ? -2 : (HEX[(a as string).charCodeAt(0)] ?? -1);
    const hb = b === "?" ? -2 : (HEX[b.charCodeAt(0)] ?? -1);
    if (ha === -1 || hb === -1) {
      this.fail("E_SIGDB_HEX", `"${a}${b}" is not a hex byte, a wildcard or a nibble`);
    }
    this.i += 2;
    this.pushByte(seq, ha >= 0 && hb >= 0 ? (ha << 4) | hb : undefined);
  }

  /** `{n}` (n < 128: n wildcards, as ClamAV expands it), or a jump that starts a new part. */
  private jump(seq: Seq): void {
    const s = this.s;
    const close = s.indexOf("}", this.i);
    if (close < 0) this.fail("E_SIGDB_HEX", "a `{` without its `}`");
    const body = s.slice(this.i + 1, close);
    const m = /^(\d*)(-?)(\d*)$/.exec(body);
    if (!m || (m[1] === "" && m[3] === "") || (m[2] === "" && m[3] !== "")) {
      this.fail("E_SIGDB_HEX", `"{${body}}" is not a jump ({n}, {n-m}, {n-} or {-n})`);
    }
    this.i = close + 1;
    const lo = m[1] === "" ? 0 : Number(m[1]);
    if (m[2] === "") {
      if (lo > 0 && lo < 128) {
        for (let k = 0; k < lo; k++) this.pushByte(seq, undefined);
        return;
      }
      seq.min += lo;
      this.endPart(seq);
      return;
    }
    // ClamAV takes {n-m} with m < n as written (it never matches wider than n); so do we.
    if (m[3] === "") this.unbounded = true;
    seq.min += lo;
    seq.variable = true;
    this.endPart(seq);
  }

  /** `[n-m]` between a single byte and the rest of the pattern. */
  private anchor(seq: Seq, atStart: boolean): void {
    const s = this.s;
    const close = s.indexOf("]", this.i);
    if (close < 0) this.fail("E_SIGDB_HEX", "a `[` without its `]`");
    const body = s.slice(this.i + 1, close);
    const m = /^(\d+)(?:-(\d+))?$/.exec(body);
    if (!m) this.fail("E_SIGDB_HEX", `"[${body}]" is not an anchor range ([n] or [n-m])`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > hi || hi > MAX_ANCHOR) {
      this.fail("E_SIGDB_HEX", `the anchor [${body}] must satisfy n ≤ m ≤ ${MAX_ANCHOR}`);
    }
    const atEnd = /^[0-9a-fA-F?]{2}$/.test(s.slice(close + 1));
    if (!atStart && !atEnd) {
      this.fail(
        "E_SIGDB_HEX",
        "an anchor [n-m] must separate a single byte at either end from the rest of the pattern",
      );
    }
    this.i = close + 1;
    seq.min += lo;
    // The anchored byte stands apart: it neither extends nor joins a run.
    seq.run = 0;
    seq.variable = true;
    if (atStart) {
      // The single leading byte stands apart: the rest must hold two pinned bytes on its own.
      this.partRun = 0;
      this.partBytes = 0;
    }
  }

  /** `(…)` or `!(…)`: boundary markers or alternatives. */
  private group(seq: Seq, depth: number): void {
    const s = this.s;
    const neg = s[this.i] === "!";
    if (neg) this.i++;
    const open = this.i;
    let nest = 0;
    let close = -1;
    for (let k = open; k < s.length; k++) {
      const c = s[k];
      if (c === "(") nest++;
      else if (c === ")" && --nest === 0) {
        close = k;
        break;
      }
      if (nest > MAX_NEST + 1) this.fail("E_SIGDB_HEX", "alternatives nested too deeply");
    }
    if (close < 0) this.fail("E_SIGDB_HEX", "a `(` without its `)`");
    const body = s.slice(open + 1, close);
    if (body === "") this.fail("E_SIGDB_HEX", "an empty group ()");
    this.i = close + 1;
    if (body === "B" || body === "L" || body === "W") {
      seq.variable = true;
      return;
    }
    if (depth === 0 && neg) this.negated = true;
    const alts = splitTop(body);
    const subs: Seq[] = [];
    for (const alt of alts) {
      if (alt === "") this.fail("E_SIGDB_HEX", "an empty alternative");
      if (/[*{}[\]]/.test(alt)) {
        this.fail(
          "E_SIGDB_HEX",
          "alternatives may hold bytes, wildcards and groups, not jumps or anchors",
        );
      }
      subs.push(this.alternative(alt, depth + 1));
    }
    const lengths = new Set(subs.map((x) => x.min));
    if (neg && (lengths.size > 1 || subs.some((x) => x.variable))) {
      this.fail(
        "E_SIGDB_HEX",
        "a negated alternative !(…) must list fixed strings of one length; ClamAV refuses generic ones",
      );
    }
    seq.variable = true;
    seq.min += Math.min(...subs.map((x) => x.min));
    this.partBytes += Math.min(...subs.map((x) => x.min));
    seq.run = 0;
    if (neg) return; // what must NOT be there spells nothing
    const next: string[] = [];
    const heads = flush(seq);
    for (const sub of subs) {
      for (const tail of flush(sub)) {
        for (const a of heads) if (next.length < MAX_VIEWS) next.push(a + tail);
      }
    }
    seq.acc = next.length > 0 ? next : seq.acc;
  }

  private alternative(text: string, depth: number): Seq {
    const inner = new Parser(text);
    inner.parts = [];
    const seq: Seq = {
      acc: [""],
      pending: [],
      fixed: 0,
      run: 0,
      longest: 0,
      min: 0,
      variable: false,
    };
    while (inner.i < text.length) {
      const c = text[inner.i];
      if (c === "(" || (c === "!" && text[inner.i + 1] === "(")) {
        if (c === "!") inner.fail("E_SIGDB_HEX", "a negation inside alternatives");
        inner.group(seq, depth);
      } else inner.pair(seq);
    }
    return seq;
  }
}

/** Appends the pending bytes to every sample; returns the samples. */
function flush(seq: Seq): string[] {
  if (seq.pending.length > 0) {
    let tail = "";
    for (let i = 0; i < seq.pending.length; i += 4096) {
      tail += String.fromCharCode.apply(null, seq.pending.slice(i, i + 4096));
    }
    for (let k = 0; k < seq.acc.length; k++) seq.acc[k] += tail;
    seq.pending = [];
  }
  return seq.acc;
}

/** Splits on `|` outside nested parentheses. */
function splitTop(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let k = 0; k < body.length; k++) {
    const c = body[k];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      out.push(body.slice(from, k));
      from = k + 1;
    }
  }
  out.push(body.slice(from));
  return out;
}
