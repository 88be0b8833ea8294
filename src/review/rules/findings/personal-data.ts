/**
 * Personal data: patterns shaped like card numbers, national IDs, IBANs, phone numbers, or any
 * e-mail address of one domain. Regexes are read as token lists (`regexTokens`) and their digit
 * groups compared with known layouts; literal numbers that pass the Luhn check are reported too.
 */
import type { Expr } from "../ast.js";
import { type RuleFacts, stringSource, walk } from "./facts.js";
import { type Finding, makeFinding, severityOf } from "./model.js";
import {
  DIGITS,
  has,
  parseRegex,
  type RegexToken,
  regexTokens,
  SPACE,
  setSize,
  UNBOUNDED,
} from "./regex.js";

interface Kind {
  what: string;
  level: number;
}

const CARD: Kind = { what: "payment card numbers", level: 3 };
const SSN: Kind = { what: "US social security numbers", level: 3 };
const NINO: Kind = { what: "UK national insurance numbers", level: 3 };
const IBAN: Kind = { what: "bank account numbers (IBAN)", level: 3 };
const TAX_ID: Kind = { what: "German tax IDs (Steuer-ID)", level: 2 };
const PHONE: Kind = { what: "phone numbers", level: 2 };
const EMAIL: Kind = { what: "e-mail addresses of one domain", level: 2 };

type Sym = "D" | "U" | "L" | "S" | "@" | "." | "+" | "(" | ")" | "X";

interface Item {
  sym: Sym;
  min: number;
  max: number;
  ch?: string;
}

function isSubset(set: Uint32Array, pred: (b: number) => boolean): boolean {
  for (let b = 0; b < 256; b++) if (has(set, b) && !pred(b)) return false;
  return true;
}

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isUpper = (b: number) => b >= 0x41 && b <= 0x5a;
const isAlpha = (b: number) => isUpper(b) || (b >= 0x61 && b <= 0x7a);
const isSep = (b: number) => b === 0x20 || b === 0x2d || b === 0x2e || b === 0x2f || has(SPACE, b);

function classify(t: RegexToken): Item {
  const { min, max } = t;
  if (!t.set) return { sym: "X", min, max };
  const size = setSize(t.set);
  if (size === 1) {
    let b = 0;
    while (!has(t.set, b)) b++;
    const ch = String.fromCharCode(b);
    if (isDigit(b)) return { sym: "D", min, max, ch };
    if (ch === "@" || ch === "." || ch === "+" || ch === "(" || ch === ")")
      return { sym: ch, min, max, ch };
    if (isSep(b)) return { sym: "S", min, max, ch };
    if (isUpper(b)) return { sym: "U", min, max, ch };
    if (isAlpha(b)) return { sym: "L", min, max, ch };
    return { sym: "X", min, max, ch };
  }
  if (isSubset(t.set, isDigit)) return { sym: "D", min, max };
  if (isSubset(t.set, isSep)) return { sym: "S", min, max };
  if (isSubset(t.set, isUpper)) return { sym: "U", min, max };
  if (isSubset(t.set, isAlpha)) return { sym: "L", min, max };
  void DIGITS;
  return { sym: "X", min, max };
}

/** Digit groups: consecutive digit items merged, broken by anything else. */
interface Group {
  /** Digits from classes (`\d`, `[0-9]`), as opposed to literal digits. */
  open: number;
  min: number;
  max: number;
  /** Index of the item after the group. */
  next: number;
  start: number;
}

function digitGroups(items: Item[]): Group[] {
  const out: Group[] = [];
  let i = 0;
  while (i < items.length) {
    if ((items[i] as Item).sym !== "D") {
      i++;
      continue;
    }
    const start = i;
    let min = 0;
    let max = 0;
    let open = 0;
    while (i < items.length && (items[i] as Item).sym === "D") {
      if ((items[i] as Item).ch === undefined) open += (items[i] as Item).min;
      min += (items[i] as Item).min;
      max += (items[i] as Item).max;
      i++;
    }
    out.push({ open, min, max, next: i, start });
  }
  return out;
}

/** Groups `a` and `b` are adjacent but for separators (possibly optional). */
function separated(items: Item[], a: Group, b: Group): boolean {
  for (let i = a.next; i < b.start; i++) {
    const it = items[i] as Item;
    if ((it.sym !== "S" && it.sym !== "(" && it.sym !== ")") || it.max > 3) return false;
  }
  return true;
}

function fixed(g: Group, n: number): boolean {
  return g.min === n && g.max === n;
}

