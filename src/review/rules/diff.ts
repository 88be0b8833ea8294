/**
 * The semantic diff of two rule packs. Rules are matched by name, whatever their file or
 * namespace (a name defined in several files is matched file by file, then in order). A matched
 * pair is compared part by part on meaning, never on text:
 *
 *   strings     by identifier, each reduced to what it matches: a plain text string and a hex
 *               string of fixed bytes with the same bytes are equal (`"abc"` = `{ 61 62 63 }`),
 *               `ascii` alone is the default, escapes are decoded; order does not matter
 *   condition   the syntax tree without positions and spellings (`0x10` = `16`, parentheses,
 *               comments and whitespace are not in it)
 *   meta        key/value pairs, in any order
 *   tags        as a set
 *   flags       `private`, `global`
 *
 * So reformatting a rule changes nothing. A removed and an added rule with the same strings,
 * condition and flags are one rule renamed; their meta or tags may still differ and are listed.
 */
import type { Expr, HexToken, Loc, Meta, Rule, StringDef, StringModifiers } from "./ast.js";

export type RulePart = "strings" | "condition" | "meta" | "tags" | "flags";

export interface RuleRef {
  name: string;
  file: string;
  line: number;
}

export interface StringsChange {
  added: string[];
  removed: string[];
  changed: { id: string; old: string; new: string }[];
}

export interface MetaChange {
  added: { key: string; value: string }[];
  removed: { key: string; value: string }[];
  changed: { key: string; old: string; new: string }[];
}

export interface RuleChange {
  name: string;
  old: RuleRef;
  new: RuleRef;
  parts: RulePart[];
  strings?: StringsChange;
  /** The conditions as written, when they differ. */
  condition?: { old: string; new: string };
  meta?: MetaChange;
  tags?: { added: string[]; removed: string[] };
  flags?: { old: string; new: string };
}

export interface RuleRename {
  old: RuleRef;
  new: RuleRef;
  /** Parts besides the name that differ (meta, tags only: strings, condition, flags are equal). */
  parts: RulePart[];
}

export interface PackDiff {
  old: { rules: number };
  new: { rules: number };
  added: RuleRef[];
  removed: RuleRef[];
  changed: RuleChange[];
  renamed: RuleRename[];
  unchanged: number;
  /** Rules that only moved to another file. */
  moved: { old: RuleRef; new: RuleRef }[];
}

/** One side of a diff: its rules, and the source text of their files for excerpts. */
export interface DiffSide {
  rules: readonly Rule[];
  source?: (file: string) => string | undefined;
}

/** Compares two packs' rules (see the file comment for what counts as a change). */
export function diffRules(old: DiffSide, next: DiffSide): PackDiff {
  const oldKeys = old.rules.map(ruleKeys);
  const newKeys = next.rules.map(ruleKeys);
  const pairs = matchByName(old.rules, next.rules);
  const diff: PackDiff = {
    old: { rules: old.rules.length },
    new: { rules: next.rules.length },
    added: [],
    removed: [],
    changed: [],
    renamed: [],
    unchanged: 0,
    moved: [],
  };
  const matchedOld = new Set<number>();
  const matchedNew = new Set<number>();
  for (const [i, j] of pairs) {
    matchedOld.add(i);
    matchedNew.add(j);
    const a = old.rules[i] as Rule;
    const b = next.rules[j] as Rule;
    const change = compareRule(a, b, oldKeys[i] as RuleKeys, newKeys[j] as RuleKeys, old, next);
    if (change) diff.changed.push(change);
    else {
      diff.unchanged++;
      if (a.loc.file !== b.loc.file) diff.moved.push({ old: ref(a), new: ref(b) });
    }
  }
  // Renamed: an unmatched old rule whose behaviour equals an unmatched new rule's.
  const added = new Map<string, number[]>();
  next.rules.forEach((_, j) => {
    if (matchedNew.has(j)) return;
    const body = (newKeys[j] as RuleKeys).body;
    const list = added.get(body);
    if (list) list.push(j);
    else added.set(body, [j]);
  });
  old.rules.forEach((a, i) => {
    if (matchedOld.has(i)) return;
    const k = oldKeys[i] as RuleKeys;
    const j = added.get(k.body)?.shift();
    if (j === undefined) {
      diff.removed.push(ref(a));
      return;
    }
    matchedNew.add(j);
    const b = next.rules[j] as Rule;
    const kb = newKeys[j] as RuleKeys;
    const parts: RulePart[] = [];
    if (k.meta !== kb.meta) parts.push("meta");
    if (k.tags !== kb.tags) parts.push("tags");
    diff.renamed.push({ old: ref(a), new: ref(b), parts });
  });
  next.rules.forEach((b, j) => {
    if (!matchedNew.has(j)) diff.added.push(ref(b));
  });
  return diff;
}

