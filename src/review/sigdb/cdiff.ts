/**
 * `.cdiff` incremental updates, read and applied as freshclam does (libclamav_rust cdiff.rs), in
 * our own code. A cdiff is
 *
 *   `ClamAV-Diff:<version>:<script size>:` ‖ gzip(script) ‖ `:` ‖ signature
 *
 * where the signature (ClamAV's `.cdiff` key, SHA-256 PSS-style) covers every byte before the
 * last `:`. The script edits the unpacked database file by file:
 *
 *   OPEN f · ADD line · DEL n prefix · XCHG n prefix line · CLOSE · MOVE src dst n prefix m prefix
 *   · UNLINK
 *
 * Line numbers refer to the file as it was when opened; each DEL/XCHG names the start of the line
 * it expects there, and a mismatch fails the whole update, as in freshclam. File names must be
 * plain names: ClamAV accepts `/` and `.` in OPEN, we refuse anything that could leave the
 * database folder (Decision 21).
 */
import { createHash } from "node:crypto";
import { CrosscheckError } from "../../errors/index.js";
import { checkMemberName } from "./container.js";
import { type ClamavKeys, verifySha256Signature } from "./dsig.js";
import { formatError, gunzipBounded, type SigdbLimits } from "./limits.js";

export interface Cdiff {
  /** The database version this update produces. */
  version: number;
  /** The script size the header announces. */
  scriptSize: number;
  signature: "valid" | "invalid" | "absent";
  key?: string;
  /** Script lines, `#` comments dropped. */
  script: string[];
}

/** The most bytes a cdiff's trailing signature can take (cdiff.rs MAX_DSIG_SIZE). */
const MAX_DSIG = 350;

export function readCdiff(
  name: string,
  bytes: Buffer,
  limits: SigdbLimits,
  keys: ClamavKeys,
): Cdiff {
  const head = bytes.subarray(0, Math.min(bytes.length, 128)).toString("latin1");
  const m = /^ClamAV-Diff:(\d+):(\d+):/.exec(head);
  if (!m) {
    throw formatError(
      `${name} is not a ClamAV cdiff: it does not start with "ClamAV-Diff:<version>:<size>:".`,
    );
  }
  const start = m[0].length;
  // The signature follows the last ':' of the file's tail.
  const tailFrom = Math.max(start, bytes.length - MAX_DSIG - 1);
  const colon = bytes.lastIndexOf(0x3a, bytes.length - 1);
  let end = bytes.length;
  let signature: Cdiff["signature"] = "absent";
  let key: string | undefined;
  if (colon >= tailFrom) {
    end = colon;
    const sig = bytes.subarray(colon + 1).toString("latin1");
    const digest = createHash("sha256").update(bytes.subarray(0, colon)).digest();
    signature = verifySha256Signature(digest, sig, keys.cdiff) ? "valid" : "invalid";
    if (signature === "valid") key = keys.cdiff.name;
  }
  const script = gunzipBounded(name, bytes.subarray(start, end), limits).toString("latin1");
  return {
    version: Number(m[1]),
    scriptSize: Number(m[2]),
    signature,
    ...(key ? { key } : {}),
    script: script
      .split("\n")
      .filter((l, i, all) => !(l === "" && i === all.length - 1) && !l.startsWith("#")),
  };
}

function cdiffError(name: string, line: number, message: string): CrosscheckError {
  return new CrosscheckError("E_SIGDB_CDIFF", `${name}, script line ${line}: ${message}`);
}

