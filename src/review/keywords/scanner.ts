/**
 * The keyword scanner: every term of `terms.ts` compiled once into one scanner over ASCII-folded
 * binary strings, with each non-ASCII term spelled in UTF-8, UTF-16LE/BE and the legacy code
 * pages of its script, and separators free (`TOP_SECRET`, `TOP\0SECRET`, `TOPSECRET`). A
 * bigram/trigram prefilter skips the (many) strings that hold no term's opening bytes without
 * allocating. Beside it, the XOR view: single-byte XOR written out by hand is seen through byte
 * differences, which a XOR key does not change.
 *
 * The expressions are ours and fixed, never taken from the content under review; they run on
 * bounded views (a rule's string, a signature's bytes).
 */
import { foldAscii } from "./binary.js";
import { CJK_LEGACY, TERMS, type Term } from "./terms.js";

export type { Term } from "./terms.js";

const SEP = "[\\x00\\s_.\\-/:]{0,4}";

function escapeBinary(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out +=
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
        ? s[i]
        : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return out;
}

function utf8Bin(text: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(text)) out += String.fromCharCode(b);
  return out;
}

function utf16Bin(text: string, be: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += be ? String.fromCharCode(c >> 8, c & 0xff) : String.fromCharCode(c & 0xff, c >> 8);
  }
  return out;
}

/** Reverse tables of single-byte code pages (char → byte), where the runtime knows them. */
const CODE_PAGES: Map<string, number>[] = ["windows-1251", "koi8-r", "windows-1250", "windows-1252"]
  .map((label) => {
    const table = new Map<string, number>();
    try {
      const d = new TextDecoder(label);
      for (let b = 0x80; b < 0x100; b++) table.set(d.decode(new Uint8Array([b])), b);
    } catch {
      // runtime without this code page
    }
    return table;
  })
  .filter((t) => t.size > 0);

function codePageBin(text: string, table: Map<string, number>): string | undefined {
  let out = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code < 0x80) out += ch;
    else {
      const b = table.get(ch);
      if (b === undefined) return undefined;
      out += String.fromCharCode(b);
    }
  }
  return out;
}

function isAscii(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range.
  return /^[\x00-\x7f]*$/.test(s);
}

function stripAccents(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
}

/** The term's spellings: each a list of per-character alternatives, words split on separators. */
function spellings(term: Term): { words: string[][][] }[] {
  const words = term.text.split(/[\s-]+/);
  const forms = new Set<string>([term.text]);
  if (!term.cs) {
    forms.add(term.text.toLowerCase());
    forms.add(term.text.charAt(0) + term.text.slice(1).toLowerCase());
  }
  // SECRET DEFENSE written without its accents.
  for (const f of [...forms]) {
    const plain = stripAccents(f);
    if ([...plain].length === [...f].length) forms.add(plain);
  }
  const out: { words: string[][][] }[] = [];
  const encoders: ((s: string) => string | undefined)[] = isAscii(term.text)
    ? [(s) => s]
    : [
        utf8Bin,
        (s) => utf16Bin(s, false),
        (s) => utf16Bin(s, true),
        ...CODE_PAGES.map((t) => (s: string) => codePageBin(s, t)),
      ];
  for (const encode of encoders) {
    // Per word, per character: the alternatives over all case forms.
    const perWord: string[][][] = words.map((w, wi) =>
      [...w].map((_, ci) => {
        const alts = new Set<string>();
        for (const form of forms) {
          const fw = form.split(/[\s-]+/)[wi];
          const ch = fw ? [...fw][ci] : undefined;
          if (ch === undefined) continue;
          const enc = encode(ch);
          if (enc !== undefined) alts.add(foldAscii(enc));
        }
        return [...alts];
      }),
    );
    if (perWord.every((w) => w.every((c) => c.length > 0))) out.push({ words: perWord });
  }
  return out;
}

/** Bigram/trigram prefilter: most strings contain no term's opening bytes at all. */
interface Prefilter {
  /** Per first two bytes: 1 = enough, 2 = check the third in `three`. */
  two: Uint8Array;
  three: Set<number>;
}

