/**
 * Suppression: what switches other detections off. A global rule gates every rule of its file,
 * so a new one (versus the previous pack) is reported, at high severity when its condition is a
 * negation or a check on who/where; a rule that many others use as `not X` is a veto; and
 * `// suppress:` comments that would hide compiler warnings are reported, never obeyed.
 */
import type { Expr } from "../ast.js";
import { exprText, type RuleFacts, walk } from "./facts.js";
import { type Finding, makeFinding } from "./model.js";

const WHO_WHERE = new Set(["hostname", "username", "domain", "owner", "filepath", "filename"]);
/** A rule used as `not X` by this many others is a veto. */
const VETO_USERS = 2;

function negative(e: Expr): boolean {
  if (e.kind === "unary" && e.op === "not") return true;
  if (e.kind === "of" && e.quantifier.kind === "none") return true;
  if (e.kind === "binary" && e.op === "and") return negative(e.left) || negative(e.right);
  return false;
}

function mentionsWhoWhere(e: Expr): boolean {
  let found = false;
  walk(e, (x) => {
    if (x.kind === "identifier" && WHO_WHERE.has(x.name)) found = true;
    return !found;
  });
  return found;
}

export function suppression(all: RuleFacts[], previousGlobals: Set<string> | undefined): Finding[] {
  const out: Finding[] = [];
  const names = new Map(all.map((f) => [f.rule.name, f]));
  const vetoes = new Map<string, string[]>();

  for (const f of all) {
    const rule = f.rule;
    if (rule.isGlobal && !previousGlobals?.has(rule.name)) {
      const neg = negative(rule.condition);
      const who = mentionsWhoWhere(rule.condition);
      out.push(
        makeFinding(
          "suppression",
          neg || who ? "high" : "medium",
          f.ref,
          rule.loc,
          `New global rule ${rule.name} must hold for any rule in ${rule.loc.file} to match${
            neg ? "; its condition is a negation, so it switches detections off" : ""
          }${who ? "; it depends on who or where the scan runs" : ""}.`,
          [`global rule condition: ${exprText(rule.condition)}`],
        ),
      );
    }
    walk(rule.condition, (e) => {
      if (
        e.kind === "unary" &&
        e.op === "not" &&
        e.operand.kind === "identifier" &&
        names.has(e.operand.name)
      ) {
        const list = vetoes.get(e.operand.name) ?? [];
        list.push(rule.name);
        vetoes.set(e.operand.name, list);
      }
      return true;
    });
  }

  for (const [name, users] of vetoes) {
    if (users.length < VETO_USERS) continue;
    const f = names.get(name) as RuleFacts;
    out.push(
      makeFinding(
        "suppression",
        "medium",
        f.ref,
        f.rule.loc,
        `Rule ${name} vetoes ${users.length} other rules (they require \`not ${name}\`): whatever it matches, they never report.`,
        [
          `vetoed rules: ${users.slice(0, 20).join(", ")}${users.length > 20 ? ", …" : ""}`,
          `veto condition: ${exprText(f.rule.condition)}`,
        ],
      ),
    );
  }
  return out;
}

const SUPPRESS = /\/\/\s*suppress\s*:?(.*)$|\/\*\s*suppress\s*:(.*?)\*\//gim;

/** `// suppress:` comments in raw source text, with their line and column. */
export function suppressComments(file: string, source: string): Finding[] {
  const out: Finding[] = [];
  SUPPRESS.lastIndex = 0;
  for (let m = SUPPRESS.exec(source); m; m = SUPPRESS.exec(source)) {
    const before = source.slice(0, m.index);
    const line = before.split("\n").length;
    const column = m.index - before.lastIndexOf("\n");
    const text = m[0].trim();
    out.push(
      makeFinding(
        "suppression",
        "medium",
        file,
        { file, line, column },
        `A \`suppress:\` comment at ${file}:${line} asks to hide compiler warnings; the review reports it and does not obey it.`,
        [text, `line ${line}`],
      ),
    );
  }
  return out;
}
