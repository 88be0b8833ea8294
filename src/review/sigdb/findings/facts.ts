/**
 * What several finding categories need to know about one signature, computed on demand: the
 * patterns it matches with (a body signature's hex, a logical signature's content and regex
 * subsignatures, a container signature's file-name regex), whether it is aimed at documents
 * (target type, container type, or a document format's magic in its bytes), and its malware
 * indicators (the shared keyword engine's, plus an executable target).
 */
import { documentFormatIn, malwareIndicatorIn } from "../../keywords/index.js";
import type { Signature } from "../model.js";

export interface PatternFacts {
  /** How the pattern is written, for evidence. */
  source: string;
  /** `subsignature 2` for logical signatures. */
  label: string;
  views: string[];
  nocase: boolean;
  xor: boolean;
  fixedBytes: number;
}

/** Targets that hold people's documents: OLE2 (Office), PDF. */
export const DOCUMENT_TARGETS = new Set([2, 10]);
/** Targets of executables: PE, ELF, Mach-O. */
export const EXECUTABLE_TARGETS = new Set([1, 6, 9]);

/** ClamAV file types of documents (Container/Intermediates attributes, .cdb container type). */
export const DOCUMENT_TYPES = new Set([
  "CL_TYPE_MSOLE2",
  "CL_TYPE_MSWORD",
  "CL_TYPE_MSXL",
  "CL_TYPE_MSPPT",
  "CL_TYPE_OOXML_WORD",
  "CL_TYPE_OOXML_XL",
  "CL_TYPE_OOXML_PPT",
  "CL_TYPE_OOXML_HWP",
  "CL_TYPE_XML_WORD",
  "CL_TYPE_XML_XL",
  "CL_TYPE_XML_HWP",
  "CL_TYPE_MSXML",
  "CL_TYPE_PDF",
  "CL_TYPE_RTF",
  "CL_TYPE_HWP3",
  "CL_TYPE_HWPOLE2",
  "CL_TYPE_XDP",
  "CL_TYPE_ONENOTE",
]);

const TARGET_LABEL: Record<number, string> = { 2: "OLE2 (Office documents)", 10: "PDF" };

export function patternsOf(s: Signature): PatternFacts[] {
  switch (s.kind) {
    case "body":
      return [
        {
          source: s.pattern.source,
          label: "the pattern",
          views: s.pattern.views,
          nocase: false,
          xor: true,
          fixedBytes: s.pattern.fixedBytes,
        },
      ];
    case "logical": {
      const out: PatternFacts[] = [];
      s.subsignatures.forEach((sub, i) => {
        if (sub.kind === "content") {
          out.push({
            source: sub.raw,
            label: `subsignature ${i}`,
            views: sub.pattern.views,
            nocase: sub.modifiers.includes("i"),
            xor: true,
            fixedBytes: sub.pattern.fixedBytes,
          });
        } else if (sub.kind === "pcre") {
          out.push({
            source: sub.raw,
            label: `subsignature ${i} (regex)`,
            views: sub.views,
            nocase: sub.flags.includes("i"),
            xor: false,
            fixedBytes: 0,
          });
        }
      });
      return out;
    }
    case "container":
      return s.fileNameViews.length > 0
        ? [
            {
              source: s.fileNameRegex,
              label: "the file name regex",
              views: s.fileNameViews,
              nocase: false,
              xor: false,
              fixedBytes: 0,
            },
          ]
        : [];
    default:
      return [];
  }
}

/** Why a signature is aimed at documents (target, container type or a format's magic), if it is. */
export function documentAim(s: Signature, patterns: readonly PatternFacts[]): string | undefined {
  if ((s.kind === "body" || s.kind === "logical") && s.target !== undefined) {
    const label = TARGET_LABEL[s.target];
    if (label) return `target ${s.target}: ${label}`;
  }
  if (s.kind === "logical") {
    const doc = s.containers.find((c) => DOCUMENT_TYPES.has(c));
    if (doc) return `it only looks inside ${doc} files`;
  }
  if (s.kind === "container" && DOCUMENT_TYPES.has(s.containerType)) {
    return `it only looks inside ${s.containerType} files`;
  }
  for (const p of patterns) {
    for (const v of p.views) {
      const format = documentFormatIn(v);
      if (format) return `${p.label} holds the ${format} document format's marker`;
    }
  }
  return undefined;
}

/** Malware indicators in the signature's patterns, or its executable target. */
export function malwareTraits(s: Signature, patterns: readonly PatternFacts[]): string[] {
  const out: string[] = [];
  if ((s.kind === "body" || s.kind === "logical") && s.target !== undefined) {
    if (EXECUTABLE_TARGETS.has(s.target)) out.push(`executable target ${s.target}`);
  }
  for (const p of patterns) {
    for (const v of p.views) {
      const indicator = malwareIndicatorIn(v);
      if (indicator) {
        out.push(`${p.label}: ${indicator}`);
        break;
      }
    }
  }
  return out;
}

/** A pattern's source, clipped for evidence. */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
