/**
 * Document targeting: a body, logical or container signature aimed at documents (an OLE2 or PDF
 * target, a document container type, a document format's marker in its bytes) that carries no
 * malware indicator — no macro loader, script host, exploit marker or shellcode. A signature for a
 * malicious document names what makes it malicious; one that does not is looking for documents,
 * and a reviewer should see what it looks for. Raised (medium) when its patterns hold readable
 * text, i.e. it looks for content people write; a binary pattern is how signatures for a
 * malicious file's bytes look, and is left alone (a real database has many). Signatures already
 * raised for document hunting are left to that finding.
 */

import { type Finding, makeFinding } from "../../finding.js";
import { readable } from "../../keywords/index.js";
import { locationOf, type Signature } from "../model.js";
import { clip, documentAim, malwareTraits, patternsOf } from "./facts.js";

/** A run of this many printable characters is text someone wrote, not machine code. */
const TEXT_RUN = /[\x20-\x7e]{8,}/;

export function documentTargeting(s: Signature): Finding | undefined {
  if (s.kind !== "body" && s.kind !== "logical" && s.kind !== "container") return undefined;
  const patterns = patternsOf(s);
  const aim = documentAim(s, patterns);
  if (!aim) return undefined;
  if (malwareTraits(s, patterns).length > 0) return undefined;
  const text = patterns.flatMap((p) =>
    p.views
      .filter((v) => TEXT_RUN.test(v))
      .map((v) => `${p.label} reads "${clip(readable(v), 80)}"`),
  );
  if (text.length === 0) return undefined;
  return makeFinding(
    "targeting",
    "medium",
    `${s.file}:${s.name}`,
    locationOf(s),
    `Signature ${s.name} is aimed at documents (${aim}), has no malware indicator, and looks for text in them.`,
    [`aimed at documents: ${aim}`, ...text],
  );
}
