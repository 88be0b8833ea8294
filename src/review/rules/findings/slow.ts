/**
 * Slow: what YARA-X warns about or what makes a scanner crawl — regexes that start unbounded,
 * hex strings with leading/trailing wildcards, consecutive or unbounded jumps, `for` loops over
 * the whole file, and strings whose best atom has fewer than two distinct fixed bytes.
 */
import type { Expr, HexToken } from "../ast.js";
import { exprText, type RuleFacts, stringSource, walk } from "./facts.js";
import { type Finding, makeFinding, type Severity, severityOf } from "./model.js";
import type { RegexNode } from "./regex.js";

/** A `for` over more iterations than this is a slow loop. */
const LOOP_LIMIT = 10_000;

/** All bytes the same (fewer than 2 distinct). */
function oneByte(s: string): boolean {
  const c = s.charCodeAt(0);
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) !== c) return false;
  return true;
}

function leadingUnbounded(node: RegexNode): boolean {
  if (node.k === "rep")
    return (
      node.max === Number.POSITIVE_INFINITY && (node.node.k === "any" || node.node.k === "char")
    );
  if (node.k === "seq") {
    for (const item of node.items) {
      if (item.k === "anchor") continue;
      return leadingUnbounded(item);
    }
  }
  if (node.k === "alt") return node.alts.some(leadingUnbounded);
  return false;
}

function anyUnboundedDot(node: RegexNode): boolean {
  switch (node.k) {
    case "rep":
      return (
        (node.max === Number.POSITIVE_INFINITY && node.node.k === "any") ||
        anyUnboundedDot(node.node)
      );
    case "seq":
      return node.items.some(anyUnboundedDot);
    case "alt":
      return node.alts.some(anyUnboundedDot);
    default:
      return false;
  }
}

function hexProblems(tokens: HexToken[]): string[] {
  const out: string[] = [];
  const wild = (t: HexToken | undefined) =>
    t !== undefined && (t.kind === "jump" || (t.kind === "byte" && t.mask === 0));
  if (wild(tokens[0])) out.push("starts with a wildcard");
  if (wild(tokens[tokens.length - 1])) out.push("ends with a wildcard");
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i]?.kind === "jump" && tokens[i + 1]?.kind === "jump") {
      out.push("has consecutive jumps");
      break;
    }
  }
  if (tokens.some((t) => t.kind === "jump" && t.max === undefined))
    out.push("has an unbounded jump");
  for (const t of tokens)
    if (t.kind === "alt")
      for (const a of t.alternatives) out.push(...hexProblems(a).filter((p) => p.includes("jump")));
  return [...new Set(out)];
}

function loopSize(e: Expr): string | undefined {
  if (e.kind !== "for_in" || e.iterable.kind !== "range") return undefined;
  const { from, to } = e.iterable;
  const usesFilesize = (x: Expr) => {
    let found = false;
    walk(x, (y) => {
      if (y.kind === "keyword" && y.name === "filesize") found = true;
      return !found;
    });
    return found;
  };
  if (usesFilesize(to)) return "loops up to filesize";
  if (from.kind === "int" && to.kind === "int" && to.value - from.value > LOOP_LIMIT) {
    return `loops ${to.value - from.value} times`;
  }
  return undefined;
}

export function slow(facts: RuleFacts): Finding[] {
  const items: { level: number; evidence: string }[] = [];
  for (const s of facts.strings) {
    const def = s.def;
    const problems: string[] = [];
    let level = 1;
    if (def.kind === "regex" && s.regex) {
      if (leadingUnbounded(s.regex)) {
        problems.push("starts with an unbounded repeat");
        level = 2;
      } else if (anyUnboundedDot(s.regex)) problems.push("has an unbounded `.*`/`.+`");
    }
    if (def.kind === "hex") problems.push(...hexProblems(def.tokens));
    if (s.fixedRun.length > 0 && s.fixedRun.length < 8 && oneByte(s.fixedRun)) {
      problems.push(`its best atom has fewer than 2 distinct fixed bytes`);
    } else if (s.fixedRun.length === 0) {
      problems.push("it has no fixed bytes to search for");
      level = 2;
    }
    if (problems.length > 0)
      items.push({ level, evidence: `${stringSource(def)}: ${problems.join(", ")}` });
  }
  walk(facts.rule.condition, (e) => {
    const why = loopSize(e);
    if (why) items.push({ level: 2, evidence: `${exprText(e).slice(0, 200)}: ${why}` });
    return true;
  });
  if (items.length === 0) return [];
  const severity: Severity = severityOf(Math.max(...items.map((i) => i.level)));
  return [
    makeFinding(
      "slow",
      severity,
      facts.ref,
      facts.rule.loc,
      `Rule ${facts.rule.name} has ${items.length} pattern${items.length === 1 ? "" : "s"} or loop${items.length === 1 ? "" : "s"} that make scanning slow.`,
      items.map((i) => i.evidence),
    ),
  ];
}
