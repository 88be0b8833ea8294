/**
 * Facts about one rule that several categories share, computed once: what each string spells
 * (its "views": binary strings with gaps removed), which strings the condition uses, whether the
 * rule is gated on a document format, and which malware indicators it carries.
 *
 * Views of a string:
 * - text: its value (the plaintext, whatever `wide`/`xor`/`base64` do to it at scan time);
 * - hex: the fixed bytes in order with wildcards and jumps dropped, alternatives fanned out;
 * - regex: the samples `expandRegex` spells.
 * Each view also appears with NUL bytes removed when it has any (UTF-16LE written by hand).
 */
import {
  documentFormatIn,
  foldAscii,
  malwareIndicatorIn,
  readable,
  stripNul,
} from "../../keywords/index.js";
import type { Expr, HexToken, OfSet, Rule, StringDef } from "../ast.js";
import { expandRegex, parseRegex, type RegexNode, regexTokens, setSize } from "./regex.js";

const MAX_HEX_SAMPLES = 16;
const SCRATCH = new Uint8Array(1 << 15);

export interface StringFacts {
  def: StringDef;
  id: string;
  /** Used by the condition (directly, through a set, or `them`). */
  referenced: boolean;
  nocase: boolean;
  /** Binary strings the string spells. */
  views: string[];
  /** The longest run of fixed bytes (binary string): what an atom can be chosen from. */
  fixedRun: string;
  /** How many bytes of the match are pinned down (fixed bytes, or narrow classes in a regex). */
  fixedCount: number;
  /** Parsed regex, for regex strings. */
  regex?: RegexNode;
}

export interface RuleFacts {
  rule: Rule;
  ref: string;
  strings: StringFacts[];
  byId: Map<string, StringFacts>;
  /** Document formats the rule checks for, with the evidence (computed on first use). */
  readonly docGates: { format: string; evidence: string }[];
  /** Malware indicators in referenced strings or the condition (computed on first use). */
  readonly malware: string[];
}

// ---------------------------------------------------------------------------------------------
// Binary-string helpers: the shared keyword engine's, re-exported for the other categories.

export { foldAscii, readable, stripNul };

// ---------------------------------------------------------------------------------------------
// Views

function hexSamples(tokens: HexToken[], out: string[], depth = 0): string[] {
  if (depth === 0 && tokens.length <= SCRATCH.length && !hasAlt(tokens)) {
    let n = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as HexToken;
      if (t.kind === "byte" && t.mask === 0xff && !t.negated) SCRATCH[n++] = t.value;
    }
    out.push(String.fromCharCode.apply(null, SCRATCH.subarray(0, n) as unknown as number[]));
    return out;
  }
  let acc = [""];
  for (const t of tokens) {
    if (t.kind === "byte") {
      if (t.mask === 0xff && !t.negated) {
        const ch = String.fromCharCode(t.value);
        for (let i = 0; i < acc.length; i++) acc[i] += ch;
      }
    } else if (t.kind === "alt" && depth < 8) {
      const next: string[] = [];
      for (const alt of t.alternatives) {
        for (const tail of hexSamples(alt, [], depth + 1)) {
          for (const a of acc) if (next.length < MAX_HEX_SAMPLES) next.push(a + tail);
        }
      }
      acc = next.length > 0 ? next : acc;
    }
  }
  out.push(...acc);
  return out;
}

function hasAlt(tokens: HexToken[]): boolean {
  for (let i = 0; i < tokens.length; i++) if ((tokens[i] as HexToken).kind === "alt") return true;
  return false;
}

function fixedBytes(tokens: HexToken[]): number {
  let n = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as HexToken;
    if (t.kind === "byte" && t.mask === 0xff && !t.negated) n++;
  }
  return n;
}

