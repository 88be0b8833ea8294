/**
 * A reader for the regular expressions in YARA rules, for looking *at* them, never for running
 * them (Decision 20: untrusted patterns never reach a backtracking engine). It parses YARA's regex
 * dialect into a small tree and derives two things from it:
 *
 * - `expandRegex`: a bounded set of sample texts the pattern spells (classes become one
 *   representative, wide classes and `.` become gaps, alternations fan out up to a limit), so a
 *   word hidden as `/T[O0]P.?S(E|3)CRET/` is seen as "TOPSECRET";
 * - `regexTokens`: the pattern flattened to a list of character classes with repeat counts, for
 *   shape checks (digit groups of a card number or an ID).
 *
 * Everything is bounded: nesting depth, expansion count and sample length.
 */

/** A set of bytes as 8 × 32 bits. */
export type ByteSet = Uint32Array;

export type RegexNode =
  | { k: "char"; set: ByteSet }
  | { k: "any" }
  | { k: "seq"; items: RegexNode[] }
  | { k: "alt"; alts: RegexNode[] }
  | { k: "rep"; node: RegexNode; min: number; max: number }
  | { k: "anchor" };

const MAX_DEPTH = 64;
const MAX_SAMPLES = 32;
const MAX_SAMPLE_LEN = 512;
const UNBOUNDED = Number.POSITIVE_INFINITY;

function newSet(): ByteSet {
  return new Uint32Array(8);
}
function add(set: ByteSet, b: number): void {
  set[b >>> 5] = (set[b >>> 5] as number) | (1 << (b & 31));
}
export function has(set: ByteSet, b: number): boolean {
  return ((set[b >>> 5] as number) & (1 << (b & 31))) !== 0;
}
function addRange(set: ByteSet, lo: number, hi: number): void {
  for (let b = lo; b <= hi; b++) add(set, b);
}
function union(into: ByteSet, from: ByteSet): void {
  for (let i = 0; i < 8; i++) into[i] = (into[i] as number) | (from[i] as number);
}
function invert(set: ByteSet): void {
  for (let i = 0; i < 8; i++) set[i] = ~(set[i] as number);
}
export function setSize(set: ByteSet): number {
  let n = 0;
  for (let i = 0; i < 8; i++) {
    let v = set[i] as number;
    while (v !== 0) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}
function single(b: number): ByteSet {
  const s = newSet();
  add(s, b);
  return s;
}

const DIGITS = newSet();
addRange(DIGITS, 0x30, 0x39);
const WORD = newSet();
addRange(WORD, 0x30, 0x39);
addRange(WORD, 0x41, 0x5a);
addRange(WORD, 0x61, 0x7a);
add(WORD, 0x5f);
const SPACE = newSet();
for (const b of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]) add(SPACE, b);

function classEscape(c: string): ByteSet | undefined {
  const s = newSet();
  switch (c) {
    case "d":
      union(s, DIGITS);
      return s;
    case "D":
      union(s, DIGITS);
      invert(s);
      return s;
    case "w":
      union(s, WORD);
      return s;
    case "W":
      union(s, WORD);
      invert(s);
      return s;
    case "s":
      union(s, SPACE);
      return s;
    case "S":
      union(s, SPACE);
      invert(s);
      return s;
    default:
      return undefined;
  }
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, a: 7, v: 11, "0": 0 };

