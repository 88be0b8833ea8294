/**
 * AST → YARA text. Output compiles with `yara` to the same behaviour as the source: strings are
 * printed from their decoded bytes (so decoding is exercised), hex strings from their tokens,
 * and conditions with the fewest parentheses the precedence of the parser needs.
 */

import type {
  BinaryOp,
  Expr,
  HexToken,
  Meta,
  OfSet,
  Quantifier,
  RangeExpr,
  Rule,
  RuleFile,
  StringDef,
  StringModifiers,
} from "./ast.js";

const PREC: Record<BinaryOp, number> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  contains: 4,
  icontains: 4,
  startswith: 4,
  istartswith: 4,
  endswith: 4,
  iendswith: 4,
  iequals: 4,
  matches: 4,
  "<": 5,
  "<=": 5,
  ">": 5,
  ">=": 5,
  "|": 6,
  "^": 7,
  "&": 8,
  "<<": 9,
  ">>": 9,
  "+": 10,
  "-": 10,
  "*": 11,
  "\\": 11,
  "%": 11,
};

const P_NOT = 3;
const P_REL = 5;
const P_BITOR = 6;
const P_UNARY = 12;
const P_PRIMARY = 13;

function precOf(e: Expr): number {
  switch (e.kind) {
    case "binary":
      return PREC[e.op];
    case "unary":
      return e.op === "not" || e.op === "defined" ? P_NOT : P_UNARY;
    case "of":
      return P_NOT;
    case "string_match":
      return e.at || e.in ? P_REL : P_PRIMARY;
    case "string_count":
      return e.in ? P_REL : P_PRIMARY;
    default:
      return P_PRIMARY;
  }
}