function shapeOf(items: Item[]): Kind | undefined {
  const groups = digitGroups(items);
  // A run of 13–19 digits, or groups of digits with separators summing to that.
  for (let i = 0; i < groups.length; i++) {
    let min = 0;
    let max = 0;
    let j = i;
    const seq: Group[] = [];
    for (; j < groups.length; j++) {
      const g = groups[j] as Group;
      if (j > i && !separated(items, groups[j - 1] as Group, g)) break;
      seq.push(g);
      min += g.min;
      max += g.max === UNBOUNDED ? 99 : g.max;
    }
    const lens = seq.map((g) => g.min);
    // Literal digits are one specific number (a date, a version), not a pattern for many.
    if (seq.reduce((n, g) => n + g.open, 0) * 2 < min) continue;
    if (
      seq.length >= 3 &&
      fixed(seq[0] as Group, 3) &&
      fixed(seq[1] as Group, 2) &&
      fixed(seq[2] as Group, 4)
    )
      return SSN;
    if (
      min >= 12 &&
      min <= 19 &&
      max <= 19 &&
      (seq.length === 1 || lens.every((l) => l >= 3 && l <= 6))
    ) {
      return min === 11 ? TAX_ID : CARD;
    }
    if (seq.length === 1 && fixed(seq[0] as Group, 11)) return TAX_ID;
    if (seq.length === 4 && lens.join() === "2,3,3,3") return TAX_ID;
    if (seq.length >= 3 && lens.slice(-3).join() === "3,3,4") return PHONE;
    if (seq.length >= 2 && min >= 8 && min <= 15) {
      const before = items[(seq[0] as Group).start - 1];
      if (before && (before.sym === "+" || before.sym === "(")) return PHONE;
    }
  }
  // Two capitals, six digits (pairs may be spaced), one capital: a UK NINO.
  const letters = items.filter((it) => it.sym !== "S");
  for (let i = 0; i + 2 < letters.length; i++) {
    const a = letters[i] as Item;
    if (a.sym !== "U" || a.min !== 2) continue;
    let digits = 0;
    let k = i + 1;
    while (k < letters.length && (letters[k] as Item).sym === "D")
      digits += (letters[k++] as Item).min;
    if (digits === 6 && letters[k]?.sym === "U" && letters[k]?.min === 1) return NINO;
    // IBAN: two capitals (or a country code), two check digits, then at least 10 more.
    if (digits >= 12 && digits <= 32) return IBAN;
  }
  for (let i = 0; i + 1 < letters.length; i++) {
    const a = letters[i] as Item;
    const b = letters[i + 1] as Item;
    if (a.sym === "U" && b.sym === "U" && a.min === 1 && b.min === 1 && a.ch && b.ch) {
      let digits = 0;
      let k = i + 2;
      while (
        k < letters.length &&
        ((letters[k] as Item).sym === "D" || (letters[k] as Item).sym === "X")
      ) {
        if ((letters[k] as Item).sym === "D") digits += (letters[k] as Item).min;
        k++;
      }
      if (digits >= 14 && digits <= 32 && i === 0) return IBAN;
    }
  }
  // Any address at one domain: a repeated local-part class, '@', then a literal domain.
  const at = items.findIndex((it) => it.sym === "@");
  if (at > 0) {
    const local = items[at - 1] as Item;
    const domain = items.slice(at + 1);
    const literal = domain.filter(
      (it) => it.ch !== undefined && it.min === 1 && it.max === 1,
    ).length;
    const wide = domain.some((it) => !it.ch && it.max > 1);
    const dotted = domain.some((it) => it.sym === ".");
    if (local.max > 1 && !local.ch && literal >= 4 && dotted && !wide) return EMAIL;
  }
  return undefined;
}

function domainOf(items: Item[]): string {
  const at = items.findIndex((it) => it.sym === "@");
  return items
    .slice(at + 1)
    .map((it) => it.ch ?? "")
    .join("");
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const LITERAL_CARD = /^(?:\d[ -]?){12,18}\d$/;
const LITERAL_SSN = /^\d{3}-\d{2}-\d{4}$/;
const SENSITIVE_DOMAIN =
  /\.(?:gov|mil|gouv\.[a-z]{2}|gob\.[a-z]{2}|gov\.[a-z]{2}|bund\.de|mod\.uk|nato\.int)$/i;

export function personalData(facts: RuleFacts): Finding[] {
  const found: { kind: Kind; evidence: string; level: number }[] = [];
  const judge = (pattern: string, evidence: string) => {
    const node = parseRegex(pattern);
    if (!node) return;
    const items = regexTokens(node).map(classify);
    const kind = shapeOf(items);
    if (!kind) return;
    let level = kind.level;
    let what = kind.what;
    if (kind === EMAIL) {
      const domain = domainOf(items);
      what = `e-mail addresses at ${domain}`;
      if (SENSITIVE_DOMAIN.test(domain)) level = 3;
    }
    found.push({ kind: { what, level }, evidence, level });
  };
  for (const s of facts.strings) {
    const def = s.def;
    if (def.kind === "regex") judge(def.pattern, stringSource(def));
    else if (def.kind === "text") {
      const v = def.value;
      if (LITERAL_CARD.test(v) && luhn(v.replace(/\D/g, ""))) {
        found.push({
          kind: { what: "one payment card number", level: 2 },
          evidence: stringSource(def),
          level: 2,
        });
      } else if (LITERAL_SSN.test(v)) {
        found.push({
          kind: { what: "one social security number", level: 2 },
          evidence: stringSource(def),
          level: 2,
        });
      } else if (/^@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i.test(v)) {
        const level = SENSITIVE_DOMAIN.test(v) ? 3 : 1;
        found.push({
          kind: { what: `e-mail addresses at ${v.slice(1)}`, level },
          evidence: stringSource(def),
          level,
        });
      }
    }
  }
  walk(facts.rule.condition, (e: Expr) => {
    if (e.kind === "regexp") judge(e.pattern, `/${e.pattern}/ in the condition`);
    return true;
  });
  if (found.length === 0) return [];
  let level = Math.max(...found.map((f) => f.level));
  if (facts.malware.length > 0) level -= 1;
  const whats = [...new Set(found.map((f) => f.kind.what))];
  return [
    makeFinding(
      "personal-data",
      severityOf(level),
      facts.ref,
      facts.rule.loc,
      `Rule ${facts.rule.name} has patterns shaped like ${whats.join(", ")}: it would find people's data, not malware${facts.malware.length > 0 ? " (it also has malware indicators)" : ""}.`,
      found.map((f) => `${f.evidence} — ${f.kind.what}`),
    ),
  ];
}
