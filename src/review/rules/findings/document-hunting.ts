/**
 * Document hunting: a rule whose strings spell a classification marking, a handling caveat or the
 * name of a state body, in any encoding YARA can express. Every term is compiled once into one
 * scanner over ASCII-folded binary strings, with each non-ASCII term spelled in UTF-8, UTF-16LE/BE
 * and the legacy code pages of its script, and separators free (`TOP_SECRET`, `TOP\0SECRET`,
 * `TOPSECRET`). What a string spells comes from `facts.ts` (hex gaps dropped, NULs removed, regex
 * classes reduced to one letter); here we add base64 written out by hand, single-byte XOR written
 * out by hand (seen through byte differences, which a XOR key does not change), and words split
 * across several strings.
 *
 * Severity starts at the term's level, one lower when a capitals-only term was only matched by
 * folding case; one higher when the rule is gated on a document format with no malware
 * indicators, one lower when it has malware indicators (a maldoc rule quoting a lure).
 */
import { describeString, foldAscii, type RuleFacts, readable, stringSource } from "./facts.js";
import { type Finding, makeFinding, severityOf } from "./model.js";
import { CJK_LEGACY, TERMS, type Term } from "./terms.js";

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

/** A short piece of a word (letters, maybe a separator, or non-ASCII text). */
const WORDLIKE = /^(?:[A-Za-z \-_/]|[\x80-\xff])(?:[A-Za-z \-_/]|[\x80-\xff]){1,15}$/;

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

function mayContainXor(c: Compiled, v: string): boolean {
  for (let i = 0; i + 2 < v.length; i++) {
    const a = v.charCodeAt(i + 1);
    const k = ((v.charCodeAt(i) ^ a) << 8) | (a ^ v.charCodeAt(i + 2));
    if (c.xorTwo[k & 0xffff] === 1) return true;
  }
  return false;
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

function identify(c: Compiled, folded: string): Term | undefined {
  // Longest term first: "TOP SECRET" over "SECRET".
  let best: Term | undefined;
  for (const { term, re } of c.each) {
    if (re.test(folded) && (!best || term.text.length > best.text.length)) best = term;
  }
  return best;
}

interface Hit {
  term: Term;
  level: number;
  evidence: string;
  how: string;
}

function scanView(
  c: Compiled,
  view: string,
  nocase: boolean,
  onHit: (term: Term, folded: boolean, start: number, end: number) => void,
): void {
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
    onHit(term, term.cs && lower, m.index, m.index + m[0].length);
  }
}

const BASE64 = /^[A-Za-z0-9+/]{12,}={0,2}$/;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64Decodings(s: string): string[] {
  const out: string[] = [];
  const body = s.replace(/=+$/, "");
  for (const pad of ["", "A", "AA", "AAA"]) {
    const t = pad + body;
    let bits = 0;
    let acc = 0;
    let bin = "";
    for (const ch of t) {
      acc = (acc << 6) | B64.indexOf(ch);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bin += String.fromCharCode((acc >> bits) & 0xff);
      }
    }
    out.push(bin.slice(pad.length > 0 ? 1 : 0));
  }
  return out;
}