class RegexReader {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const node = this.alternation(0);
    return node;
  }

  private alternation(depth: number): RegexNode {
    if (depth > MAX_DEPTH) throw new Error("regex nested too deeply");
    const alts: RegexNode[] = [this.sequence(depth)];
    while (this.src[this.i] === "|") {
      this.i++;
      alts.push(this.sequence(depth));
    }
    return alts.length === 1 ? (alts[0] as RegexNode) : { k: "alt", alts };
  }

  private sequence(depth: number): RegexNode {
    const items: RegexNode[] = [];
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (c === "|" || c === ")") break;
      let atom = this.atom(depth);
      atom = this.quantified(atom);
      items.push(atom);
    }
    return items.length === 1 ? (items[0] as RegexNode) : { k: "seq", items };
  }

  private quantified(atom: RegexNode): RegexNode {
    for (;;) {
      const c = this.src[this.i];
      let min: number;
      let max: number;
      if (c === "*") {
        min = 0;
        max = UNBOUNDED;
        this.i++;
      } else if (c === "+") {
        min = 1;
        max = UNBOUNDED;
        this.i++;
      } else if (c === "?") {
        min = 0;
        max = 1;
        this.i++;
      } else if (c === "{") {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(this.src.slice(this.i, this.i + 24));
        if (!m) return atom;
        this.i += m[0].length;
        min = m[1] ? Number(m[1]) : 0;
        max = m[2] ? (m[3] ? Number(m[3]) : UNBOUNDED) : min;
      } else {
        return atom;
      }
      if (this.src[this.i] === "?") this.i++; // non-greedy
      atom = { k: "rep", node: atom, min, max };
    }
  }

  private atom(depth: number): RegexNode {
    const c = this.src[this.i++] as string;
    switch (c) {
      case "(": {
        if (this.src.startsWith("?:", this.i)) this.i += 2;
        const inner = this.alternation(depth + 1);
        if (this.src[this.i] === ")") this.i++;
        return inner;
      }
      case "[":
        return { k: "char", set: this.charClass() };
      case ".":
        return { k: "any" };
      case "^":
      case "$":
        return { k: "anchor" };
      case "\\":
        return this.escape();
      default:
        return { k: "char", set: single(c.charCodeAt(0) & 0xff) };
    }
  }

  private escape(): RegexNode {
    const c = this.src[this.i++] ?? "\\";
    if (c === "b" || c === "B") return { k: "anchor" };
    const cls = classEscape(c);
    if (cls) return { k: "char", set: cls };
    return { k: "char", set: single(this.escapedByte(c)) };
  }

  private escapedByte(c: string): number {
    if (c === "x") {
      const hex = this.src.slice(this.i, this.i + 2);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        this.i += 2;
        return Number.parseInt(hex, 16);
      }
      return 0x78;
    }
    const simple = SIMPLE_ESCAPES[c];
    return simple ?? c.charCodeAt(0) & 0xff;
  }

  private charClass(): ByteSet {
    const set = newSet();
    let negate = false;
    if (this.src[this.i] === "^") {
      negate = true;
      this.i++;
    }
    let first = true;
    while (this.i < this.src.length) {
      const c = this.src[this.i] as string;
      if (c === "]" && !first) {
        this.i++;
        break;
      }
      first = false;
      this.i++;
      let lo: number;
      if (c === "\\") {
        const e = this.src[this.i++] ?? "\\";
        const cls = classEscape(e);
        if (cls) {
          union(set, cls);
          continue;
        }
        lo = this.escapedByte(e);
      } else {
        lo = c.charCodeAt(0) & 0xff;
      }
      if (
        this.src[this.i] === "-" &&
        this.src[this.i + 1] !== "]" &&
        this.i + 1 < this.src.length
      ) {
        this.i++;
        let hiC = this.src[this.i++] as string;
        let hi: number;
        if (hiC === "\\") {
          hiC = this.src[this.i++] ?? "\\";
          hi = this.escapedByte(hiC);
        } else {
          hi = hiC.charCodeAt(0) & 0xff;
        }
        if (hi >= lo) addRange(set, lo, hi);
      } else {
        add(set, lo);
      }
    }
    if (negate) invert(set);
    return set;
  }
}

/** Parses a YARA regex pattern (as written between the slashes); undefined when unreadable. */
export function parseRegex(pattern: string): RegexNode | undefined {
  try {
    return new RegexReader(pattern).parse();
  } catch {
    return undefined;
  }
}

