/**
 * Over-broad: rules that match almost every file. The condition is read as a lattice —
 * `always` (true, filesize > 0), `broad` (a tiny atom, a magic number alone, a negation), `narrow`
 * (anything that needs real content) — with `and` taking the narrower side and `or` the broader.
 */
import type { Expr } from "../ast.js";
import { exprText, magicOf, type RuleFacts, type StringFacts, setMembers } from "./facts.js";
import { type Finding, makeFinding } from "./model.js";

type Breadth = { k: "always"; why: string } | { k: "broad"; why: string } | { k: "narrow" };

const NARROW: Breadth = { k: "narrow" };
/** Fewer fixed bytes than this is a tiny atom. */
const TINY = 3;

function tiny(s: StringFacts | undefined): boolean {
  return s !== undefined && s.fixedCount < TINY;
}

function small(e: Expr): boolean {
  return e.kind === "int" && e.value <= 1024;
}

function breadth(e: Expr, facts: RuleFacts, ids: string[], depth = 0): Breadth {
  if (depth > 100) return NARROW;
  switch (e.kind) {
    case "bool":
      return e.value ? { k: "always", why: "the condition is `true`" } : NARROW;
    case "binary": {
      if (e.op === "and") {
        const a = breadth(e.left, facts, ids, depth + 1);
        const b = breadth(e.right, facts, ids, depth + 1);
        if (a.k === "narrow" || b.k === "narrow") return NARROW;
        if (a.k === "broad") return a;
        return b;
      }
      if (e.op === "or") {
        const a = breadth(e.left, facts, ids, depth + 1);
        const b = breadth(e.right, facts, ids, depth + 1);
        if (a.k === "always") return a;
        if (b.k === "always") return b;
        if (a.k === "broad") return a;
        return b;
      }
      // filesize > N, filesize >= N, filesize != 0 with a small N.
      const left = e.left.kind === "keyword" && e.left.name === "filesize";
      if (left && (e.op === ">" || e.op === ">=" || e.op === "!=") && small(e.right)) {
        return { k: "always", why: `\`${exprText(e)}\` holds for every file` };
      }
      if (
        left &&
        (e.op === "<" || e.op === "<=") &&
        e.right.kind === "int" &&
        e.right.value >= 1 << 20
      ) {
        return { k: "always", why: `\`${exprText(e)}\` holds for most files` };
      }
      const magic = magicOf(e);
      if (magic)
        return { k: "broad", why: `\`${exprText(e)}\` alone matches every ${magic.format} file` };
      return NARROW;
    }
    case "string_match": {
      const s = facts.byId.get(e.id);
      if (tiny(s) && !e.at)
        return { k: "broad", why: `${e.id} has fewer than ${TINY} fixed bytes` };
      return NARROW;
    }
    case "of": {
      if (e.set.kind !== "them" && e.set.kind !== "strings") return NARROW;
      const members = setMembers(e.set, ids).map((id) => facts.byId.get(id));
      if (members.length === 0 || e.at || e.in) return NARROW;
      const q = e.quantifier;
      const anyOne =
        q.kind === "any" || (q.kind === "count" && q.expr.kind === "int" && q.expr.value <= 1);
      if (anyOne && members.every(tiny)) {
        return {
          k: "broad",
          why: `\`${exprText(e)}\` where every string has fewer than ${TINY} fixed bytes`,
        };
      }
      if (q.kind === "none")
        return { k: "broad", why: `\`${exprText(e)}\` matches every file without them` };
      return NARROW;
    }
    case "unary":
      if (e.op === "not") {
        const inner = breadth(e.operand, facts, ids, depth + 1);
        if (inner.k === "narrow")
          return { k: "broad", why: `\`${exprText(e)}\` matches every file without it` };
      }
      return NARROW;
    default:
      return NARROW;
  }
}

export function overBroad(facts: RuleFacts): Finding[] {
  const rule = facts.rule;
  // A global rule narrows others; a broad one changes nothing.
  if (rule.isGlobal) return [];
  const ids = rule.strings.map((s) => s.id);
  const b = breadth(rule.condition, facts, ids);
  if (b.k === "narrow") return [];
  // Private rules only act through the rules that use them.
  const severity = rule.isPrivate
    ? "low"
    : b.k === "always" || b.why.includes("fixed bytes")
      ? "high"
      : "medium";
  return [
    makeFinding(
      "over-broad",
      severity,
      facts.ref,
      rule.loc,
      `Rule ${rule.name} matches almost every file: ${b.why}.`,
      [
        `condition: ${exprText(rule.condition)}`,
        ...facts.strings.filter((s) => tiny(s)).map((s) => s.id),
      ],
    ),
  ];
}
