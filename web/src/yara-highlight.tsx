/**
 * YARA source, highlighted for reading: the text is cut into tokens, each rendered as a React text
 * node in a span whose class names its kind. Nothing is ever parsed as HTML, so a rule whose
 * strings or metadata hold markup shows that markup as characters.
 */
import type { ReactNode } from "react";

const KEYWORDS = new Set(
  (
    "rule private global import include meta strings condition and or not any all none of them " +
    "for in at filesize entrypoint true false defined matches contains icontains startswith " +
    "istartswith endswith iendswith iequals nocase wide ascii fullword xor base64 base64wide " +
    "private with"
  ).split(" "),
);

type Kind = "keyword" | "string" | "hex" | "regex" | "comment" | "number" | "variable" | "text";

// One alternation, tried at each position; the first group that matches names the kind.
const TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?)|(\{[0-9A-Fa-f?~\s[\]\-|()]*\}?)|(\/(?:[^/\\\n]|\\.)+\/[is]*)|([$#@!][A-Za-z0-9_]*\*?)|(\b0x[0-9A-Fa-f]+\b|\b\d+(?:KB|MB)?\b)|([A-Za-z_][A-Za-z0-9_]*)/g;

export function tokenizeYara(source: string): { kind: Kind; text: string }[] {
  const out: { kind: Kind; text: string }[] = [];
  let last = 0;
  for (const m of source.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ kind: "text", text: source.slice(last, at) });
    const kind: Kind = m[1]
      ? "comment"
      : m[2]
        ? "string"
        : m[3]
          ? "hex"
          : m[4]
            ? "regex"
            : m[5]
              ? "variable"
              : m[6]
                ? "number"
                : KEYWORDS.has(m[7] ?? "")
                  ? "keyword"
                  : "text";
    out.push({ kind, text: m[0] });
    last = at + m[0].length;
  }
  if (last < source.length) out.push({ kind: "text", text: source.slice(last) });
  return out;
}

/** Highlighted YARA as React nodes (text only). */
export function Yara({ source }: { source: string }): ReactNode {
  return tokenizeYara(source).map((t, i) =>
    t.kind === "text" ? (
      // biome-ignore lint/suspicious/noArrayIndexKey: tokens have no identity but their place.
      <span key={i}>{t.text}</span>
    ) : (
      // biome-ignore lint/suspicious/noArrayIndexKey: tokens have no identity but their place.
      <span key={i} className={`yara-${t.kind}`}>
        {t.text}
      </span>
    ),
  );
}

/** The rule that starts at `line` (1-based) in `source`: up to its closing brace. */
export function ruleExcerpt(source: string, line: number): string {
  const lines = source.split("\n");
  const out: string[] = [];
  let depth = 0;
  let opened = false;
  for (let i = Math.max(line - 1, 0); i < lines.length && out.length < 400; i++) {
    const text = lines[i] as string;
    out.push(text);
    for (const ch of text.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
      if (ch === "{") {
        depth++;
        opened = true;
      } else if (ch === "}") depth--;
    }
    if (opened && depth <= 0) break;
  }
  return out.join("\n");
}