/** A byte string as a YARA "…" literal body. */
export function escapeBytes(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += "\\\\";
    else if (c >= 32 && c < 127) out += value[i];
    else if (c === 10) out += "\\n";
    else if (c === 9) out += "\\t";
    else out += `\\x${(c & 0xff).toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** Unicode text (meta values) as a "…" literal body: non-ASCII stays as UTF-8 text. */
function escapeText(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += "\\\\";
    else if (c === 10) out += "\\n";
    else if (c === 9) out += "\\t";
    else if (c === 13) out += "\\r";
    else if (c < 32 || c === 127) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += value[i];
  }
  return out;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}

export function printHexTokens(tokens: readonly HexToken[]): string {
  const parts: string[] = [];
  for (const t of tokens) {
    if (t.kind === "byte") {
      const h = hex2(t.value);
      const text = (t.mask & 0xf0 ? h[0] : "?") + (t.mask & 0x0f ? h[1] : "?");
      parts.push(t.negated ? `~${text}` : text);
    } else if (t.kind === "jump") {
      if (t.max === undefined) parts.push(t.min === 0 ? "[-]" : `[${t.min}-]`);
      else if (t.min === t.max) parts.push(`[${t.min}]`);
      else parts.push(`[${t.min}-${t.max}]`);
    } else {
      parts.push(`( ${t.alternatives.map((a) => printHexTokens(a)).join(" | ")} )`);
    }
  }
  return parts.join(" ");
}

function printModifiers(m: StringModifiers): string {
  let out = "";
  if (m.nocase) out += " nocase";
  if (m.wide) out += " wide";
  if (m.ascii) out += " ascii";
  if (m.fullword) out += " fullword";
  if (m.private) out += " private";
  if (m.xor) {
    const { min, max } = m.xor;
    out += min === 0 && max === 255 ? " xor" : min === max ? ` xor(${min})` : ` xor(${min}-${max})`;
  }
  if (m.base64) {
    out +=
      m.base64.alphabet === undefined ? " base64" : ` base64("${escapeBytes(m.base64.alphabet)}")`;
  }
  if (m.base64wide) {
    out +=
      m.base64wide.alphabet === undefined
        ? " base64wide"
        : ` base64wide("${escapeBytes(m.base64wide.alphabet)}")`;
  }
  return out;
}

export function printString(s: StringDef): string {
  switch (s.kind) {
    case "text":
      return `${s.id} = "${escapeBytes(s.value)}"${printModifiers(s.modifiers)}`;
    case "hex":
      return `${s.id} = { ${printHexTokens(s.tokens)} }${printModifiers(s.modifiers)}`;
    case "regex":
      return `${s.id} = /${s.pattern}/${s.flags.nocase ? "i" : ""}${s.flags.dotall ? "s" : ""}${printModifiers(s.modifiers)}`;
  }
}

export function printMeta(m: Meta): string {
  const v = m.value;
  return `${m.key} = ${typeof v === "string" ? `"${escapeText(v)}"` : String(v)}`;
}

function printQuantifier(q: Quantifier): string {
  switch (q.kind) {
    case "count":
      return printExprAt(q.expr, P_BITOR);
    case "percent":
      return `${printExprAt(q.expr, P_UNARY)}%`;
    default:
      return q.kind;
  }
}

function printSet(s: OfSet): string {
  switch (s.kind) {
    case "them":
      return "them";
    case "strings":
    case "rules":
      return `(${s.items.map((i) => i.pattern).join(", ")})`;
    case "exprs":
      return `(${s.items.map((e) => printExpr(e)).join(", ")})`;
  }
}

function printRange(r: RangeExpr): string {
  return `(${printExprAt(r.from, P_BITOR)}..${printExprAt(r.to, P_BITOR)})`;
}

function printExprAt(e: Expr, min: number): string {
  const text = printExpr(e);
  return precOf(e) < min ? `(${text})` : text;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case "bool":
      return e.value ? "true" : "false";
    case "int":
    case "float":
      return e.raw;
    case "string":
      return `"${escapeBytes(e.value)}"`;
    case "regexp":
      return `/${e.pattern}/${e.flags.nocase ? "i" : ""}${e.flags.dotall ? "s" : ""}`;
    case "keyword":
      return e.name;
    case "string_match":
      if (e.at) return `${e.id} at ${printExprAt(e.at, P_BITOR)}`;
      if (e.in) return `${e.id} in ${printRange(e.in)}`;
      return e.id;
    case "string_count": {
      const id = `#${e.id.slice(1)}`;
      return e.in ? `${id} in ${printRange(e.in)}` : id;
    }
    case "string_offset":
    case "string_length": {
      const id = (e.kind === "string_offset" ? "@" : "!") + e.id.slice(1);
      return e.index ? `${id}[${printExpr(e.index)}]` : id;
    }
    case "identifier":
      return e.name;
    case "field":
      return `${printExprAt(e.object, P_PRIMARY)}.${e.name}`;
    case "index":
      return `${printExprAt(e.object, P_PRIMARY)}[${printExpr(e.index)}]`;
    case "call":
      return `${printExprAt(e.callee, P_PRIMARY)}(${e.args.map((a) => printExpr(a)).join(", ")})`;
    case "int_read":
      return `${e.fn}(${printExpr(e.offset)})`;
    case "unary":
      if (e.op === "not" || e.op === "defined") return `${e.op} ${printExprAt(e.operand, P_NOT)}`;
      return `${e.op}${printExprAt(e.operand, P_UNARY)}`;
    case "binary": {
      const p = PREC[e.op];
      return `${printExprAt(e.left, p)} ${e.op} ${printExprAt(e.right, p + 1)}`;
    }
    case "of": {
      let out = `${printQuantifier(e.quantifier)} of ${printSet(e.set)}`;
      if (e.in) out += ` in ${printRange(e.in)}`;
      if (e.at) out += ` at ${printExprAt(e.at, P_BITOR)}`;
      return out;
    }
    case "for_of":
      return `for ${printQuantifier(e.quantifier)} of ${printSet(e.set)} : (${printExpr(e.body)})`;
    case "for_in": {
      const it = e.iterable;
      const iter =
        it.kind === "range"
          ? printRange(it)
          : it.kind === "list"
            ? `(${it.items.map((i) => printExprAt(i, P_BITOR)).join(", ")})`
            : printExprAt(it.expr, P_UNARY);
      return `for ${printQuantifier(e.quantifier)} ${e.vars.join(", ")} in ${iter} : (${printExpr(e.body)})`;
    }
    case "with":
      return `with ${e.bindings.map((b) => `${b.name} = ${printExpr(b.value)}`).join(", ")} : (${printExpr(e.body)})`;
  }
}

export function printRule(r: Rule): string {
  let out = "";
  if (r.isPrivate) out += "private ";
  if (r.isGlobal) out += "global ";
  out += `rule ${r.name}`;
  if (r.tags.length > 0) out += ` : ${r.tags.join(" ")}`;
  out += " {\n";
  if (r.meta.length > 0) out += `  meta:\n${r.meta.map((m) => `    ${printMeta(m)}\n`).join("")}`;
  if (r.strings.length > 0) {
    out += `  strings:\n${r.strings.map((s) => `    ${printString(s)}\n`).join("")}`;
  }
  out += `  condition:\n    ${printExpr(r.condition)}\n}\n`;
  return out;
}

/** The whole file, includes flattened: imports first, then every rule in order. */
export function printRules(file: RuleFile): string {
  const modules = [...new Set(file.imports.map((i) => i.module))];
  const head = modules.map((m) => `import "${m}"\n`).join("");
  return `${head}${head ? "\n" : ""}${file.rules.map(printRule).join("\n")}`;
}
