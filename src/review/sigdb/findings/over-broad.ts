/**
 * Over-broad signatures: ones that match almost every file, or every file of a format.
 *
 * - Body signatures: fewer than four pinned bytes (ClamAV accepts two or three), worst with any
 *   target at any offset; or a file format's magic number alone.
 * - Logical signatures: the expression read as a lattice, as the YARA review reads conditions —
 *   `always` (a subsignature required to be absent, `0=0`, `0<2`), `broad` (a tiny or magic-only
 *   subsignature), `narrow` (anything with real content) — `&` taking the narrower side, `|` the
 *   broader.
 * - Container signatures: every field a wildcard (every file in every archive).
 */
import { type Finding, makeFinding, type Severity } from "../../finding.js";
import { holdsWhenAbsent, logicText } from "../logic.js";
import type { HexPattern, LogicalSignature, LogicNode, Signature } from "../model.js";
import { locationOf } from "../model.js";

/** Fewer pinned bytes than this is a tiny pattern. */
const TINY = 4;

/** Magic numbers that name a format (hex, lower case). */
const MAGICS: { format: string; hex: string }[] = [
  { format: "PE", hex: "4d5a" },
  { format: "ELF", hex: "7f454c46" },
  { format: "OLE2", hex: "d0cf11e0a1b11ae1" },
  { format: "PDF", hex: "25504446" },
  { format: "ZIP", hex: "504b0304" },
  { format: "RTF", hex: "7b5c727466" },
  { format: "Mach-O", hex: "cffaedfe" },
  { format: "Mach-O", hex: "cefaedfe" },
  { format: "Java class or Mach-O fat", hex: "cafebabe" },
  { format: "GIF", hex: "47494638" },
  { format: "PNG", hex: "89504e47" },
  { format: "JPEG", hex: "ffd8ff" },
];

/** The format whose magic number the pattern is, and nothing more. */
export function magicOnly(p: HexPattern): string | undefined {
  if (p.views.length !== 1 || p.fixedBytes !== p.minLength) return undefined;
  const hex = Buffer.from(p.views[0] as string, "latin1").toString("hex");
  for (const m of MAGICS) {
    if (hex.length <= m.hex.length + 4 && hex.startsWith(m.hex)) return m.format;
  }
  return undefined;
}

type Breadth =
  | { k: "always"; why: string }
  | { k: "broad"; why: string; tiny: boolean }
  | { k: "narrow" };
const NARROW: Breadth = { k: "narrow" };

function leaf(s: LogicalSignature, node: Extract<LogicNode, { k: "id" }>): Breadth {
  if (holdsWhenAbsent(node.mod)) {
    return {
      k: "always",
      why: `\`${logicText(node)}\` holds for every file without subsignature ${node.id}`,
    };
  }
  const sub = s.subsignatures[node.id];
  if (sub?.kind === "content") {
    if (sub.pattern.fixedBytes < TINY && !sub.pattern.negated) {
      return {
        k: "broad",
        tiny: true,
        why: `subsignature ${node.id} (${sub.raw}) pins fewer than ${TINY} bytes`,
      };
    }
    const magic = magicOnly(sub.pattern);
    if (magic)
      return {
        k: "broad",
        tiny: false,
        why: `subsignature ${node.id} is only the ${magic} magic number`,
      };
  }
  return NARROW;
}

function breadth(s: LogicalSignature, node: LogicNode, depth = 0): Breadth {
  if (depth > 128) return NARROW;
  if (node.k === "id") return leaf(s, node);
  if (holdsWhenAbsent(node.mod)) {
    return {
      k: "always",
      why: `\`${logicText(node)}\` holds for every file without those subsignatures`,
    };
  }
  const a = breadth(s, node.left, depth + 1);
  const b = breadth(s, node.right, depth + 1);
  if (node.k === "and") {
    if (a.k === "narrow" || b.k === "narrow") return NARROW;
    return a.k === "broad" ? a : b;
  }
  if (a.k === "always") return a;
  if (b.k === "always") return b;
  return a.k === "broad" ? a : b;
}

function finding(s: Signature, severity: Severity, why: string, evidence: string[]): Finding {
  return makeFinding(
    "over-broad",
    severity,
    `${s.file}:${s.name}`,
    locationOf(s),
    `Signature ${s.name} matches far more than malware: ${why}.`,
    evidence,
  );
}

const MATCH_ALL = /^(?:\*|\.\*|\.\+|\^\.\*\$?|\^\.\+\$?)$/;

export function overBroad(s: Signature): Finding | undefined {
  if (s.kind === "body") {
    if (s.skipped) return undefined;
    const anyTarget = s.target === undefined || s.target === 0;
    const anywhere = s.offset === "*";
    const p = s.pattern;
    if (p.fixedBytes < TINY && !p.negated) {
      return finding(
        s,
        anyTarget && anywhere ? "high" : "medium",
        `its pattern ${p.source} pins ${p.fixedBytes} byte${p.fixedBytes === 1 ? "" : "s"}${anyTarget ? ", in any file type" : ""}${anywhere ? ", at any offset" : ""}`,
        [`pattern: ${p.source}`, `target: ${s.target ?? "*"}`, `offset: ${s.offset}`],
      );
    }
    const magic = magicOnly(p);
    if (magic && (anywhere || s.offset === "0")) {
      return finding(
        s,
        "medium",
        `its pattern is only the ${magic} magic number, which every ${magic} file has`,
        [`pattern: ${p.source}`, `offset: ${s.offset}`],
      );
    }
    return undefined;
  }
  if (s.kind === "logical") {
    if (s.skipped) return undefined;
    const b = breadth(s, s.logic);
    if (b.k === "narrow") return undefined;
    const anyTarget = s.target === 0;
    const severity: Severity = b.k === "always" || (b.tiny && anyTarget) ? "high" : "medium";
    return finding(s, severity, b.why, [`logic: ${s.logicText}`, `target: ${s.target}`]);
  }
  if (s.kind === "container") {
    const all =
      s.containerType === "*" &&
      MATCH_ALL.test(s.fileNameRegex) &&
      s.containerSize === "*" &&
      s.fileSizeInContainer === "*" &&
      s.fileSizeReal === "*" &&
      s.filePosition === "*";
    if (!all) return undefined;
    return finding(
      s,
      "high",
      "every field is a wildcard, so it reports every file in every container",
      [s.text],
    );
  }
  return undefined;
}