/** Longest run of fixed bytes, broken by wildcards, jumps and alternations. */
function hexFixedRun(tokens: HexToken[]): string {
  let bestStart = 0;
  let bestLen = 0;
  let runStart = 0;
  let runLen = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as HexToken;
    if (t.kind === "byte" && t.mask === 0xff && !t.negated) {
      if (runLen === 0) runStart = i;
      runLen++;
      if (runLen > bestLen) {
        bestLen = runLen;
        bestStart = runStart;
      }
    } else {
      runLen = 0;
    }
  }
  let best = "";
  for (let i = 0; i < bestLen; i += SCRATCH.length) {
    const n = Math.min(SCRATCH.length, bestLen - i);
    for (let k = 0; k < n; k++) {
      SCRATCH[k] = (tokens[bestStart + i + k] as { value: number }).value;
    }
    best += String.fromCharCode.apply(null, SCRATCH.subarray(0, n) as unknown as number[]);
  }
  return best;
}

function regexFixedRun(node: RegexNode | undefined): string {
  if (!node) return "";
  let best = "";
  let run = "";
  const visit = (n: RegexNode): void => {
    if (n.k === "char") {
      let only = -1;
      let count = 0;
      for (let b = 0; b < 256 && count < 2; b++) {
        if (((n.set[b >>> 5] as number) & (1 << (b & 31))) !== 0) {
          only = b;
          count++;
        }
      }
      if (count === 1) {
        run += String.fromCharCode(only);
        if (run.length > best.length) best = run;
        return;
      }
    } else if (n.k === "seq") {
      for (const i of n.items) visit(i);
      return;
    } else if (n.k === "anchor") {
      return;
    } else if (n.k === "rep" && n.min >= 1 && n.node.k === "char") {
      visit(n.node);
      run = "";
      return;
    }
    run = "";
  };
  visit(node);
  return best;
}

/** Positions a regex pins to a class of at most 64 bytes (counting minimum repeats). */
function narrowPositions(node: RegexNode): number {
  let n = 0;
  for (const t of regexTokens(node)) if (t.set && setSize(t.set) <= 64) n += t.min;
  return n;
}

function withStripped(views: string[]): string[] {
  const out = views.filter((v) => v.length > 0);
  for (const v of views) if (v.indexOf("\0") >= 0) out.push(stripNul(v));
  return out;
}

export function stringFacts(def: StringDef, referenced: boolean): StringFacts {
  if (def.kind === "text") {
    return {
      def,
      id: def.id,
      referenced,
      nocase: def.modifiers.nocase,
      views: withStripped([def.value]),
      fixedRun: def.value,
      fixedCount: def.value.length,
    };
  }
  if (def.kind === "hex") {
    return {
      def,
      id: def.id,
      referenced,
      nocase: false,
      views: withStripped(hexSamples(def.tokens, [])),
      fixedRun: hexFixedRun(def.tokens),
      fixedCount: fixedBytes(def.tokens),
    };
  }
  const regex = parseRegex(def.pattern);
  return {
    def,
    id: def.id,
    referenced,
    nocase: def.flags.nocase || def.modifiers.nocase,
    views: regex ? withStripped(expandRegex(regex)) : [],
    fixedRun: regexFixedRun(regex),
    fixedCount: regex ? narrowPositions(regex) : 0,
    ...(regex ? { regex } : {}),
  };
}

/** How a string is written, for messages: `hex`, `text wide nocase`, `regex`, … */
export function describeString(def: StringDef): string {
  const m = def.modifiers;
  const parts: string[] = [def.kind];
  if (m.wide) parts.push("wide");
  if (m.nocase || (def.kind === "regex" && def.flags.nocase)) parts.push("nocase");
  if (m.xor) parts.push(`xor(${m.xor.min}-${m.xor.max})`);
  if (m.base64) parts.push("base64");
  if (m.base64wide) parts.push("base64wide");
  if (def.kind === "hex" && def.tokens.some((t) => t.kind !== "byte" || t.mask !== 0xff)) {
    parts.push("with gaps");
  }
  return parts.join(" ");
}

/** The string as written in the rule, short. */
export function stringSource(def: StringDef): string {
  const body =
    def.kind === "text"
      ? `"${def.raw}"`
      : def.kind === "hex"
        ? `{ ${def.raw.trim()} }`
        : `/${def.pattern}/`;
  const clipped = body.length > 160 ? `${body.slice(0, 157)}…` : body;
  return `${def.id} = ${clipped}`;
}

