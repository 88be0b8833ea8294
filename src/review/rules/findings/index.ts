/**
 * Rule review findings: `analyzeRules(files, { previous, sources })` reads parsed YARA files and
 * returns what a reviewer should look at, each finding with a severity, the rule, the location,
 * a sentence to check and the decoded evidence. Pure, synchronous and browser-safe; the matchers
 * are compiled once per process, and untrusted regexes are only read, never run.
 *
 * Categories, one module each: document-hunting, targeting, personal-data, over-broad,
 * suppression, slow, hygiene.
 */
import type { RuleFile } from "../ast.js";
import { documentHunting } from "./document-hunting.js";
import { ruleFacts } from "./facts.js";
import { hygiene } from "./hygiene.js";
import { type Finding, levelOf, ruleRef } from "./model.js";
import { overBroad } from "./over-broad.js";
import { personalData } from "./personal-data.js";
import { slow } from "./slow.js";
import { suppressComments, suppression } from "./suppression.js";
import { targeting } from "./targeting.js";

export type { Category, Finding, Severity } from "./model.js";
export { SEVERITIES } from "./model.js";

export interface AnalyzeOptions {
  /** The previous pack: rules and global rules not in it are "new". Without it, all are new. */
  previous?: RuleFile[];
  /**
   * Raw source text by file name, to find `// suppress:` comments (the syntax tree keeps no
   * comments).
   */
  sources?: ReadonlyMap<string, string> | Record<string, string>;
}

export function analyzeRules(files: RuleFile[], options: AnalyzeOptions = {}): Finding[] {
  let previousNames: Set<string> | undefined;
  let previousGlobals: Set<string> | undefined;
  if (options.previous) {
    previousNames = new Set();
    previousGlobals = new Set();
    for (const f of options.previous) {
      for (const r of f.rules) {
        previousNames.add(r.name);
        if (r.isGlobal) previousGlobals.add(r.name);
      }
    }
  }

  const out: Finding[] = [];
  const all = [];
  const seen = new Set<string>();
  for (const file of files) {
    for (const rule of file.rules) {
      // Included files appear in every file that includes them: analyse each rule once.
      const ref = ruleRef(rule);
      if (seen.has(ref)) continue;
      seen.add(ref);
      const facts = ruleFacts(rule, ref);
      all.push(facts);
      append(out, documentHunting(facts));
      append(out, targeting(facts));
      append(out, personalData(facts));
      append(out, overBroad(facts));
      append(out, slow(facts));
      if (!previousNames?.has(rule.name)) append(out, hygiene(facts));
    }
  }
  out.push(...suppression(all, previousGlobals));

  const sources = options.sources;
  if (sources) {
    const entries = sources instanceof Map ? [...sources.entries()] : Object.entries(sources);
    for (const [file, text] of entries) out.push(...suppressComments(file, text));
  }

  // Most severe first, then by place.
  return out.sort(
    (a, b) =>
      levelOf(b.severity) - levelOf(a.severity) ||
      compare(a.location.file, b.location.file) ||
      a.location.line - b.location.line ||
      compare(a.category, b.category),
  );
}

function append(out: Finding[], more: Finding[]): void {
  for (let i = 0; i < more.length; i++) out.push(more[i] as Finding);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
