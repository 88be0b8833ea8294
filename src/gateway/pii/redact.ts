/**
 * `redactText`: replaces each finding's span with what `replace` returns and keeps everything
 * around it. The result is always a well-formed string (no lone surrogate halves), so the caller
 * can put it back into JSON as is.
 */
import { CrosscheckError } from "../../errors/index.js";
import type { PiiFinding } from "./scan.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function redactText(
  text: string,
  findings: readonly PiiFinding[],
  replace: (finding: PiiFinding, original: string) => string,
): string {
  if (findings.length === 0) return text;
  const ordered = [...findings].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const f of ordered) {
    if (
      !(Number.isInteger(f.start) && Number.isInteger(f.end)) ||
      f.start < at ||
      f.end < f.start ||
      f.end > text.length
    ) {
      throw new CrosscheckError(
        "E_PII_SPAN",
        `A finding at ${f.start}..${f.end} lies outside the text or overlaps another; redact with the findings scanText returned for this same text.`,
      );
    }
    out += text.slice(at, f.start) + replace(f, text.slice(f.start, f.end));
    at = f.end;
  }
  out += text.slice(at);
  return out.replace(LONE_SURROGATE, "\uFFFD");
}