// ---------------------------------------------------------------------------------------------
// Conditions

export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "string_match": {
      const out: Expr[] = [];
      if (e.at) out.push(e.at);
      if (e.in) out.push(e.in.from, e.in.to);
      return out;
    }
    case "string_count":
      return e.in ? [e.in.from, e.in.to] : [];
    case "string_offset":
    case "string_length":
      return e.index ? [e.index] : [];
    case "field":
      return [e.object];
    case "index":
      return [e.object, e.index];
    case "call":
      return [e.callee, ...e.args];
    case "int_read":
      return [e.offset];
    case "unary":
      return [e.operand];
    case "binary":
      return [e.left, e.right];
    case "of": {
      const out: Expr[] = [];
      if (e.quantifier.kind === "count" || e.quantifier.kind === "percent")
        out.push(e.quantifier.expr);
      if (e.set.kind === "exprs") out.push(...e.set.items);
      if (e.in) out.push(e.in.from, e.in.to);
      if (e.at) out.push(e.at);
      return out;
    }
    case "for_of": {
      const out: Expr[] = [e.body];
      if (e.quantifier.kind === "count" || e.quantifier.kind === "percent")
        out.push(e.quantifier.expr);
      if (e.set.kind === "exprs") out.push(...e.set.items);
      return out;
    }
    case "for_in": {
      const out: Expr[] = [e.body];
      if (e.quantifier.kind === "count" || e.quantifier.kind === "percent")
        out.push(e.quantifier.expr);
      const it = e.iterable;
      if (it.kind === "range") out.push(it.from, it.to);
      else if (it.kind === "list") out.push(...it.items);
      else out.push(it.expr);
      return out;
    }
    case "with":
      return [...e.bindings.map((b) => b.value), e.body];
    default:
      return [];
  }
}

/** Depth-first visit; `visit` returning false skips the node's children. Bounded depth. */
export function walk(e: Expr, visit: (e: Expr) => boolean | undefined, depth = 0): void {
  if (depth > 200) return;
  if (visit(e) === false) return;
  const d = depth + 1;
  // The order of `children`, without building the array.
  switch (e.kind) {
    case "string_match":
      if (e.at) walk(e.at, visit, d);
      if (e.in) {
        walk(e.in.from, visit, d);
        walk(e.in.to, visit, d);
      }
      return;
    case "string_count":
      if (e.in) {
        walk(e.in.from, visit, d);
        walk(e.in.to, visit, d);
      }
      return;
    case "string_offset":
    case "string_length":
      if (e.index) walk(e.index, visit, d);
      return;
    case "field":
      walk(e.object, visit, d);
      return;
    case "index":
      walk(e.object, visit, d);
      walk(e.index, visit, d);
      return;
    case "int_read":
      walk(e.offset, visit, d);
      return;
    case "unary":
      walk(e.operand, visit, d);
      return;
    case "binary":
      walk(e.left, visit, d);
      walk(e.right, visit, d);
      return;
    case "bool":
    case "int":
    case "float":
    case "string":
    case "regexp":
    case "keyword":
    case "identifier":
      return;
  }
  for (const c of children(e)) walk(c, visit, d);
}

function setMatcher(pattern: string): (id: string) => boolean {
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    return (id) => id.startsWith(prefix);
  }
  return (id) => id === pattern;
}

/** Ids of the strings a set names. */
export function setMembers(set: OfSet, ids: string[]): string[] {
  if (set.kind === "them") return ids;
  if (set.kind !== "strings") return [];
  const out = new Set<string>();
  for (const item of set.items) {
    const m = setMatcher(item.pattern);
    for (const id of ids) if (m(id)) out.add(id);
  }
  return [...out];
}