interface OpenFile {
  name: string;
  adds: string[];
  dels: { line: number; prefix: string }[];
  xchgs: { line: number; prefix: string; text: string }[];
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/**
 * Applies a cdiff's script to a database's files (name → content, latin1), returning the new
 * files. Throws `E_SIGDB_CDIFF` naming the script line when the update does not fit the files.
 */
export function applyCdiff(
  name: string,
  cdiff: Pick<Cdiff, "script">,
  files: ReadonlyMap<string, string>,
): Map<string, string> {
  const out = new Map(files);
  let open: OpenFile | undefined;
  const plain = (n: number, file: string) => {
    try {
      return checkMemberName(name, file);
    } catch (err) {
      throw cdiffError(name, n, (err as Error).message);
    }
  };
  for (let i = 0; i < cdiff.script.length; i++) {
    const n = i + 1;
    const line = cdiff.script[i] as string;
    const sp = line.search(/\s/);
    const cmd = sp < 0 ? line : line.slice(0, sp);
    const data = sp < 0 ? "" : line.slice(sp + 1).trim();
    switch (cmd) {
      case "OPEN":
        if (open) throw cdiffError(name, n, `OPEN ${data} while ${open.name} is still open.`);
        open = { name: plain(n, data), adds: [], dels: [], xchgs: [] };
        break;
      case "ADD":
        if (!open) throw cdiffError(name, n, "ADD with no file open.");
        open.adds.push(data);
        break;
      case "DEL": {
        if (!open) throw cdiffError(name, n, "DEL with no file open.");
        const [no, prefix] = data.split(/\s+/);
        if (!no || !/^\d+$/.test(no) || prefix === undefined) {
          throw cdiffError(
            name,
            n,
            `DEL needs a line number and the start of that line: "${data}".`,
          );
        }
        open.dels.push({ line: Number(no), prefix });
        break;
      }
      case "XCHG": {
        if (!open) throw cdiffError(name, n, "XCHG with no file open.");
        const m = /^(\d+)\s(\S*)\s([\s\S]*)$/.exec(data);
        if (!m) {
          throw cdiffError(
            name,
            n,
            `XCHG needs a line number, the start of that line and its new text: "${data}".`,
          );
        }
        open.xchgs.push({ line: Number(m[1]), prefix: m[2] as string, text: m[3] as string });
        break;
      }
      case "CLOSE":
        if (!open) throw cdiffError(name, n, "CLOSE with no file open.");
        closeFile(name, n, open, out);
        open = undefined;
        break;
      case "UNLINK":
        if (!open) throw cdiffError(name, n, "UNLINK with no file open.");
        if (!out.delete(open.name))
          throw cdiffError(name, n, `UNLINK of ${open.name}, which does not exist.`);
        open.dels = [];
        open.xchgs = [];
        open.adds = [];
        break;
      case "MOVE": {
        if (open) throw cdiffError(name, n, `MOVE while ${open.name} is open.`);
        const f = data.split(/\s+/);
        if (f.length < 6 || !/^\d+$/.test(f[2] as string) || !/^\d+$/.test(f[4] as string)) {
          throw cdiffError(
            name,
            n,
            `MOVE needs source, destination, first line and prefix, last line and prefix: "${data}".`,
          );
        }
        moveLines(name, n, f, out, plain);
        break;
      }
      default:
        throw cdiffError(name, n, `unknown command ${JSON.stringify(cmd.slice(0, 40))}.`);
    }
  }
  if (open) throw cdiffError(name, cdiff.script.length, `${open.name} is never closed.`);
  return out;
}

function closeFile(name: string, n: number, open: OpenFile, out: Map<string, string>): void {
  let text = out.get(open.name);
  if (open.dels.length > 0 || open.xchgs.length > 0) {
    if (text === undefined) throw cdiffError(name, n, `${open.name} does not exist.`);
    const dels = [...open.dels].sort((a, b) => a.line - b.line);
    const lines = splitLines(text);
    const kept: string[] = [];
    let d = 0;
    let x = 0;
    for (let i = 0; i < lines.length; i++) {
      const no = i + 1;
      const line = lines[i] as string;
      const del = dels[d];
      const xchg = open.xchgs[x];
      if (del && del.line === no) {
        if (!line.startsWith(del.prefix)) {
          throw cdiffError(
            name,
            n,
            `DEL of ${open.name} line ${no} expects it to start with "${del.prefix}".`,
          );
        }
        d++;
      } else if (xchg && xchg.line === no) {
        if (!line.startsWith(xchg.prefix)) {
          throw cdiffError(
            name,
            n,
            `XCHG of ${open.name} line ${no} expects it to start with "${xchg.prefix}".`,
          );
        }
        kept.push(xchg.text);
        x++;
      } else kept.push(line);
    }
    if (d < dels.length) throw cdiffError(name, n, `not every DEL of ${open.name} found its line.`);
    if (x < open.xchgs.length)
      throw cdiffError(name, n, `not every XCHG of ${open.name} found its line.`);
    text = kept.length > 0 ? `${kept.join("\n")}\n` : "";
  }
  if (open.adds.length > 0) {
    const base = text ?? "";
    const sep = base === "" || base.endsWith("\n") ? "" : "\n";
    text = `${base}${sep}${open.adds.join("\n")}\n`;
  }
  if (text !== undefined) out.set(open.name, text);
}

function moveLines(
  name: string,
  n: number,
  f: string[],
  out: Map<string, string>,
  plain: (n: number, file: string) => string,
): void {
  const src = plain(n, f[0] as string);
  const dst = plain(n, f[1] as string);
  const first = Number(f[2]);
  const last = Number(f[4]);
  const srcText = out.get(src);
  const dstText = out.get(dst);
  if (srcText === undefined || dstText === undefined) {
    throw cdiffError(name, n, `MOVE between ${src} and ${dst}, which must both exist.`);
  }
  const lines = splitLines(srcText);
  const moved = lines.slice(first - 1, last);
  if (
    first < 1 ||
    last < first ||
    last > lines.length ||
    !(moved[0] as string).startsWith(f[3] as string) ||
    !(moved.at(-1) as string).startsWith(f[5] as string)
  ) {
    throw cdiffError(name, n, `MOVE of ${src} lines ${first}–${last} does not match the file.`);
  }
  const rest = [...lines.slice(0, first - 1), ...lines.slice(last)];
  out.set(src, rest.length > 0 ? `${rest.join("\n")}\n` : "");
  const sep = dstText === "" || dstText.endsWith("\n") ? "" : "\n";
  out.set(dst, `${dstText}${sep}${moved.join("\n")}\n`);
}