export function documentHunting(facts: RuleFacts): Finding[] {
  compiled ??= compile();
  const c = compiled;
  const hits: Hit[] = [];
  const seen = new Set<string>();
  const record = (term: Term, level: number, evidence: string, how: string) => {
    const key = `${term.text}\n${evidence}`;
    if (seen.has(key)) return;
    seen.add(key);
    hits.push({ term, level, evidence, how });
  };

  for (const s of facts.strings) {
    let found = false;
    for (const view of s.views) {
      scanView(c, view, s.nocase, (term, folded) => {
        found = true;
        record(
          term,
          term.level - (folded ? 1 : 0),
          `${stringSource(s.def)} spells "${term.text}"`,
          describeString(s.def),
        );
      });
    }
    if (found) continue;
    const def = s.def;
    if (
      def.kind === "text" &&
      !def.modifiers.base64 &&
      !def.modifiers.base64wide &&
      BASE64.test(def.value)
    ) {
      for (const decoded of base64Decodings(def.value)) {
        for (const view of [decoded, decoded.replaceAll("\0", "")]) {
          scanView(c, view, true, (term) => {
            found = true;
            record(
              term,
              term.level,
              `${stringSource(def)} is base64 of "${readable(view)}"`,
              "base64 written out",
            );
          });
        }
      }
    }
    if (found || def.kind === "regex") continue;
    for (const view of s.views) {
      if (view.length < 6 || !mayContainXor(c, view)) continue;
      const m = c.xorScan.exec(xorDiff(view));
      const term = m ? c.xorTerms.get(m[0]) : undefined;
      const key = m && term ? view.charCodeAt(m.index) ^ term.text.charCodeAt(0) : 0;
      // Keys 0x00 and 0x20 give the text itself or its other case: the plain scan judged those.
      if (m && term && key !== 0 && key !== 0x20) {
        record(
          term,
          term.level,
          `${stringSource(def)} is "${term.text}" XORed with a one-byte key (0x${key.toString(16).padStart(2, "0")} or a case variant)`,
          "XOR written out",
        );
        break;
      }
    }
  }

  splitAcrossStrings(facts, c, record);
  if (hits.length === 0) return [];

  let level = Math.max(...hits.map((h) => h.level));
  const gated = facts.docGates.length > 0;
  const malware = facts.malware.length > 0;
  if (malware) level -= 1;
  else if (gated) level += 1;

  const terms = [...new Set(hits.map((h) => `"${h.term.text}" (${h.term.what})`))];
  const formats = [...new Set(facts.docGates.map((g) => g.format))];
  const ways = [...new Set(hits.map((h) => h.how))];
  let message = `Rule ${facts.rule.name} looks for ${terms.join(", ")} in the scanned files, written as ${ways.join(", ")}`;
  if (gated) message += `; it is gated on ${formats.join("/")} documents`;
  message += malware
    ? "; it also has malware indicators, so this may be a malicious-document rule quoting a lure."
    : "; it has no malware indicators.";
  const evidence = [
    ...hits.map((h) => h.evidence),
    ...facts.docGates.map((g) => `document gate (${g.format}): ${g.evidence}`),
    ...facts.malware.map((m) => `malware indicator: ${m}`),
  ];
  return [
    makeFinding(
      "document-hunting",
      severityOf(level),
      facts.ref,
      facts.rule.loc,
      message,
      evidence,
    ),
  ];
}

/** Words split across strings: "TOP" + "SECRET" combined by the condition. */
function splitAcrossStrings(
  facts: RuleFacts,
  c: Compiled,
  record: (term: Term, level: number, evidence: string, how: string) => void,
): void {
  const parts = facts.strings.filter(
    (s) =>
      s.referenced &&
      s.def.kind !== "regex" &&
      (s.views[0]?.length ?? 0) > 0 &&
      (s.views[0]?.length ?? 0) <= 48,
  );
  if (parts.length < 2 || parts.length > 24) return;
  const tryJoin = (group: typeof parts) => {
    let joined = "";
    const offsets: number[] = [];
    for (const p of group) {
      offsets.push(joined.length);
      joined += p.views.at(-1) as string;
    }
    const starts = new Set(offsets);
    const ends = new Set([...offsets.slice(1), joined.length]);
    scanView(
      c,
      joined,
      group.some((p) => p.nocase),
      (term, folded, start, end) => {
        if (!starts.has(start) || !ends.has(end)) return;
        const spanned = group.filter(
          (_, i) => (offsets[i] as number) >= start && (offsets[i] as number) < end,
        );
        if (spanned.length < 2) return;
        record(
          term,
          term.level - (folded ? 1 : 0),
          `${spanned.map((p) => stringSource(p.def)).join(" + ")} together spell "${term.text}"`,
          "pieces in separate strings",
        );
      },
    );
  };
  tryJoin(parts);
  const short = parts.filter((p) => WORDLIKE.test(p.views.at(-1) as string));
  if (short.length <= 6) {
    for (const a of short) for (const b of short) if (a !== b) tryJoin([a, b]);
  }
}
