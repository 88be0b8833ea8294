/** Percent-encoded tokens (`%40`, also `+` for a space as in form data). */
import { charge, type DecodeBudget, type DecodedToken } from "./decoded-text.js";

function isUrlTokenChar(c: number): boolean {
  // Everything but whitespace, quotes, angle brackets and backtick ends a URL-encoded token.
  return c > 32 && c !== 34 && c !== 39 && c !== 60 && c !== 62 && c !== 96 && c !== 127;
}

/** Percent-decoding to bytes, then UTF-8 (lenient: a stray `%` stays as it is). */
export function percentDecode(token: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 37 && i + 2 < token.length) {
      const hi = hexValue(token.charCodeAt(i + 1));
      const lo = hexValue(token.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (c === 43) bytes.push(32);
    else if (c < 128) bytes.push(c);
    else for (const b of Buffer.from(token.charAt(i))) bytes.push(b);
  }
  return Buffer.from(bytes).toString("utf8");
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

export function findUrlEncoded(text: string, budget: DecodeBudget, out: DecodedToken[]): void {
  let from = 0;
  for (let pct = text.indexOf("%", from); pct !== -1; pct = text.indexOf("%", from)) {
    let start = pct;
    while (start > 0 && isUrlTokenChar(text.charCodeAt(start - 1))) start--;
    let end = pct + 1;
    while (end < text.length && isUrlTokenChar(text.charCodeAt(end))) end++;
    from = end;
    const token = text.slice(start, end);
    if (!PERCENT_ESCAPE.test(token)) continue;
    if (!charge(budget, token.length)) return;
    const decoded = percentDecode(token);
    if (decoded !== token) out.push({ start, end, encoding: ["url"], texts: [decoded] });
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
