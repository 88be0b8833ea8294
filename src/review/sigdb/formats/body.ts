/**
 * Body signature files (libclamav readdb.c cli_loadndb, cli_loaddb):
 *
 *   .ndb .ndu   `name:target:offset:hex signature[:min fl[:max fl]]`
 *   .db         `name=hex signature` (the oldest format: any target, any offset)
 *
 * Targets 0–14 are ClamAV's (0 any, 1 PE, 2 OLE2, 3 HTML, 4 mail, 5 graphics, 6 ELF, 7 text,
 * 9 Mach-O, 10 PDF, 11 Flash, 12 Java, …); ClamAV skips a signature for a target it does not
 * know, which we report. `.ndu` is the PUA variant (Decision 21).
 */
import { HexSyntaxError, parseHexSignature } from "../hexsig.js";
import type { BodySignature, HexPattern } from "../model.js";
import { checkOffset } from "../offset.js";
import {
  expectFields,
  fail,
  fields,
  flevels,
  forEachLine,
  isNumber,
  lineIssue,
  recordFailure,
  type Sink,
  signatureName,
} from "./fields.js";

/** ClamAV's target types (CLI_MTARGETS). */
export const TARGETS = 15;

export const TARGET_NAMES: readonly string[] = [
  "any file",
  "PE",
  "OLE2 (Office documents, MSI)",
  "HTML",
  "mail",
  "graphics",
  "ELF",
  "normalised text",
  "unused",
  "Mach-O",
  "PDF",
  "Flash",
  "Java class",
  "internal",
  "other",
];

/** The functionality level of the reference engine (Debian's ClamAV 1.4). */
export const CURRENT_FL = 216;

/** A pattern no engine of today reads: it spells nothing and pins nothing. */
function unreadPattern(source: string): HexPattern {
  return {
    source,
    fixedBytes: 0,
    longestRun: 0,
    minLength: 0,
    unboundedGap: false,
    negated: false,
    views: [],
  };
}

/** Whether ClamAV's Boyer-Moore matcher takes a plain pattern (it needs 3 bytes). */
function boyerMoore(target: number | undefined, offset: string): boolean {
  if (target === undefined || target === 0) return true;
  return target === 1 && /^\d+$/.test(offset);
}

export function parseBodyFile(
  file: string,
  ext: string,
  text: string,
  maxLine: number,
  sink: Sink,
): void {
  const pua = ext === "ndu";
  forEachLine(file, text, maxLine, sink, (line, no) => {
    try {
      let name: string;
      let targetRaw = "*";
      let offset = "*";
      let hex: string;
      let fl: { minFl?: number; maxFl?: number } = {};
      if (ext === "db") {
        const eq = line.indexOf("=");
        if (eq < 0)
          fail("E_SIGDB_FIELDS", "a .db signature is name=hex signature; this line has no =");
        name = signatureName(line.slice(0, eq));
        hex = line.slice(eq + 1);
      } else {
        const f = fields(line, ":");
        expectFields(f, 4, 6, "a body signature (name:target:offset:hex[:min fl[:max fl]])");
        name = signatureName(f[0]);
        targetRaw = f[1] as string;
        offset = f[2] as string;
        hex = f[3] as string;
        fl = flevels(f, 4);
      }
      if (targetRaw !== "*" && !isNumber(targetRaw)) {
        fail("E_SIGDB_TARGET", `the target "${targetRaw.slice(0, 20)}" is not a number or *`);
      }
      const target = targetRaw === "*" ? undefined : Number(targetRaw);
      let pattern: HexPattern;
      let retired: string | undefined;
      try {
        checkOffset(offset, target);
        pattern = parseHexSignature(hex, boyerMoore(target, offset));
      } catch (err) {
        // libclamav checks the functionality levels before it reads the pattern: a signature
        // retired before today's engines is never parsed by them (ClamAV's own EOL notice).
        if (!(err instanceof HexSyntaxError) || fl.maxFl === undefined || fl.maxFl >= CURRENT_FL) {
          throw err;
        }
        pattern = unreadPattern(hex);
        retired = `it is only for functionality levels up to ${fl.maxFl}, so later engines skip it without reading its pattern (which is not one: ${err.message})`;
      }
      const s: BodySignature = {
        kind: "body",
        file,
        line: no,
        name,
        text: line,
        offset,
        pattern,
        pua,
        ...fl,
        ...(target !== undefined ? { target } : {}),
      };
      if (retired) {
        s.skipped = retired;
        sink.issues.push(
          lineIssue(file, no, "E_SIGDB_NOT_LOADED", `ClamAV skips ${name}: ${retired}`),
        );
      } else if (target !== undefined && target >= TARGETS) {
        s.skipped = `target ${target} is not one ClamAV knows`;
        sink.issues.push(
          lineIssue(
            file,
            no,
            "E_SIGDB_NOT_LOADED",
            `target ${target} is not one ClamAV knows (0–${TARGETS - 1}): it skips the signature ${name}`,
          ),
        );
      }
      sink.signatures.push(s);
    } catch (err) {
      recordFailure(sink, file, no, err);
    }
  });
}
