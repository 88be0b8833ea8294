/**
 * Logical signature files `.ldb`/`.ldu` (libclamav readdb.c load_oneldb, lsigattribs,
 * readdb_parse_ldb_subsignature):
 *
 *   `name;target description block;logical expression;subsig 0[;subsig 1 …]`
 *
 * The target description block is `Attribute:value` pairs (`Engine:51-255,Target:1,…`): `Target`
 * is required, `Engine` must come first, any other attribute needs `Engine` 51 or later, and
 * ClamAV skips a signature with an attribute or file type it does not know. Up to 64
 * subsignatures, exactly as many as the expression's highest id + 1. A subsignature is
 *
 *   `[offset:]hex[::modifiers]`        content, modifiers `i` nocase, `w` wide, `f` fullword, `a`
 *   `[offset:]trigger/regex/[flags]`   PCRE, run by ClamAV once `trigger` holds; we only read it
 *   `n(offset#options#comparisons)`    byte compare
 *   `${min-max}group$`                 macro
 *   `fuzzy_img#hash[#distance]`        image fuzzy hash
 *
 * Fields are split on `;` except inside a PCRE's slashes, as cli_ldbtokenize does.
 */
import { expandRegex, parseRegex } from "../../rules/findings/regex.js";
import { parseHexSignature } from "../hexsig.js";
import { maxLogicId, parseLogic } from "../logic.js";
import type { LogicalSignature, Subsignature } from "../model.js";
import { checkOffset } from "../offset.js";
import { TARGETS } from "./body.js";
import {
  fail,
  forEachLine,
  isNumber,
  lineIssue,
  recordFailure,
  type Sink,
  signatureName,
} from "./fields.js";
import { FILE_TYPES } from "./filetypes.js";

const MAX_SUBSIGS = 64;
const KNOWN_ATTRIBUTES = new Set([
  "Target",
  "Engine",
  "FileSize",
  "EntryPoint",
  "NumberOfSections",
  "IconGroup1",
  "IconGroup2",
  "Container",
  "HandlerType",
  "Intermediates",
]);
const RANGE = /^\d+-\d+$/;

/** Splits on `sep`, from field `pcreFrom` on leaving separators inside `/…/` alone. */
export function splitLogical(line: string, sep: string, pcreFrom: number): string[] {
  const out: string[] = [];
  let from = 0;
  let inPcre = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inPcre) {
      if (c === "\\") i++;
      else if (c === "/") inPcre = false;
      continue;
    }
    if (c === sep) {
      out.push(line.slice(from, i));
      from = i + 1;
    } else if (c === "/" && out.length >= pcreFrom) inPcre = true;
  }
  out.push(line.slice(from));
  return out;
}

interface Tdb {
  map: Map<string, string>;
  target?: number;
  containers: string[];
  engine?: [number, number];
  skipped?: string;
}

function parseTdb(raw: string): Tdb {
  const map = new Map<string, string>();
  const containers: string[] = [];
  const tdb: Tdb = { map, containers };
  const parts = raw.split(",");
  let newAttributes = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const colon = part.indexOf(":");
    if (colon < 0)
      fail("E_SIGDB_TDB", `the attribute "${part.slice(0, 40)}" has no value (Attribute:value)`);
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    map.set(key, value);
    if (!KNOWN_ATTRIBUTES.has(key)) {
      tdb.skipped ??= `it has the attribute ${key}, which ClamAV does not know`;
      continue;
    }
    if (key === "Engine") {
      if (i !== 0) fail("E_SIGDB_TDB", "the Engine attribute must come first");
    } else if (key !== "Target") newAttributes = true;
    if (key === "Target") {
      if (!isNumber(value))
        fail("E_SIGDB_TDB", `the Target "${value.slice(0, 20)}" is not a number`);
      tdb.target = Number(value);
    } else if (
      key === "Engine" ||
      key === "FileSize" ||
      key === "EntryPoint" ||
      key === "NumberOfSections"
    ) {
      if (!RANGE.test(value))
        fail("E_SIGDB_TDB", `${key} must be a range min-max, not "${value.slice(0, 30)}"`);
      if (key === "Engine") {
        const [a, b] = value.split("-").map(Number) as [number, number];
        tdb.engine = [a, b];
      }
    } else if (key === "Container" || key === "HandlerType" || key === "Intermediates") {
      const types = key === "Intermediates" ? value.split(">") : [value];
      for (const t of types) {
        if (!FILE_TYPES.has(t)) {
          tdb.skipped ??= `${key} names ${t.slice(0, 40)}, which is not a ClamAV file type`;
        }
        if (key !== "HandlerType") containers.push(t);
      }
    }
  }
  if (tdb.target === undefined) fail("E_SIGDB_TDB", "the target description block has no Target");
  if (newAttributes && (!tdb.engine || tdb.engine[0] < 51)) {
    fail(
      "E_SIGDB_TDB",
      "attributes other than Target need an Engine attribute of 51 or later first",
    );
  }
  return tdb;
}

function pcreViews(pattern: string): string[] {
  const node = parseRegex(pattern);
  return node ? expandRegex(node) : [];
}

