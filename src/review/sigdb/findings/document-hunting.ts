/**
 * Document hunting in a signature database: a body, logical or container signature whose bytes
 * (or file-name regex) spell a classification marking, a handling caveat or the name of a state
 * body, read with the same keyword engine and the same severity rule as the YARA review
 * (`../../keywords`): plain, UTF-16 or legacy code pages in the hex, regex samples, base64 or hex
 * text written out, one-byte XOR, and a word split across subsignatures.
 *
 * Severity: the term's level, then one higher when the signature is aimed at documents and has no
 * malware indicators, one lower when it has some (a malicious-document signature quoting a lure).
 */

import { type Finding, makeFinding, severityOf } from "../../finding.js";
import {
  huntingLevel,
  readable,
  type Spelling,
  spelledTerms,
  type Term,
  termsAcrossPieces,
} from "../../keywords/index.js";
import { locationOf, type Signature } from "../model.js";
import { clip, documentAim, malwareTraits, type PatternFacts, patternsOf } from "./facts.js";

interface Hit {
  term: Term;
  level: number;
  evidence: string;
  how: string;
}

function describe(p: PatternFacts, sp: Spelling): Hit {
  const where = `${p.label} ${clip(p.source)}`;
  switch (sp.way) {
    case "as written":
      return {
        term: sp.term,
        level: sp.level,
        evidence: `${where} spells "${sp.term.text}" ("${clip(readable(sp.view), 80)}")`,
        how: p.label.includes("regex") ? "a regular expression" : "bytes",
      };
    case "base64 written out":
    case "hex text written out":
      return {
        term: sp.term,
        level: sp.level,
        evidence: `${where} is ${sp.way === "base64 written out" ? "base64" : "hex text"} of "${clip(readable(sp.view), 80)}"`,
        how: sp.way === "base64 written out" ? "base64 text" : "hex digits as text",
      };
    case "XOR written out":
      return {
        term: sp.term,
        level: sp.level,
        evidence: `${where} is "${sp.term.text}" XORed with the one-byte key 0x${(sp.key ?? 0).toString(16).padStart(2, "0")}`,
        how: "bytes XORed with a one-byte key",
      };
  }
}

/** Views of a pattern that are themselves text and may be written out encoded. */
function literalOf(p: PatternFacts): string | undefined {
  const v = p.views[0];
  return v !== undefined && p.views.length === 1 && /^[\x20-\x7e]+$/.test(v) ? v : undefined;
}

export function documentHunting(s: Signature): Finding | undefined {
  const patterns = patternsOf(s);
  if (patterns.length === 0) return undefined;
  const hits: Hit[] = [];
  const seen = new Set<string>();
  const add = (h: Hit) => {
    const key = `${h.term.text}\n${h.evidence}`;
    if (!seen.has(key)) {
      seen.add(key);
      hits.push(h);
    }
  };
  for (const p of patterns) {
    const literal = literalOf(p);
    for (const sp of spelledTerms(p.views, {
      nocase: p.nocase,
      xor: p.xor,
      ...(literal !== undefined ? { literal } : {}),
    })) {
      add(describe(p, sp));
    }
  }
  if (s.kind === "logical") splitAcrossSubsignatures(patterns, add);
  if (hits.length === 0) return undefined;

  const aim = documentAim(s, patterns);
  const malware = malwareTraits(s, patterns);
  const level = huntingLevel(
    Math.max(...hits.map((h) => h.level)),
    aim !== undefined,
    malware.length > 0,
  );
  const terms = [...new Set(hits.map((h) => `"${h.term.text}" (${h.term.what})`))];
  const ways = [...new Set(hits.map((h) => h.how))];
  let message = `Signature ${s.name} looks for ${terms.join(", ")} in scanned files, written as ${ways.join(", ")}`;
  if (aim) message += `; it is aimed at documents (${aim})`;
  message += malware.length
    ? "; it also has malware indicators, so this may be a malicious-document signature quoting a lure."
    : "; it has no malware indicators.";
  return makeFinding(
    "document-hunting",
    severityOf(level),
    `${s.file}:${s.name}`,
    locationOf(s),
    message,
    [
      ...hits.map((h) => h.evidence),
      ...(aim ? [`aimed at documents: ${aim}`] : []),
      ...malware.map((m) => `malware indicator: ${m}`),
    ],
  );
}

/** Words split across subsignatures: "TOP" in one, " SECRET" in the next. */
function splitAcrossSubsignatures(patterns: readonly PatternFacts[], add: (h: Hit) => void): void {
  const parts = patterns.filter(
    (p) =>
      !p.label.includes("regex") &&
      (p.views[0]?.length ?? 0) > 0 &&
      (p.views[0]?.length ?? 0) <= 48,
  );
  termsAcrossPieces(
    parts,
    (p) => p.views[0] as string,
    parts,
    ({ term, level, spanned }) =>
      add({
        term,
        level,
        evidence: `${spanned.map((p) => `${p.label} ${clip(p.source, 60)}`).join(" + ")} together spell "${term.text}"`,
        how: "pieces in separate subsignatures",
      }),
  );
}