function addPrefix(p: Prefilter, prefix: string): void {
  const k = (prefix.charCodeAt(0) << 8) | prefix.charCodeAt(1);
  if (prefix.length === 2) p.two[k] = (p.two[k] as number) | 1;
  else {
    p.two[k] = (p.two[k] as number) | 2;
    p.three.add((k << 8) | prefix.charCodeAt(2));
  }
}

/** ASCII upper-casing of one byte. */
const FOLD = new Uint8Array(256).map((_, b) => (b >= 0x61 && b <= 0x7a ? b - 32 : b));

/** Whether `s` (not yet folded) has any term's opening bytes; allocation-free. */
function mayContain(p: Prefilter, s: string): boolean {
  const n = s.length;
  if (n < 2) return false;
  let a = FOLD[s.charCodeAt(0) & 0xff] as number;
  let b = FOLD[s.charCodeAt(1) & 0xff] as number;
  for (let i = 0; i + 1 < n; i++) {
    const v = p.two[(a << 8) | b] as number;
    const c = i + 2 < n ? (FOLD[s.charCodeAt(i + 2) & 0xff] as number) : -1;
    if (v !== 0) {
      if (v & 1) return true;
      if (c >= 0 && p.three.has((a << 16) | (b << 8) | c)) return true;
    }
    a = b;
    b = c;
  }
  return false;
}

/** The opening 2–3 bytes of every spelling of the first word. */
function openings(firstWord: string[][]): string[] {
  let acc = [""];
  for (const alts of firstWord) {
    if (acc.every((a) => a.length >= 3)) break;
    const next: string[] = [];
    for (const a of acc) for (const alt of alts) next.push(a.length >= 3 ? a : a + alt);
    acc = [...new Set(next)];
  }
  return acc.map((a) => a.slice(0, 3)).filter((a) => a.length >= 2);
}

function termSource(term: Term, pre: Prefilter): string {
  const parts: string[] = [];
  for (const sp of spellings(term)) {
    for (const o of openings(sp.words[0] ?? [])) addPrefix(pre, o);
    const words = sp.words.map((w) =>
      w
        .map((alts) =>
          alts.length === 1
            ? escapeBinary(alts[0] as string)
            : `(?:${alts.map(escapeBinary).join("|")})`,
        )
        .join(""),
    );
    parts.push(words.join(SEP));
  }
  for (const hex of CJK_LEGACY[term.text] ?? []) {
    let bin = "";
    for (let i = 0; i < hex.length; i += 2)
      bin += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16));
    addPrefix(pre, foldAscii(bin).slice(0, 3));
    parts.push(escapeBinary(foldAscii(bin)));
  }
  let src = parts.length === 1 ? (parts[0] as string) : `(?:${parts.join("|")})`;
  if (isAscii(term.text)) {
    if (/^[A-Z0-9]/.test(term.text)) src = `(?<![A-Z0-9])${src}`;
    if (/[A-Z0-9]$/.test(term.text)) src = `${src}(?![A-Z0-9])`;
  }
  return src;
}

interface Compiled {
  pre: Prefilter;
  scan: RegExp;
  each: { term: Term; re: RegExp }[];
  /** XOR-invariant byte differences of the longer ASCII terms. */
  xorScan: RegExp;
  xorTerms: Map<string, Term>;
  /** First two difference bytes of every XOR term. */
  xorTwo: Uint8Array;
}

let compiled: Compiled | undefined;

const XOR_SCRATCH = new Uint16Array(4096);

function xorDiff(s: string): string {
  let out = "";
  const n = s.length - 1;
  for (let i = 0; i < n; i += XOR_SCRATCH.length) {
    const m = Math.min(XOR_SCRATCH.length, n - i);
    for (let k = 0; k < m; k++) XOR_SCRATCH[k] = s.charCodeAt(i + k) ^ s.charCodeAt(i + k + 1);
    out += String.fromCharCode.apply(null, XOR_SCRATCH.subarray(0, m) as unknown as number[]);
  }
  return out;
}