/** The string ids the condition uses. */
export function referencedIds(rule: Rule): Set<string> {
  const ids = rule.strings.map((s) => s.id);
  const used = new Set<string>();
  walk(rule.condition, (e) => {
    switch (e.kind) {
      case "string_match":
      case "string_count":
      case "string_offset":
      case "string_length":
        if (e.id !== "$") used.add(e.id);
        break;
      case "of":
      case "for_of":
        for (const id of setMembers(e.set, ids)) used.add(id);
        break;
    }
    return true;
  });
  return used;
}

const BINARY_TEXT: Record<string, string> = { "\\": "\\" };

/** A short rendering of a condition fragment, for evidence. */
export function exprText(e: Expr, depth = 0): string {
  if (depth > 12) return "…";
  const t = (x: Expr) => exprText(x, depth + 1);
  switch (e.kind) {
    case "bool":
      return String(e.value);
    case "int":
    case "float":
      return e.raw;
    case "string":
      return `"${readable(e.value)}"`;
    case "regexp":
      return `/${e.pattern}/`;
    case "keyword":
      return e.name;
    case "string_match":
      return `${e.id}${e.at ? ` at ${t(e.at)}` : ""}${e.in ? ` in (${t(e.in.from)}..${t(e.in.to)})` : ""}`;
    case "string_count":
      return `#${e.id.slice(1)}`;
    case "string_offset":
      return `@${e.id.slice(1)}${e.index ? `[${t(e.index)}]` : ""}`;
    case "string_length":
      return `!${e.id.slice(1)}${e.index ? `[${t(e.index)}]` : ""}`;
    case "identifier":
      return e.name;
    case "field":
      return `${t(e.object)}.${e.name}`;
    case "index":
      return `${t(e.object)}[${t(e.index)}]`;
    case "call":
      return `${t(e.callee)}(${e.args.map(t).join(", ")})`;
    case "int_read":
      return `${e.fn}(${t(e.offset)})`;
    case "unary":
      return e.op === "not" || e.op === "defined"
        ? `${e.op} ${t(e.operand)}`
        : `${e.op}${t(e.operand)}`;
    case "binary":
      return `${t(e.left)} ${BINARY_TEXT[e.op] ?? e.op} ${t(e.right)}`;
    case "of":
      return `${quantText(e.quantifier, t)} of ${setText(e.set, t)}`;
    case "for_of":
      return `for ${quantText(e.quantifier, t)} of ${setText(e.set, t)} : (${t(e.body)})`;
    case "for_in": {
      const it = e.iterable;
      const itText =
        it.kind === "range"
          ? `(${t(it.from)}..${t(it.to)})`
          : it.kind === "list"
            ? `(${it.items.map(t).join(", ")})`
            : t(it.expr);
      return `for ${quantText(e.quantifier, t)} ${e.vars.join(", ")} in ${itText} : (${t(e.body)})`;
    }
    case "with":
      return `with … : (${t(e.body)})`;
  }
}

function quantText(q: import("../ast.js").Quantifier, t: (x: Expr) => string): string {
  if (q.kind === "count") return t(q.expr);
  if (q.kind === "percent") return `${t(q.expr)}%`;
  return q.kind;
}

