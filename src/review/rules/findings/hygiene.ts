/**
 * Hygiene (low): a new rule without a description, a reference or a sample hash in its meta
 * gives the reviewer nothing to check it against.
 */
import type { RuleFacts } from "./facts.js";
import { type Finding, makeFinding } from "./model.js";

const DESCRIPTION = /^(?:description|desc|info|summary|comment)$/i;
const REFERENCE = /^(?:ref(?:erence)?s?\d*|url|link|report|source)$/i;
const HASH = /^(?:(?:sample|hash|md5|sha1|sha256|sha-256|imphash)(?:_?\d+|s)?|samples?)$/i;

export function hygiene(facts: RuleFacts): Finding[] {
  const rule = facts.rule;
  if (rule.isPrivate) return [];
  const keys = rule.meta.map((m) => m.key);
  const missing: string[] = [];
  if (!keys.some((k) => DESCRIPTION.test(k))) missing.push("a description");
  if (!keys.some((k) => REFERENCE.test(k))) missing.push("a reference");
  if (!keys.some((k) => HASH.test(k))) missing.push("a sample hash");
  if (missing.length === 0) return [];
  return [
    makeFinding(
      "hygiene",
      "low",
      facts.ref,
      rule.loc,
      `New rule ${rule.name} lacks ${listed(missing)} in its meta.`,
      missing.map((m) => `missing ${m}`),
    ),
  ];
}

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  return items.length < 2
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
