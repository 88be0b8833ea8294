/**
 * What every line-based signature file shares: lines split the way libclamav's `cli_dbgets` and
 * `cli_chomp` split them (LF, trailing CR dropped, `#` comment lines skipped), fields split the
 * way `cli_strtokenize` splits them (empty fields kept), optional functionality-level bounds, and
 * signature names with libclamav's " (Clam)" suffix dropped, as `sigtool --list-sigs` shows them.
 */
import { HexSyntaxError } from "../hexsig.js";
import type { HashType, LineIssue, Signature } from "../model.js";

/** Where a file's signatures and problems go. */
export interface Sink {
  signatures: Signature[];
  issues: LineIssue[];
}

/**
 * Calls `each` for every line but comments, with its 1-based number; stops a line that is longer
 * than `maxLine` with an issue instead (ClamAV's own line buffers are bounded too).
 */
export function forEachLine(
  file: string,
  text: string,
  maxLine: number,
  sink: Sink,
  each: (line: string, no: number) => void,
): void {
  let from = 0;
  let no = 0;
  const n = text.length;
  while (from < n) {
    let to = text.indexOf("\n", from);
    if (to < 0) to = n;
    no++;
    let end = to;
    if (end > from && text.charCodeAt(end - 1) === 13) end--;
    if (text.charCodeAt(from) !== 35 /* # */) {
      if (end - from > maxLine) {
        sink.issues.push(
          lineIssue(
            file,
            no,
            "E_SIGDB_LINE_LENGTH",
            `the line is longer than ${maxLine} characters`,
          ),
        );
      } else {
        each(text.slice(from, end), no);
      }
    }
    from = to + 1;
  }
}

export function lineIssue(file: string, line: number, code: string, message: string): LineIssue {
  return { file, line, code, message: `${file}:${line}: ${message}` };
}

/** Records a parse failure of one line; anything but our syntax errors is a bug and rethrown. */
export function recordFailure(sink: Sink, file: string, line: number, err: unknown): void {
  if (err instanceof HexSyntaxError) sink.issues.push(lineIssue(file, line, err.code, err.message));
  else throw err;
}

export function fail(code: string, message: string): never {
  throw new HexSyntaxError(code, message);
}

/** Fields split on `sep`, keeping empty ones. */
export function fields(line: string, sep: string): string[] {
  return line.split(sep);
}

export function expectFields(f: string[], min: number, max: number, what: string): void {
  if (f.length < min || f.length > max) {
    fail(
      "E_SIGDB_FIELDS",
      `${f.length} field${f.length === 1 ? "" : "s"}; ${what} has ${min === max ? min : `${min} to ${max}`}`,
    );
  }
}

const NUMBER = /^\d+$/;

export function isNumber(s: string | undefined): boolean {
  return s !== undefined && NUMBER.test(s);
}

/** Optional min/max functionality levels at `f[at]`, `f[at+1]`. */
export function flevels(f: string[], at: number): { minFl?: number; maxFl?: number } {
  const out: { minFl?: number; maxFl?: number } = {};
  const min = f[at];
  const max = f[at + 1];
  if (min !== undefined && min !== "") {
    if (!isNumber(min))
      fail("E_SIGDB_FLEVEL", `the minimum functionality level "${min}" is not a number`);
    out.minFl = Number(min);
  }
  if (max !== undefined && max !== "") {
    if (!isNumber(max))
      fail("E_SIGDB_FLEVEL", `the maximum functionality level "${max}" is not a number`);
    out.maxFl = Number(max);
  }
  return out;
}

/** A signature name as ClamAV reports it: " (Clam)" dropped; empty names are refused. */
export function signatureName(raw: string | undefined): string {
  let name = raw ?? "";
  const clam = name.indexOf(" (Clam)");
  if (clam >= 0) name = name.slice(0, clam);
  if (name === "") fail("E_SIGDB_NAME", "the signature has no name");
  return name;
}

const HASH_TYPES: Record<number, HashType> = { 32: "md5", 40: "sha1", 64: "sha256" };
const HEXDIGITS = /^[0-9a-fA-F]+$/;

export function hashType(hash: string): HashType {
  const t = HASH_TYPES[hash.length];
  if (!t || !HEXDIGITS.test(hash)) {
    fail(
      "E_SIGDB_HASH",
      `"${hash.slice(0, 80)}" is not an MD5, SHA-1 or SHA-256 in hex (32, 40 or 64 hex digits)`,
    );
  }
  return t;
}

/** The file extension, lower case, without the dot (`daily.NDB` → `ndb`). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
}