function parseSubsignature(raw: string, target: number): Subsignature {
  if (raw.startsWith("$")) {
    if (!/^\$\{\d+-\d+\}\d+\$$/.test(raw)) {
      fail("E_SIGDB_SUBSIG", `the macro subsignature ${raw.slice(0, 40)} is not \${min-max}group$`);
    }
    return { kind: "macro", raw };
  }
  if (raw.includes("/")) {
    const parts = splitLogical(raw, ":", 0);
    const [offset, sig] =
      parts.length >= 2 ? [parts[0], parts.slice(1).join(":")] : [undefined, raw];
    const body = sig as string;
    const first = body.indexOf("/");
    const last = body.lastIndexOf("/");
    if (first === last)
      fail("E_SIGDB_PCRE", "the regular expression subsignature has no closing /");
    if (first === 0)
      fail("E_SIGDB_PCRE", "a regular expression subsignature needs a trigger before its /");
    const flags = body.slice(last + 1);
    if (!/^[a-zA-Z]*$/.test(flags))
      fail("E_SIGDB_PCRE", `the regex flags "${flags.slice(0, 20)}" are not letters`);
    if (offset !== undefined) checkOffset(offset, target);
    const pattern = body.slice(first + 1, last);
    return {
      kind: "pcre",
      raw,
      ...(offset !== undefined ? { offset } : {}),
      trigger: body.slice(0, first),
      pattern,
      flags,
      views: pcreViews(pattern),
    };
  }
  const open = raw.indexOf("(");
  const hash = raw.indexOf("#");
  if (open >= 0 && hash >= 0 && raw.lastIndexOf("#") !== hash) {
    const m = /^(\d+)\((.*)\)$/.exec(raw);
    if (!m)
      fail(
        "E_SIGDB_BCOMP",
        `the byte compare ${raw.slice(0, 60)} is not n(offset#options#comparisons)`,
      );
    return { kind: "byte-compare", raw, subsignature: Number(m[1]), comparison: m[2] as string };
  }
  if (raw.startsWith("fuzzy_img#")) {
    if (!/^fuzzy_img#[0-9a-fA-F]{16}(?:#\d+)?$/.test(raw)) {
      fail("E_SIGDB_SUBSIG", "an image fuzzy hash is fuzzy_img#<16 hex digits>[#distance]");
    }
    return { kind: "fuzzy-image", raw };
  }
  const t = raw.split(":");
  if (t.length > 4)
    fail("E_SIGDB_SUBSIG", `the subsignature ${raw.slice(0, 60)} has too many : fields`);
  const offset = t.length % 2 === 0 ? t[0] : undefined;
  const hex = (t.length % 2 === 1 ? t[0] : t[1]) as string;
  const modifiers = t.length === 3 ? (t[2] as string) : t.length === 4 ? (t[3] as string) : "";
  if (!/^[ifwa]*$/.test(modifiers)) {
    fail("E_SIGDB_SUBSIG", `the subsignature modifiers "${modifiers}" are not among i, f, w, a`);
  }
  if (offset !== undefined) checkOffset(offset, target);
  return {
    kind: "content",
    raw,
    ...(offset !== undefined ? { offset } : {}),
    pattern: parseHexSignature(hex, false),
    modifiers,
  };
}

export function parseLogicalFile(
  file: string,
  ext: string,
  text: string,
  maxLine: number,
  sink: Sink,
): void {
  const pua = ext === "ldu";
  forEachLine(file, text, maxLine, sink, (line, no) => {
    try {
      sink.signatures.push(parseLogicalLine(file, no, line, pua, sink));
    } catch (err) {
      recordFailure(sink, file, no, err);
    }
  });
}

/** One logical signature line (also the logical signature line of a bytecode file). */
export function parseLogicalLine(
  file: string,
  no: number,
  line: string,
  pua: boolean,
  sink: Sink,
): LogicalSignature {
  const f = splitLogical(line, ";", 3);
  if (f.length < 4) {
    fail(
      "E_SIGDB_FIELDS",
      `${f.length} fields; a logical signature is name;attributes;logic;subsig…`,
    );
  }
  const name = signatureName(f[0]);
  const tdb = parseTdb(f[1] as string);
  const logicText = f[2] as string;
  const logic = parseLogic(logicText);
  const count = f.length - 3;
  if (maxLogicId(logic) + 1 !== count) {
    fail(
      "E_SIGDB_LOGIC",
      `the expression uses subsignatures 0–${maxLogicId(logic)} but the line has ${count}`,
    );
  }
  if (count > MAX_SUBSIGS)
    fail("E_SIGDB_LOGIC", `${count} subsignatures; ClamAV allows ${MAX_SUBSIGS}`);
  const target = tdb.target as number;
  const subsignatures = f.slice(3).map((raw, i) => {
    try {
      return parseSubsignature(raw, target);
    } catch (err) {
      if (err instanceof Error) err.message = `subsignature ${i}: ${err.message}`;
      throw err;
    }
  });
  const skipped =
    tdb.skipped ?? (target >= TARGETS ? `target ${target} is not one it knows` : undefined);
  if (skipped) {
    sink.issues.push(
      lineIssue(file, no, "E_SIGDB_NOT_LOADED", `ClamAV skips the signature ${name}: ${skipped}`),
    );
  }
  return {
    kind: "logical",
    file,
    line: no,
    name,
    text: line,
    tdb: tdb.map,
    target,
    containers: tdb.containers,
    logic,
    logicText,
    subsignatures,
    pua,
    ...(tdb.engine ? { minFl: tdb.engine[0], maxFl: tdb.engine[1] } : {}),
    ...(skipped ? { skipped } : {}),
  };
}
