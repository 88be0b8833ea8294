/**
 * A logical signature's expression (libclamav matcher-ac.c cli_ac_chklsig), parsed as ClamAV
 * parses it: the first `&` or `|` outside parentheses splits the expression (so `0&1|2` is
 * `0&(1|2)`), a subsignature id may carry a count modifier (`0>2`, `0=0`, `0<3`, `0=2,1`), and so
 * may a parenthesised block (`(0|1)>2,1`). `=0` and `<n` hold when the subsignature is absent,
 * which is what makes an expression match files that lack something.
 *
 * Recursion is bounded by the expression's nesting, itself bounded (ClamAV allows 64
 * subsignatures); every step is linear in the text it looks at.
 */
import { HexSyntaxError } from "./hexsig.js";
import type { LogicModifier, LogicNode } from "./model.js";

const MAX_DEPTH = 64;
const LEAF = /^(\d+)(?:([=<>])(\d+)(?:,(\d+))?)?$/;
const MOD = /^([=<>])(\d+)(?:,(\d+))?$/;

function fail(text: string, what: string): never {
  throw new HexSyntaxError("E_SIGDB_LOGIC", `the logical expression ${text.slice(0, 120)} ${what}`);
}

function modifier(op: string, count: string, distinct: string | undefined): LogicModifier {
  return {
    op: op as LogicModifier["op"],
    count: Number(count),
    ...(distinct !== undefined ? { distinct: Number(distinct) } : {}),
  };
}

export function parseLogic(text: string): LogicNode {
  if (text.length === 0) fail(text, "is empty");
  return parse(text, 0, text.length, 0);
}

function parse(s: string, from: number, to: number, depth: number): LogicNode {
  if (depth > MAX_DEPTH) fail(s, "nests too deeply");
  if (from >= to) fail(s, "has an operator without an argument");
  let nest = 0;
  for (let i = from; i < to; i++) {
    const c = s[i];
    if (c === "(") nest++;
    else if (c === ")") {
      if (--nest < 0) fail(s, "closes a parenthesis it never opened");
    } else if ((c === "&" || c === "|") && nest === 0) {
      return {
        k: c === "&" ? "and" : "or",
        left: parse(s, from, i, depth + 1),
        right: parse(s, i + 1, to, depth + 1),
      };
    }
  }
  if (nest !== 0) fail(s, "leaves a parenthesis open");
  if (s[from] === "(") {
    let close = -1;
    nest = 0;
    for (let i = from; i < to; i++) {
      if (s[i] === "(") nest++;
      else if (s[i] === ")" && --nest === 0) {
        close = i;
        break;
      }
    }
    const inner = parse(s, from + 1, close, depth + 1);
    if (close === to - 1) return inner;
    const m = MOD.exec(s.slice(close + 1, to));
    if (!m)
      fail(s, `has "${s.slice(close + 1, to)}" after a parenthesis, which is not a count modifier`);
    return { ...inner, mod: modifier(m[1] as string, m[2] as string, m[3]) };
  }
  const m = LEAF.exec(s.slice(from, to));
  if (!m) fail(s, `has "${s.slice(from, to)}", which is not a subsignature number`);
  return m[2] === undefined
    ? { k: "id", id: Number(m[1]) }
    : { k: "id", id: Number(m[1]), mod: modifier(m[2], m[3] as string, m[4]) };
}

/** The highest subsignature id the expression uses. */
export function maxLogicId(node: LogicNode): number {
  return node.k === "id" ? node.id : Math.max(maxLogicId(node.left), maxLogicId(node.right));
}

/** Whether a modifier holds for a subsignature or block that does not match at all. */
export function holdsWhenAbsent(mod: LogicModifier | undefined): boolean {
  if (!mod) return false;
  return (mod.op === "=" && mod.count === 0) || (mod.op === "<" && mod.count > 0);
}

export function logicText(node: LogicNode): string {
  const mod = (m: LogicModifier | undefined) =>
    m ? `${m.op}${m.count}${m.distinct !== undefined ? `,${m.distinct}` : ""}` : "";
  if (node.k === "id") return `${node.id}${mod(node.mod)}`;
  const inner = `${logicText(node.left)}${node.k === "and" ? "&" : "|"}${logicText(node.right)}`;
  return node.mod ? `(${inner})${mod(node.mod)}` : inner;
}