function compile(): Compiled {
  // Longest first, so "SECRET DÉFENSE" wins over "SECRET" at the same position.
  const terms = [...TERMS].sort((a, b) => b.text.length - a.text.length);
  const pre: Prefilter = { two: new Uint8Array(65536), three: new Set() };
  const sources = terms.map((t) => termSource(t, pre));
  const each = terms.map((term, i) => ({ term, re: new RegExp(`^(?:${sources[i]})$`) }));
  const xorTerms = new Map<string, Term>();
  for (const term of TERMS) {
    if (!isAscii(term.text) || term.text.length < 6) continue;
    for (const form of [term.text, term.text.toLowerCase(), term.text.replaceAll(" ", "")]) {
      xorTerms.set(xorDiff(form), term);
    }
  }
  const xorTwo = new Uint8Array(65536);
  for (const d of xorTerms.keys()) xorTwo[(d.charCodeAt(0) << 8) | d.charCodeAt(1)] = 1;
  return {
    xorTwo,
    pre,
    scan: new RegExp(sources.join("|"), "g"),
    each,
    xorScan: new RegExp([...xorTerms.keys()].map(escapeBinary).join("|")),
    xorTerms,
  };
}

function engine(): Compiled {
  compiled ??= compile();
  return compiled;
}

function identify(c: Compiled, folded: string): Term | undefined {
  // Longest term first: "TOP SECRET" over "SECRET".
  let best: Term | undefined;
  for (const { term, re } of c.each) {
    if (re.test(folded) && (!best || term.text.length > best.text.length)) best = term;
  }
  return best;
}

/** One term found in a view: where, and whether only case folding made it match. */
export interface TermHit {
  term: Term;
  /** A capitals-only term matched in lower case (allowed by `nocase`): it counts one level lower. */
  folded: boolean;
  start: number;
  end: number;
}

/**
 * Calls `onHit` for every term a binary string spells. `nocase`: the pattern matches any case
 * (YARA `nocase`, ClamAV `::i`), so a capitals-only term written in lower case still counts.
 */
export function findTerms(view: string, nocase: boolean, onHit: (hit: TermHit) => void): void {
  const c = engine();
  if (!mayContain(c.pre, view)) return;
  const folded = foldAscii(view);
  c.scan.lastIndex = 0;
  for (let m = c.scan.exec(folded); m; m = c.scan.exec(folded)) {
    if (m[0].length === 0) {
      c.scan.lastIndex++;
      continue;
    }
    const term = identify(c, m[0]);
    if (!term) continue;
    const original = view.slice(m.index, m.index + m[0].length);
    const lower = /[a-z]/.test(original);
    if (term.cs && lower && !nocase) continue; // "master secret": a word, not a marking
    onHit({ term, folded: term.cs && lower, start: m.index, end: m.index + m[0].length });
  }
}

/**
 * The term a binary string spells once XORed with a one-byte key, and that key (or its case
 * variant); undefined when none. Keys 0x00 and 0x20 give the text itself or its other case: the
 * plain scan judges those.
 */
export function findXorTerm(view: string): { term: Term; key: number } | undefined {
  const c = engine();
  if (view.length < 6 || !mayContainXor(c, view)) return undefined;
  const m = c.xorScan.exec(xorDiff(view));
  const term = m ? c.xorTerms.get(m[0]) : undefined;
  if (!m || !term) return undefined;
  const key = view.charCodeAt(m.index) ^ term.text.charCodeAt(0);
  return key !== 0 && key !== 0x20 ? { term, key } : undefined;
}

function mayContainXor(c: Compiled, v: string): boolean {
  for (let i = 0; i + 2 < v.length; i++) {
    const a = v.charCodeAt(i + 1);
    const k = ((v.charCodeAt(i) ^ a) << 8) | (a ^ v.charCodeAt(i + 2));
    if (c.xorTwo[k & 0xffff] === 1) return true;
  }
  return false;
}
