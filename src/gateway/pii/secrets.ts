/**
 * Secrets and tokens: cloud and chat tokens with fixed prefixes, JWTs, private keys in PEM, and
 * values given to password/token/key words (`password=…`, `-Password …`, `"api_key": "…"`,
 * `Authorization: Bearer …`). For assignments the finding is the value only, so a redacted
 * `password=[SECRET]` still reads as what it was.
 */
import { type Detector, eachMatch, type Span } from "./detector.js";

/** Each pattern runs only when its literal marker occurs (one indexOf, no regex, on clean text). */
const PREFIXED_TOKENS: readonly { markers: readonly string[]; pattern: RegExp }[] = [
  {
    markers: ["AKIA", "ASIA", "ABIA", "ACCA"],
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  },
  {
    markers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  { markers: ["xox"], pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,250}/g },
  {
    markers: ["eyJ"],
    pattern: /\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,4096}/g,
  },
  { markers: ["sk_live_"], pattern: /\bsk_live_[A-Za-z0-9]{16,128}\b/g },
  { markers: ["AIza"], pattern: /\bAIza[A-Za-z0-9_-]{35}\b/g },
];
const KEYWORDS = ["pass", "pwd", "secret", "key", "token", "bearer", "basic"];
/** One native scan decides whether any of the patterns above can match at all. */
const ANY_MARKER =
  /AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox[abposr]-|eyJ|sk_live_|AIza|-----BEGIN/;
const ANY_KEYWORD = /pass|pwd|secret|key|token|bearer|basic/i;

/**
 * A key word used as one: a flag (`-password`), followed by `=` or `:` (after an optional quote
 * and spaces), or `bearer`/`basic` and a space. `-ExecutionPolicy Bypass` has "pass" but no cue,
 * so the assignment patterns do not run on it.
 */
function hasSecretCue(lower: string): boolean {
  const n = lower.length;
  for (let k = 0; k < KEYWORDS.length; k++) {
    const word = KEYWORDS[k] as string;
    for (let at = lower.indexOf(word); at !== -1; at = lower.indexOf(word, at + 1)) {
      let end = at + word.length;
      while (end < n && end - at < word.length + 12 && isCueWordChar(lower.charCodeAt(end))) end++;
      let j = end;
      while (j < n && j - end < 4 && isCueGapChar(lower.charCodeAt(j))) j++;
      const next = j < n ? lower.charCodeAt(j) : -1;
      if (next === 61 || next === 58) return true; // = :
      if (at > 0 && lower.charCodeAt(at - 1) === 45 && j > end) return true; // -password x
      if ((word === "bearer" || word === "basic") && end < n && lower.charCodeAt(end) === 32)
        return true;
    }
  }
  return false;
}

/** `[a-z_-]`: what may follow a key word inside the same name (`password_file`, `key-id`). */
function isCueWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || c === 95 || c === 45;
}

/** `["' \t]`: quotes and blanks between a name and its `=` or `:`. */
function isCueGapChar(c: number): boolean {
  return c === 34 || c === 39 || c === 32 || c === 9;
}

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/g;

// key word, optional closing quote, `=` or `:`, optional opening quote, then the value.
const ASSIGNMENT =
  /\b(password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|private[_-]?key)["']?[ \t]{0,3}[:=][ \t]{0,3}(?:"([^"\r\n]{1,256})"|'([^'\r\n]{1,256})'|([^\s"',;&<>)]{1,256}))/gi;
// command-line flags: `-Password x`, `--token x`, `/p:x` is too ambiguous and left out.
const FLAG =
  /(?<![\w-])--?(password|passwd|pwd|passphrase|secret|token|api-?key|apikey|access-?token|client-?secret)[ \t]{1,3}(?:"([^"\r\n]{1,256})"|'([^'\r\n]{1,256})'|([^\s"'-][^\s"']{0,255}))/gi;
const BEARER = /\b(?:Bearer|Basic)[ \t]{1,3}([A-Za-z0-9._~+/=-]{8,4096})/g;

/** Values that stand for a secret without being one. */
const PLACEHOLDER =
  /^(?:\*+|x+|<[^>]*>|\$\{?[\w:]+\}?|%\w+%|\$env:\w+|null|none|true|false|redacted|\[redacted\]|changeme|\.\.\.)$/i;

function isPasswordWord(word: string): boolean {
  const w = word.toLowerCase();
  return w.startsWith("pass") || w === "pwd";
}

/** Token-like: long enough and mixing character classes, as keys and tokens do. */
function looksLikeToken(value: string): boolean {
  if (value.length < 12) return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/\d/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return classes >= 2 && new Set(value).size >= 8;
}

function acceptValue(m: RegExpExecArray, out: Span[]): void {
  const word = m[1] as string;
  const value = m[2] ?? m[3] ?? m[4];
  if (value === undefined || PLACEHOLDER.test(value)) return;
  if (!isPasswordWord(word) && !looksLikeToken(value)) return;
  // The value is the last group, so it ends where the match ends (minus a closing quote).
  const quoted = m[4] === undefined;
  const end = m.index + m[0].length - (quoted ? 1 : 0);
  out.push({ entity: "SECRET", start: end - value.length, end });
}

export const secretDetector: Detector = {
  entity: "SECRET",
  find(text: string, out: Span[]): void {
    if (text.length < 8) return;
    const marked = ANY_MARKER.test(text);
    for (const { markers, pattern } of marked ? PREFIXED_TOKENS : []) {
      if (!markers.some((marker) => text.indexOf(marker) !== -1)) continue;
      eachMatch(pattern, text, 0, (m) => {
        out.push({ entity: "SECRET", start: m.index, end: m.index + m[0].length });
      });
    }
    if (marked && text.indexOf("-----BEGIN") !== -1) {
      eachMatch(PEM_BEGIN, text, 0, (m) => {
        const endMarker = text.indexOf("-----END", m.index + m[0].length);
        let end = m.index + m[0].length;
        if (endMarker !== -1 && endMarker - end < 16_384) {
          const close = text.indexOf("-----", endMarker + 8);
          end = close === -1 ? endMarker + 8 : close + 5;
        }
        out.push({ entity: "SECRET", start: m.index, end });
      });
    }
    if (!ANY_KEYWORD.test(text) || !hasSecretCue(text.toLowerCase())) return;
    eachMatch(ASSIGNMENT, text, 0, (m) => acceptValue(m, out));
    eachMatch(FLAG, text, 0, (m) => acceptValue(m, out));
    eachMatch(BEARER, text, 0, (m) => {
      const value = m[1] as string;
      if (!looksLikeToken(value)) return;
      const end = m.index + m[0].length;
      out.push({ entity: "SECRET", start: end - value.length, end });
    });
  },
};