/** The byte a class stands for in a sample, or -1 when the class is too wide to spell anything. */
function representative(set: ByteSet): number {
  const size = setSize(set);
  if (size === 0 || size > 8) return -1;
  // Prefer an upper-case letter ([Ss] → S, [O0] → O), then a lower-case one, then a digit.
  for (let b = 0x41; b <= 0x5a; b++) if (has(set, b)) return b;
  for (let b = 0x61; b <= 0x7a; b++) if (has(set, b)) return b;
  for (let b = 0x80; b <= 0xff; b++) if (has(set, b)) return b;
  for (let b = 0x30; b <= 0x39; b++) if (has(set, b)) return b;
  if (has(set, 0x20)) return 0x20;
  for (let b = 0x21; b < 0x80; b++) if (has(set, b)) return b;
  return -1;
}

/**
 * Sample texts (binary strings) the pattern spells, at most MAX_SAMPLES. Gaps (`.`, wide classes,
 * zero-or-more repeats) are dropped, so the samples are the fixed content in order.
 */
export function expandRegex(node: RegexNode): string[] {
  let out = expand(node);
  if (out.length > MAX_SAMPLES) out = out.slice(0, MAX_SAMPLES);
  return out;
}

function expand(node: RegexNode): string[] {
  switch (node.k) {
    case "char": {
      const b = representative(node.set);
      return [b < 0 ? "" : String.fromCharCode(b)];
    }
    case "any":
    case "anchor":
      return [""];
    case "seq": {
      let acc = [""];
      for (const item of node.items) {
        const parts = expand(item);
        const next: string[] = [];
        for (const a of acc) {
          for (const p of parts) {
            if (next.length >= MAX_SAMPLES) break;
            next.push((a + p).slice(0, MAX_SAMPLE_LEN));
          }
        }
        acc = next;
      }
      return acc;
    }
    case "alt": {
      const out: string[] = [];
      for (const a of node.alts) {
        for (const s of expand(a)) {
          if (out.length >= MAX_SAMPLES) return out;
          out.push(s);
        }
      }
      return out;
    }
    case "rep": {
      if (node.min === 0) {
        // Optional: spell it once (a disguise `S.?E` should still read SE) and not at all.
        if (node.max === 1) return [...expand(node.node), ""].slice(0, MAX_SAMPLES);
        return [""];
      }
      const inner = expand(node.node);
      const times = Math.min(node.min, 64);
      return inner.map((s) => s.repeat(times).slice(0, MAX_SAMPLE_LEN));
    }
  }
}

/** One position of a flattened pattern: a class with a repeat count. */
export interface RegexToken {
  set: ByteSet | undefined; // undefined: any byte
  min: number;
  max: number;
}

/**
 * The pattern flattened for shape checks: groups are inlined (small fixed repeats unrolled),
 * alternations keep their first branch. At most 256 tokens.
 */
export function regexTokens(node: RegexNode): RegexToken[] {
  const out: RegexToken[] = [];
  flatten(node, 1, 1, out);
  return out;
}

function flatten(node: RegexNode, min: number, max: number, out: RegexToken[]): void {
  if (out.length > 256) return;
  switch (node.k) {
    case "char":
      out.push({ set: node.set, min, max });
      return;
    case "any":
      out.push({ set: undefined, min, max });
      return;
    case "anchor":
      return;
    case "seq":
      if (min === 1 && max === 1) {
        for (const item of node.items) flatten(item, 1, 1, out);
      } else if (max <= 8) {
        for (let n = 0; n < max; n++) {
          for (const item of node.items) {
            const optional = n >= min;
            flattenRep(item, optional, out);
          }
        }
      } else {
        out.push({ set: undefined, min: 0, max: UNBOUNDED });
      }
      return;
    case "alt":
      if (node.alts[0]) flatten(node.alts[0], min, max, out);
      return;
    case "rep":
      if (node.node.k === "char" || node.node.k === "any") {
        flatten(node.node, node.min * min, node.max * max, out);
      } else {
        flatten(node.node, node.min * min, node.max * max, out);
      }
      return;
  }
}

function flattenRep(item: RegexNode, optional: boolean, out: RegexToken[]): void {
  const start = out.length;
  flatten(item, 1, 1, out);
  if (optional) for (let i = start; i < out.length; i++) (out[i] as RegexToken).min = 0;
}

export { DIGITS, SPACE, UNBOUNDED };
