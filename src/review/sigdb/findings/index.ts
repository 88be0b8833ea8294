/**
 * Signature database findings: `analyzeDatabase(next, { previous, diff })` reads a parsed
 * database and returns what a reviewer should look at, in the review's one finding model
 * (`../../finding.ts`), most severe first. Categories, one module each: integrity and header
 * sanity, document hunting, document targeting, over-broad, silencing, bytecode; YARA rules
 * inside the database go through the rules analyzer (Decision 21). Pure: it reads what the loader
 * produced and runs nothing from the database.
 */
import { compareFindings, type Finding } from "../../finding.js";
import { analyzeRules } from "../../rules/findings/index.js";
import type { SignatureDatabase } from "../database.js";
import type { SigdbDiff } from "../diff.js";
import { bytecodeFindings } from "./bytecode.js";
import { documentHunting } from "./document-hunting.js";
import { headerFindings, integrityFindings } from "./header.js";
import { overBroad } from "./over-broad.js";
import { silencing } from "./silencing.js";
import { documentTargeting } from "./targeting.js";

export interface AnalyzeDatabaseOptions {
  previous?: SignatureDatabase;
  /** The diff against `previous`, when the caller has it (saves computing it twice). */
  diff?: SigdbDiff;
}

export function analyzeDatabase(
  next: SignatureDatabase,
  options: AnalyzeDatabaseOptions = {},
): Finding[] {
  const out: Finding[] = [...integrityFindings(next), ...headerFindings(next, options.previous)];
  for (const s of next.signatures) {
    if (s.kind !== "body" && s.kind !== "logical" && s.kind !== "container") continue;
    const hunting = documentHunting(s);
    if (hunting) out.push(hunting);
    else {
      const targeting = documentTargeting(s);
      if (targeting) out.push(targeting);
    }
    const broad = overBroad(s);
    if (broad) out.push(broad);
  }
  out.push(...silencing(next, options.previous, options.diff));
  out.push(...bytecodeFindings(next, options.previous));
  if (next.yara.files.length > 0) {
    out.push(
      ...analyzeRules(next.yara.files, {
        ...(options.previous ? { previous: options.previous.yara.files } : {}),
        sources: next.yara.sources,
      }),
    );
  }
  return out.sort(compareFindings);
}
