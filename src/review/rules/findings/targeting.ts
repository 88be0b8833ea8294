/**
 * Targeting: conditions on who or where rather than on what a file does — external variables for
 * the machine, the user or the path compared with specific values, and rules whose whole decision
 * is one known file's hash.
 */
import type { Expr } from "../ast.js";
import { exprText, isIdent, type RuleFacts, readable, walk } from "./facts.js";
import { type Finding, makeFinding, severityOf } from "./model.js";

/** Externals that name a person or a machine. */
const WHO = new Set(["hostname", "username", "domain", "owner", "computername", "user", "machine"]);
/** Externals that name a place on disk. */
const WHERE = new Set(["filepath", "filename"]);
/** Externals that are the scanned file's own hash. */
const HASH_EXTERNALS = new Set(["md5", "sha1", "sha256"]);

const COMPARE = new Set([
  "==",
  "!=",
  "contains",
  "icontains",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "iequals",
  "matches",
]);

/** A path in one person's profile: C:\Users\alice\…, /home/alice/…, /Users/alice/… */
const USER_PATH =
  /(?:^|[\\/])(?:users|home|documents and settings)[\\/](?!public\b|default\b|all users\b)[^\\/*?]+/i;

function literalText(e: Expr): string | undefined {
  if (e.kind === "string") return readable(e.value);
  if (e.kind === "regexp") return `/${e.pattern}/`;
  return undefined;
}

function isHashCall(e: Expr): boolean {
  return (
    (e.kind === "call" && e.callee.kind === "field" && isIdent(e.callee.object, "hash")) ||
    (e.kind === "identifier" && HASH_EXTERNALS.has(e.name))
  );
}

/** The condition is only hash equalities (and size checks), joined by `or`/`and`. */
function onlyHashes(e: Expr, out: Expr[]): boolean {
  if (e.kind === "binary" && (e.op === "or" || e.op === "and")) {
    return onlyHashes(e.left, out) && onlyHashes(e.right, out);
  }
  if (e.kind === "binary" && (e.op === "==" || e.op === "iequals")) {
    if (
      (isHashCall(e.left) && e.right.kind === "string") ||
      (isHashCall(e.right) && e.left.kind === "string")
    ) {
      out.push(e);
      return true;
    }
  }
  // Size checks and magic numbers may narrow it down; they do not make it a behaviour.
  if (e.kind === "binary" && ["<", "<=", ">", ">=", "=="].includes(e.op)) {
    return (
      e.left.kind === "keyword" ||
      e.right.kind === "keyword" ||
      e.left.kind === "int_read" ||
      e.right.kind === "int_read"
    );
  }
  return false;
}

export function targeting(facts: RuleFacts): Finding[] {
  const out: Finding[] = [];
  const rule = facts.rule;
  const who: string[] = [];
  const where: string[] = [];
  const wherePersonal: string[] = [];
  walk(rule.condition, (e) => {
    if (e.kind !== "binary" || !COMPARE.has(e.op)) return true;
    const [id, lit] =
      e.left.kind === "identifier"
        ? [e.left.name, literalText(e.right)]
        : e.right.kind === "identifier"
          ? [e.right.name, literalText(e.left)]
          : [];
    if (!id || lit === undefined) return true;
    if (WHO.has(id)) who.push(exprText(e));
    else if (WHERE.has(id)) {
      const path = lit.replace(/\\(.)/g, "$1");
      (USER_PATH.test(path) || USER_PATH.test(lit) ? wherePersonal : where).push(exprText(e));
    }
    return false;
  });
  if (who.length > 0 || wherePersonal.length > 0) {
    out.push(
      makeFinding(
        "targeting",
        "high",
        facts.ref,
        rule.loc,
        `Rule ${rule.name} decides on who or which machine is scanned (${[...who, ...wherePersonal].join("; ")}), not on what the file does.`,
        [...who, ...wherePersonal, ...where],
      ),
    );
  } else if (where.length > 0) {
    out.push(
      makeFinding(
        "targeting",
        "medium",
        facts.ref,
        rule.loc,
        `Rule ${rule.name} decides on a specific file name or path (${where.join("; ")}), not on what the file does.`,
        where,
      ),
    );
  }

  const hashes: Expr[] = [];
  if (onlyHashes(rule.condition, hashes) && hashes.length > 0) {
    const gated = facts.docGates.length > 0;
    const one = hashes.length === 1;
    out.push(
      makeFinding(
        "targeting",
        severityOf(one ? (gated ? 3 : 2) : 1),
        facts.ref,
        rule.loc,
        one
          ? `Rule ${rule.name} matches exactly one known file by its hash (${exprText(hashes[0] as Expr)}): it finds that file wherever it is, whatever it is.`
          : `Rule ${rule.name} matches only ${hashes.length} known files by their hashes: a list of specific files, not a behaviour.`,
        hashes.map((h) => exprText(h)),
      ),
    );
  }
  return out;
}