/** True when the diff holds no change (moves between files are not changes). */
export function isEmptyDiff(diff: PackDiff): boolean {
  return (
    diff.added.length === 0 &&
    diff.removed.length === 0 &&
    diff.changed.length === 0 &&
    diff.renamed.length === 0
  );
}

function ref(rule: Rule): RuleRef {
  return { name: rule.name, file: rule.loc.file, line: rule.loc.line };
}

/** Index pairs (old, new) of rules with the same name: same file first, then in order. */
function matchByName(old: readonly Rule[], next: readonly Rule[]): [number, number][] {
  const byName = new Map<string, number[]>();
  next.forEach((r, j) => {
    const list = byName.get(r.name);
    if (list) list.push(j);
    else byName.set(r.name, [j]);
  });
  const pairs: [number, number][] = [];
  const unmatched: number[] = [];
  old.forEach((r, i) => {
    const list = byName.get(r.name);
    if (!list || list.length === 0) return;
    const same = list.length === 1 ? 0 : list.findIndex((j) => next[j]?.loc.file === r.loc.file);
    if (same >= 0) pairs.push([i, list.splice(same, 1)[0] as number]);
    else unmatched.push(i);
  });
  for (const i of unmatched) {
    const j = byName.get((old[i] as Rule).name)?.shift();
    if (j !== undefined) pairs.push([i, j]);
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}

// ---------------------------------------------------------------------------------------------
// Canonical forms

interface RuleKeys {
  /** Identifier → canonical string (anonymous strings as `$#n` in canonical order). */
  strings: Map<string, string>;
  stringsKey: string;
  condition: string;
  meta: string;
  tags: string;
  flags: string;
  /** What the rule does: strings, condition, flags. */
  body: string;
}

function ruleKeys(rule: Rule): RuleKeys {
  const strings = new Map<string, string>();
  const anonymous: string[] = [];
  for (const def of rule.strings) {
    const key = stringKey(def);
    if (def.id === "$") anonymous.push(key);
    else strings.set(def.id, key);
  }
  anonymous.sort().forEach((key, n) => {
    strings.set(`$#${n}`, key);
  });
  const stringsKey = [...strings.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id, key]) => `${id}=${key}`)
    .join("\n");
  const condition = exprKey(rule.condition);
  const flags = flagsText(rule);
  return {
    strings,
    stringsKey,
    condition,
    meta: metaPairs(rule.meta).sort().join("\n"),
    tags: [...new Set(rule.tags)].sort().join(" "),
    flags,
    body: `${flags}\n${stringsKey}\n${condition}`,
  };
}

function flagsText(rule: Rule): string {
  return [rule.isPrivate ? "private" : "", rule.isGlobal ? "global" : ""].filter(Boolean).join(" ");
}

function metaPairs(meta: readonly Meta[]): string[] {
  return meta.map((m) => `${m.key}=${JSON.stringify(m.value)}`);
}

const dropLayout = (key: string, value: unknown) =>
  key === "loc" || key === "raw" ? undefined : value;

/** The condition's tree without positions or spellings. */
export function exprKey(expr: Expr): string {
  return JSON.stringify(expr, dropLayout);
}

/**
 * What a string matches, as a canonical text. A plain string (no modifier but `ascii` and
 * `private`) is reduced to its bytes, whether written as text, as a hex string without wildcards
 * or jumps, or as a regex made of literal letters, digits and spaces.
 */
export function stringKey(def: StringDef): string {
  const m = normalModifiers(def.modifiers);
  const bytes = plainBytes(def, m);
  const priv = m.private ? " private" : "";
  if (bytes !== undefined) return `bytes:${hex(bytes)}${priv}`;
  switch (def.kind) {
    case "text":
      return `text:${JSON.stringify(def.value)} ${JSON.stringify(m)}`;
    case "hex":
      return `hex:${JSON.stringify(def.tokens)}${priv}`;
    case "regex":
      return `regex:${JSON.stringify(def.pattern)} ${JSON.stringify(def.flags)} ${JSON.stringify(m)}`;
  }
}