function setText(s: OfSet, t: (x: Expr) => string): string {
  if (s.kind === "them") return "them";
  if (s.kind === "exprs") return `(${s.items.map(t).join(", ")})`;
  return `(${s.items.map((i) => i.pattern).join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// Document formats and malware indicators

/** Byte prefixes at offset 0 that name a format. */
const MAGICS: { format: string; bytes: string; executable?: boolean }[] = [
  { format: "OLE", bytes: "\xd0\xcf\x11\xe0" },
  { format: "PDF", bytes: "%PDF" },
  { format: "RTF", bytes: "{\\rt" },
  { format: "PE", bytes: "MZ", executable: true },
  { format: "ELF", bytes: "\x7fELF", executable: true },
  { format: "Mach-O", bytes: "\xcf\xfa\xed\xfe", executable: true },
  { format: "Mach-O", bytes: "\xce\xfa\xed\xfe", executable: true },
  { format: "Mach-O", bytes: "\xca\xfe\xba\xbe", executable: true },
];

function intLiteral(e: Expr): number | undefined {
  return e.kind === "int" ? e.value : undefined;
}

/** Bytes an `intN(0) == V` comparison pins at offset 0, as a binary string. */
function pinnedBytes(e: Expr): string | undefined {
  if (e.kind !== "binary" || e.op !== "==") return undefined;
  const [read, lit] =
    e.left.kind === "int_read"
      ? [e.left, e.right]
      : e.right.kind === "int_read"
        ? [e.right, e.left]
        : [];
  if (read?.kind !== "int_read" || !lit) return undefined;
  if (intLiteral(read.offset) !== 0) return undefined;
  const v = intLiteral(lit);
  if (v === undefined || v < 0) return undefined;
  const width = read.fn.includes("32") ? 4 : read.fn.includes("16") ? 2 : 1;
  const be = read.fn.endsWith("be");
  let out = "";
  for (let i = 0; i < width; i++) {
    const shift = be ? 8 * (width - 1 - i) : 8 * i;
    out += String.fromCharCode(Math.floor(v / 2 ** shift) & 0xff);
  }
  return out;
}

/** The format an offset-0 integer comparison checks, if it is a known magic. */
export function magicOf(e: Expr): { format: string; executable: boolean } | undefined {
  const pinned = pinnedBytes(e);
  if (!pinned) return undefined;
  for (const m of MAGICS) {
    const n = Math.min(pinned.length, m.bytes.length);
    if (n >= 2 && pinned.slice(0, n) === m.bytes.slice(0, n)) {
      return { format: m.format, executable: m.executable === true };
    }
  }
  if (pinned.startsWith("PK")) return { format: "ZIP", executable: false };
  return undefined;
}

const EXECUTABLE_MODULES = new Set(["pe", "elf", "macho", "dotnet"]);

export function ruleFacts(rule: Rule, ref: string): RuleFacts {
  const referenced = referencedIds(rule);
  const strings = rule.strings.map((s) => stringFacts(s, referenced.has(s.id)));
  const byId = new Map(strings.map((s) => [s.id, s]));
  let indicators:
    | { docGates: { format: string; evidence: string }[]; malware: string[] }
    | undefined;
  const get = () => {
    indicators ??= formatsAndIndicators(rule, strings);
    return indicators;
  };
  return {
    rule,
    ref,
    strings,
    byId,
    get docGates() {
      return get().docGates;
    },
    get malware() {
      return get().malware;
    },
  };
}

function formatsAndIndicators(
  rule: Rule,
  strings: StringFacts[],
): { docGates: { format: string; evidence: string }[]; malware: string[] } {
  const docGates: { format: string; evidence: string }[] = [];
  const malware: string[] = [];
  for (const s of strings) {
    if (!s.referenced) continue;
    for (const v of s.views) {
      const folded = foldAscii(v);
      const format = documentFormatIn(folded);
      if (format) docGates.push({ format, evidence: stringSource(s.def) });
      const indicator = malwareIndicatorIn(v, folded);
      if (indicator) {
        malware.push(`${stringSource(s.def)} (${indicator})`);
        break;
      }
    }
  }

  walk(rule.condition, (e) => {
    const magic = magicOf(e);
    if (magic) {
      if (magic.executable) malware.push(`${exprText(e)} (${magic.format} file)`);
      else if (magic.format !== "ZIP")
        docGates.push({ format: magic.format, evidence: exprText(e) });
      return false;
    }
    if (
      e.kind === "field" &&
      e.object.kind === "identifier" &&
      EXECUTABLE_MODULES.has(e.object.name)
    ) {
      malware.push(`${exprText(e)} (${e.object.name} module)`);
      return false;
    }
    if (
      e.kind === "binary" &&
      e.op === "==" &&
      [e.left, e.right].some(
        (x) => x.kind === "call" && x.callee.kind === "field" && isIdent(x.callee.object, "hash"),
      )
    ) {
      malware.push(`${exprText(e)} (known-sample hash)`);
      return false;
    }
    return true;
  });
  return { docGates, malware };
}

export function isIdent(e: Expr, name: string): boolean {
  return e.kind === "identifier" && e.name === name;
}
