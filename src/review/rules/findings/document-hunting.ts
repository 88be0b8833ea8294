/**
 * Document hunting: a rule whose strings spell a classification marking, a handling caveat or the
 * name of a state body, in any encoding YARA can express. The spelling is the shared keyword
 * engine's (`../../keywords`: one scanner and one cascade of hand-written encodings for YARA and
 * ClamAV alike); what a string spells comes from `facts.ts` (hex gaps dropped, NULs removed, regex
 * classes reduced to one letter). What is YARA's own here: which strings may be tried as base64
 * or XOR written out (modifiers say), and words split across several strings.
 *
 * Severity starts at the term's level, one lower when a capitals-only term was only matched by
 * folding case; then `huntingLevel`: one higher when the rule is gated on a document format with
 * no malware indicators, one lower when it has malware indicators (a maldoc rule quoting a lure).
 */
import {
  huntingLevel,
  readable,
  type Spelling,
  spelledTerms,
  type Term,
  termsAcrossPieces,
} from "../../keywords/index.js";
import { describeString, type RuleFacts, type StringFacts, stringSource } from "./facts.js";
import { type Finding, makeFinding, severityOf } from "./model.js";

/** A short piece of a word (letters, maybe a separator, or non-ASCII text). */
const WORDLIKE = /^(?:[A-Za-z \-_/]|[\x80-\xff])(?:[A-Za-z \-_/]|[\x80-\xff]){1,15}$/;

interface Hit {
  term: Term;
  level: number;
  evidence: string;
  how: string;
}

function spellingsOf(s: StringFacts): Spelling[] {
  const def = s.def;
  const literal =
    def.kind === "text" && !def.modifiers.base64 && !def.modifiers.base64wide
      ? def.value
      : undefined;
  return spelledTerms(s.views, { nocase: s.nocase, literal, xor: def.kind !== "regex" });
}

function describe(s: StringFacts, sp: Spelling): { evidence: string; how: string } {
  const source = stringSource(s.def);
  switch (sp.way) {
    case "as written":
      return { evidence: `${source} spells "${sp.term.text}"`, how: describeString(s.def) };
    case "base64 written out":
    case "hex text written out":
      return {
        evidence: `${source} is ${sp.way === "base64 written out" ? "base64" : "hex text"} of "${readable(sp.view)}"`,
        how: sp.way,
      };
    case "XOR written out":
      return {
        evidence: `${source} is "${sp.term.text}" XORed with a one-byte key (0x${(sp.key ?? 0).toString(16).padStart(2, "0")} or a case variant)`,
        how: sp.way,
      };
  }
}

export function documentHunting(facts: RuleFacts): Finding[] {
  const hits: Hit[] = [];
  const seen = new Set<string>();
  const record = (term: Term, level: number, evidence: string, how: string) => {
    const key = `${term.text}\n${evidence}`;
    if (seen.has(key)) return;
    seen.add(key);
    hits.push({ term, level, evidence, how });
  };

  for (const s of facts.strings) {
    for (const sp of spellingsOf(s)) {
      const { evidence, how } = describe(s, sp);
      record(sp.term, sp.level, evidence, how);
    }
  }

  splitAcrossStrings(facts, record);
  if (hits.length === 0) return [];

  const gated = facts.docGates.length > 0;
  const malware = facts.malware.length > 0;
  const level = huntingLevel(Math.max(...hits.map((h) => h.level)), gated, malware);

  const terms = [...new Set(hits.map((h) => `"${h.term.text}" (${h.term.what})`))];
  const formats = [...new Set(facts.docGates.map((g) => g.format))];
  const ways = [...new Set(hits.map((h) => h.how))];
  let message = `Rule ${facts.rule.name} looks for ${terms.join(", ")} in the scanned files, written as ${ways.join(", ")}`;
  if (gated) message += `; it is gated on ${formats.join("/")} documents`;
  message += malware
    ? "; it also has malware indicators, so this may be a malicious-document rule quoting a lure."
    : "; it has no malware indicators.";
  const evidence = [
    ...hits.map((h) => h.evidence),
    ...facts.docGates.map((g) => `document gate (${g.format}): ${g.evidence}`),
    ...facts.malware.map((m) => `malware indicator: ${m}`),
  ];
  return [
    makeFinding(
      "document-hunting",
      severityOf(level),
      facts.ref,
      facts.rule.loc,
      message,
      evidence,
    ),
  ];
}

/** Words split across strings: "TOP" + "SECRET" combined by the condition. */
function splitAcrossStrings(
  facts: RuleFacts,
  record: (term: Term, level: number, evidence: string, how: string) => void,
): void {
  const parts = facts.strings.filter(
    (s) =>
      s.referenced &&
      s.def.kind !== "regex" &&
      (s.views[0]?.length ?? 0) > 0 &&
      (s.views[0]?.length ?? 0) <= 48,
  );
  const short = parts.filter((p) => WORDLIKE.test(p.views.at(-1) as string));
  termsAcrossPieces(
    parts,
    (p) => p.views.at(-1) as string,
    short,
    ({ term, level, spanned }) =>
      record(
        term,
        level,
        `${spanned.map((p) => stringSource(p.def)).join(" + ")} together spell "${term.text}"`,
        "pieces in separate strings",
      ),
  );
}