function hex(binary: string): string {
  let out = "";
  for (let i = 0; i < binary.length; i++) out += binary.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

function normalModifiers(m: StringModifiers): StringModifiers {
  const out: StringModifiers = {
    nocase: m.nocase,
    wide: m.wide,
    // A string without `wide` is ascii, written or not.
    ascii: m.ascii || !m.wide,
    fullword: m.fullword,
    private: m.private,
  };
  if (m.xor) out.xor = { min: m.xor.min, max: m.xor.max };
  if (m.base64) out.base64 = m.base64.alphabet ? { alphabet: m.base64.alphabet } : {};
  if (m.base64wide)
    out.base64wide = m.base64wide.alphabet ? { alphabet: m.base64wide.alphabet } : {};
  return out;
}

function plainBytes(def: StringDef, m: StringModifiers): string | undefined {
  const plain =
    m.ascii && !m.wide && !m.nocase && !m.fullword && !m.xor && !m.base64 && !m.base64wide;
  if (!plain) return undefined;
  switch (def.kind) {
    case "text":
      return def.value;
    case "hex":
      return fixedBytes(def.tokens);
    case "regex":
      return !def.flags.nocase && /^[A-Za-z0-9 ]+$/.test(def.pattern) ? def.pattern : undefined;
  }
}

function fixedBytes(tokens: readonly HexToken[]): string | undefined {
  let out = "";
  for (const t of tokens) {
    if (t.kind !== "byte" || t.mask !== 0xff || t.negated) return undefined;
    out += String.fromCharCode(t.value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparing one pair

function compareRule(
  a: Rule,
  b: Rule,
  ka: RuleKeys,
  kb: RuleKeys,
  old: DiffSide,
  next: DiffSide,
): RuleChange | undefined {
  const change: RuleChange = { name: b.name, old: ref(a), new: ref(b), parts: [] };
  if (ka.stringsKey !== kb.stringsKey) {
    change.parts.push("strings");
    change.strings = compareStrings(a, b, ka, kb, old, next);
  }
  if (ka.condition !== kb.condition) {
    change.parts.push("condition");
    change.condition = { old: excerpt(old, a.condition.loc), new: excerpt(next, b.condition.loc) };
  }
  if (ka.meta !== kb.meta) {
    change.parts.push("meta");
    change.meta = compareMeta(a.meta, b.meta);
  }
  if (ka.tags !== kb.tags) {
    change.parts.push("tags");
    const ta = new Set(a.tags);
    const tb = new Set(b.tags);
    change.tags = {
      added: [...tb].filter((t) => !ta.has(t)),
      removed: [...ta].filter((t) => !tb.has(t)),
    };
  }
  if (ka.flags !== kb.flags) {
    change.parts.push("flags");
    change.flags = { old: ka.flags || "(none)", new: kb.flags || "(none)" };
  }
  return change.parts.length > 0 ? change : undefined;
}

function compareStrings(
  a: Rule,
  b: Rule,
  ka: RuleKeys,
  kb: RuleKeys,
  old: DiffSide,
  next: DiffSide,
): StringsChange {
  const out: StringsChange = { added: [], removed: [], changed: [] };
  const defA = new Map(a.strings.filter((d) => d.id !== "$").map((d) => [d.id, d]));
  const defB = new Map(b.strings.filter((d) => d.id !== "$").map((d) => [d.id, d]));
  for (const [id, key] of ka.strings) {
    const other = kb.strings.get(id);
    if (other === undefined) out.removed.push(id.startsWith("$#") ? "$ (anonymous)" : id);
    else if (other !== key) {
      const da = defA.get(id);
      const db = defB.get(id);
      out.changed.push({
        id,
        old: da ? excerpt(old, da.loc) : key,
        new: db ? excerpt(next, db.loc) : other,
      });
    }
  }
  for (const id of kb.strings.keys()) {
    if (!ka.strings.has(id)) out.added.push(id.startsWith("$#") ? "$ (anonymous)" : id);
  }
  return out;
}

function compareMeta(a: readonly Meta[], b: readonly Meta[]): MetaChange {
  const group = (meta: readonly Meta[]) => {
    const map = new Map<string, string[]>();
    for (const m of meta) {
      const v = JSON.stringify(m.value);
      const list = map.get(m.key);
      if (list) list.push(v);
      else map.set(m.key, [v]);
    }
    return map;
  };
  const ga = group(a);
  const gb = group(b);
  const out: MetaChange = { added: [], removed: [], changed: [] };
  for (const [key, values] of ga) {
    const other = gb.get(key);
    if (!other) for (const value of values) out.removed.push({ key, value });
    else if ([...values].sort().join("\n") !== [...other].sort().join("\n")) {
      out.changed.push({ key, old: values.join(", "), new: other.join(", ") });
    }
  }
  for (const [key, values] of gb) {
    if (!ga.has(key)) for (const value of values) out.added.push({ key, value });
  }
  return out;
}

const MAX_EXCERPT = 2000;

/** The text a node was written as, from its file's source (bounded), or a placeholder. */
function excerpt(side: DiffSide, loc: Loc): string {
  const source = side.source?.(loc.file);
  if (source === undefined) return `(${loc.file}:${loc.line})`;
  const text = source.slice(loc.offset, Math.min(loc.end, loc.offset + MAX_EXCERPT));
  return loc.end - loc.offset > MAX_EXCERPT ? `${text}…` : text;
}
