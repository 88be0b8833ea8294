/**
 * JSON inside a string: the whole value when it is an object or array, or an object starting with
 * `{"` inside free text (`--config {"user":"…"}`). Its string leaves (and keys) are scanned; that
 * is what reveals data hidden behind `\uXXXX` escapes.
 */
import { charge, type DecodeBudget, type DecodedToken } from "./decoded-text.js";

/** The end of the JSON object or array starting at `start`, by bracket counting; -1 if none. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function stringLeaves(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (typeof value === "number") out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringLeaves(v, out);
    }
  }
}

const MAX_JSON_CANDIDATES = 16;

/**
 * JSON inside a string: the whole value when it is an object or array, or an object starting
 * with `{"` inside free text (`--config {"user":"…"}`). The scanner scans each string leaf.
 */
export function findJson(text: string, budget: DecodeBudget, out: DecodedToken[]): void {
  let tried = 0;
  let from = 0;
  let first = 0;
  while (first < text.length && text.charCodeAt(first) <= 32) first++;
  const c = text.charCodeAt(first);
  // `[System.IO.File]` starts with a bracket too: only a JSON-looking opening is parsed whole.
  let second = first + 1;
  while (second < text.length && text.charCodeAt(second) <= 32) second++;
  const d = text.charCodeAt(second);
  const whole =
    (c === 123 && (d === 34 || d === 125)) ||
    (c === 91 &&
      (d === 34 || d === 123 || d === 91 || d === 93 || d === 45 || (d >= 48 && d <= 57)));
  for (let start = whole ? first : text.indexOf('{"'); start !== -1; ) {
    if (++tried > MAX_JSON_CANDIDATES) return;
    const end = jsonEnd(text, start);
    if (end === -1) return;
    from = end;
    if (!charge(budget, end - start)) return;
    try {
      const leaves: string[] = [];
      stringLeaves(JSON.parse(text.slice(start, end)), leaves);
      if (leaves.length > 0) out.push({ start, end, encoding: ["json"], texts: leaves });
    } catch {
      from = start + 1;
    }
    start = text.indexOf('{"', from);
  }
}
