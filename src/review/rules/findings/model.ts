/**
 * The rule review's findings are the shared review model (`../../finding.ts`); this module adds
 * only what is YARA's own: a rule's reference, `file:name`.
 */
import type { Rule } from "../ast.js";

export {
  type Category,
  countBySeverity,
  type Finding,
  levelOf,
  makeFinding,
  SEVERITIES,
  type Severity,
  severityOf,
  stableHash,
} from "../../finding.js";

export function ruleRef(rule: Rule): string {
  return `${rule.loc.file}:${rule.name}`;
}
