/**
 * Hash signature files (libclamav readdb.c cli_loadhash):
 *
 *   .hdb .hsb .hdu .hsu .imp .fp .sfp   `hash:size:name[:min fl[:max fl]]`
 *   .mdb .msb .mdu .msu                 `size:hash:name[:min fl[:max fl]]` (PE sections)
 *
 * MD5, SHA-1 or SHA-256 by length. A size of `*` (any) needs functionality level 73 or later,
 * except in `.imp`. `.hdu/.hsu/.mdu/.msu` are the PUA variants (Decision 21). `.fp`/`.sfp` are the
 * allow list: a file with that hash is never reported, whatever matches it.
 */
import type { AllowSignature, HashSignature } from "../model.js";
import {
  expectFields,
  fail,
  fields,
  flevels,
  forEachLine,
  hashType,
  isNumber,
  recordFailure,
  type Sink,
  signatureName,
} from "./fields.js";

const SECTION = new Set(["mdb", "msb", "mdu", "msu"]);
const PUA = new Set(["hdu", "hsu", "mdu", "msu"]);
const ALLOW = new Set(["fp", "sfp"]);

export const HASH_EXTENSIONS = new Set([
  "hdb",
  "hsb",
  "hdu",
  "hsu",
  "mdb",
  "msb",
  "mdu",
  "msu",
  "imp",
  "fp",
  "sfp",
]);

function size(raw: string, wildcardOk: boolean): number | undefined {
  if (raw === "*") {
    if (!wildcardOk) {
      fail(
        "E_SIGDB_SIZE",
        "a size of * (any) needs a minimum functionality level of 73 or more in the fourth field",
      );
    }
    return undefined;
  }
  if (!isNumber(raw) || Number(raw) === 0 || Number(raw) >= 0xffffffff) {
    fail("E_SIGDB_SIZE", `the size "${raw.slice(0, 40)}" is not a number from 1 to 4294967294`);
  }
  return Number(raw);
}

export function parseHashFile(
  file: string,
  ext: string,
  text: string,
  maxLine: number,
  sink: Sink,
): void {
  const section = SECTION.has(ext);
  const pua = PUA.has(ext);
  const allow = ALLOW.has(ext);
  const purpose = section ? "section" : ext === "imp" ? "imports" : "file";
  forEachLine(file, text, maxLine, sink, (line, no) => {
    try {
      const f = fields(line, ":");
      expectFields(f, 3, 5, "a hash signature (hash:size:name[:min fl[:max fl]])");
      const fl = flevels(f, 3);
      const rawHash = (section ? f[1] : f[0]) as string;
      const hash = rawHash.toLowerCase();
      const type = hashType(rawHash);
      const wildcardOk = ext === "imp" || (fl.minFl !== undefined && fl.minFl >= 73);
      const bytes = size((section ? f[0] : f[1]) as string, wildcardOk);
      const name = signatureName(f[2]);
      // Built field by field: a database holds millions of these lines.
      const s = (
        allow
          ? { kind: "allow", file, line: no, name, text: line, hashType: type, hash }
          : { kind: "hash", file, line: no, name, text: line, hashType: type, hash, purpose, pua }
      ) as HashSignature | AllowSignature;
      if (bytes !== undefined) s.size = bytes;
      if (fl.minFl !== undefined) s.minFl = fl.minFl;
      if (fl.maxFl !== undefined) s.maxFl = fl.maxFl;
      sink.signatures.push(s);
    } catch (err) {
      recordFailure(sink, file, no, err);
    }
  });
}
