/**
 * Strict JSON for signed documents. `JSON.parse` silently keeps the last of two equal keys and
 * turns `"\ud800"` into a lone surrogate; another verifier may keep the first key instead, so a
 * signed document with duplicate keys could mean two things. Here both are refused, as is
 * nesting deeper than `MAX_JSON_DEPTH`. Not exported from the component.
 */
import { hasLoneSurrogate } from "../crypto/index.js";

/** Our documents nest at most four levels; anything far deeper is not one of them. */
export const MAX_JSON_DEPTH = 32;

/**
 * Parses `text` as JSON, refusing duplicate object keys, escaped lone surrogates and deep
 * nesting. Returns the reason as a string instead of throwing, so each caller can raise its own
 * error code.
 */
export function parseStrictJson(text: string): { value: unknown } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: "it is not valid JSON" };
  }
  // The text is valid JSON now, so a simple scan can tell keys from values: a string is a key
  // exactly when it opens an object member (after "{" or after "," inside an object). String
  // contents are skipped with indexOf, which matters: most of a signed document is strings.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  let nextBackslash = text.indexOf("\\");
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      // A quote preceded by an odd number of backslashes is part of the string.
      for (;;) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      // The next backslash, found once and moved forward only when passed: linear overall.
      if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf("\\", i);
      const escaped = nextBackslash !== -1 && nextBackslash < end;
      const top = stack[stack.length - 1];
      const isKey = expectKey && top !== undefined && top !== null;
      if (escaped || isKey) {
        // Unescaped text came from valid UTF-8 (or was checked by the caller): no lone surrogates.
        const str = escaped
          ? (JSON.parse(text.slice(i, end + 1)) as string)
          : text.slice(i + 1, end);
        if (escaped && hasLoneSurrogate(str)) {
          return { error: "it contains an escaped unpaired UTF-16 surrogate" };
        }
        if (isKey) {
          if (top.has(str)) return { error: `it has the key ${JSON.stringify(str)} twice` };
          top.add(str);
          expectKey = false;
        }
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (stack.length >= MAX_JSON_DEPTH) {
        return { error: `it nests deeper than ${MAX_JSON_DEPTH} levels` };
      }
      stack.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = (stack[stack.length - 1] ?? null) !== null;
    }
    i++;
  }
  return { value };
}

/** A plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
