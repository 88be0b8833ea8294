/**
 * A rule pack: the YARA files of one rules release, read from a directory, a single file, or an
 * archive (.tar, .tar.gz/.tgz, .zip), then parsed file by file.
 *
 * Reading is bounded (Decisions 20, 21): archives are unpacked in memory and never written to
 * disk; a member whose path is absolute or climbs out of the pack (`../x`) refuses the whole
 * pack; the number of members, each member's size, the total size and the expansion ratio of
 * compressed input are capped. Links (symlinks in a directory, link members in an archive) are
 * not followed. Nested archives are not opened.
 *
 * Parsing: every `.yar`/`.yara` member is a root and is parsed on its own, with `include`
 * resolved inside the pack only. A root made only of `include` statements (an index file, as
 * Yara-Rules ships) is not parsed again: its members are roots themselves; its includes are still
 * checked. A rule read through several includes counts once (keyed by its file and offset). A
 * file YARA would refuse becomes an error entry, never a crash.
 */
import { type Dirent, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync, inflateRawSync } from "node:zlib";
import { CrosscheckError } from "../../errors/index.js";
import type { Rule, RuleFile } from "./ast.js";
import { YaraSyntaxError } from "./errors.js";
import { DEFAULT_EXTERNALS, parseRules } from "./index.js";

export interface PackLimits {
  /** Members read (directory entries or archive members). */
  maxMembers: number;
  /** Bytes of one member. */
  maxMemberBytes: number;
  /** Bytes of all members together, after decompression. */
  maxTotalBytes: number;
  /** Decompressed bytes per compressed byte, applied once the output passes `ratioFloor`. */
  maxRatio: number;
  ratioFloor: number;
  /** Directory depth. */
  maxDepth: number;
}

export const DEFAULT_PACK_LIMITS: PackLimits = {
  maxMembers: 50_000,
  maxMemberBytes: 32 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxRatio: 100,
  ratioFloor: 4 * 1024 * 1024,
  maxDepth: 32,
};

/** One file of a pack: its path relative to the pack (`/`-separated, normalised) and bytes. */
export interface PackMember {
  path: string;
  bytes: Buffer;
}

export interface PackError {
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

export interface RulePack {
  /** What the pack was read from (a path or an artifact name). */
  name: string;
  /** Rule files parsed (roots), in path order. */
  files: string[];
  /** Index files (only includes), not parsed again. */
  indexes: string[];
  /** Every rule once, in file then declaration order. */
  rules: Rule[];
  /** One synthetic `RuleFile` per source file holding its own rules (no duplicates). */
  ruleFiles: RuleFile[];
  errors: PackError[];
  /** Source text of every member read, by pack path. */
  sources: Map<string, string>;
}

export interface PackOptions {
  /** External variables on top of the parser's defaults. */
  externals?: readonly string[];
  limits?: Partial<PackLimits>;
  /** The pack's display name; defaults to the path. */
  name?: string;
}

const RULE_FILE = /\.(yar|yara)$/i;

/** Reads and parses a pack from a directory, a single rule file, or an archive. */
export function loadRulePack(path: string, options: PackOptions = {}): RulePack {
  const members = readPackMembers(path, options.limits);
  return parsePack(members, { ...options, name: options.name ?? path });
}

/** Reads a pack's members from a directory, a single file, or an archive, within the limits. */
export function readPackMembers(path: string, limits: Partial<PackLimits> = {}): PackMember[] {
  const bound = { ...DEFAULT_PACK_LIMITS, ...limits };
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new CrosscheckError(
      "E_INPUT",
      `Cannot read the rule pack ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  if (stat.isDirectory()) return readDirectory(path, bound);
  if (stat.size > bound.maxTotalBytes) {
    throw limitError(`The rule pack ${path} is larger than ${bound.maxTotalBytes} bytes.`);
  }
  return readArchiveOrFile(basename(path), readFileSync(path), bound);
}

/**
 * Members of an archive (by magic number, not by name: .tar, gzip, zip) or, for anything else, a
 * single rule file named `name`.
 */
export function readArchiveOrFile(
  name: string,
  bytes: Buffer,
  limits: Partial<PackLimits> = {},
): PackMember[] {
  const bound = { ...DEFAULT_PACK_LIMITS, ...limits };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const tar = gunzipBounded(bytes, bound);
    if (!isTar(tar)) {
      // A gzipped single rule file.
      const inner = name.replace(/\.gz$/i, "");
      return [{ path: memberPath(inner), bytes: checkMember(inner, tar, bound) }];
    }
    return readTar(tar, bound);
  }
  // Fewer than 4 bytes hold no zip magic (readUInt32LE would throw): such a file is text.
  if (
    bytes.length >= 4 &&
    (bytes.readUInt32LE(0) === 0x04034b50 || bytes.readUInt32LE(0) === 0x06054b50)
  ) {
    return readZip(bytes, bound);
  }
  if (isTar(bytes)) return readTar(bytes, bound);
  return [{ path: memberPath(name), bytes: checkMember(name, bytes, bound) }];
}

// ---------------------------------------------------------------------------------------------
// Paths

/**
 * Normalises a member path to `a/b/c`, refusing one that is absolute, has a drive letter, holds a
 * NUL, or climbs out of the pack.
 */
export function memberPath(raw: string): string {
  const path = raw.replace(/\\/g, "/");
  if (path.includes("\0") || path.startsWith("/") || /^[A-Za-z]:/.test(path)) {
    throw escapeError(raw);
  }
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) throw escapeError(raw);
      out.pop();
    } else out.push(part);
  }
  if (out.length === 0) throw escapeError(raw);
  return out.join("/");
}

function escapeError(raw: string): CrosscheckError {
  return new CrosscheckError(
    "E_PACK_PATH",
    `The rule pack holds a member whose path leaves the pack: ${JSON.stringify(raw.slice(0, 200))}; the pack is refused.`,
  );
}

function limitError(message: string): CrosscheckError {
  return new CrosscheckError("E_PACK_LIMIT", message);
}

function formatError(message: string): CrosscheckError {
  return new CrosscheckError("E_PACK_FORMAT", message);
}

/** A running total over the members of one pack. */
class Budget {
  members = 0;
  bytes = 0;
  constructor(readonly limits: PackLimits) {}

  add(name: string, size: number): void {
    if (++this.members > this.limits.maxMembers) {
      throw limitError(`The rule pack has more than ${this.limits.maxMembers} members.`);
    }
    if (size > this.limits.maxMemberBytes) {
      throw limitError(
        `The pack member ${name} is larger than ${this.limits.maxMemberBytes} bytes.`,
      );
    }
    this.bytes += size;
    if (this.bytes > this.limits.maxTotalBytes) {
      throw limitError(`The rule pack is larger than ${this.limits.maxTotalBytes} bytes unpacked.`);
    }
  }
}

function checkMember(name: string, bytes: Buffer, limits: PackLimits): Buffer {
  new Budget(limits).add(name, bytes.length);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Directories

function readDirectory(root: string, limits: PackLimits): PackMember[] {
  const budget = new Budget(limits);
  const members: PackMember[] = [];
  const walk = (dir: string, rel: string, depth: number) => {
    if (depth > limits.maxDepth) {
      throw limitError(`The rule pack nests folders deeper than ${limits.maxDepth}.`);
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw new CrosscheckError(
        "E_INPUT",
        `Cannot read the folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      // Links are not followed: a link could point anywhere on the reviewer's machine.
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (entry.name === ".git") continue;
        walk(full, path, depth + 1);
      } else if (entry.isFile()) {
        const size = lstatSync(full).size;
        // Other files are read only when small: a rule may include them.
        if (!RULE_FILE.test(entry.name) && size > limits.maxMemberBytes) continue;
        budget.add(path, size);
        members.push({ path, bytes: readFileSync(full) });
      }
    }
  };
  walk(root, "", 0);
  return members;
}

// ---------------------------------------------------------------------------------------------
// gzip

function gunzipBounded(bytes: Buffer, limits: PackLimits): Buffer {
  const max = Math.min(
    limits.maxTotalBytes,
    Math.max(limits.ratioFloor, bytes.length * limits.maxRatio),
  );
  try {
    return gunzipSync(bytes, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw limitError(
        `The gzip stream unpacks to more than ${max} bytes (${bytes.length} bytes packed): refused as a compression bomb.`,
      );
    }
    throw formatError(`The gzip stream is corrupt: ${(err as Error).message}.`);
  }
}

// ---------------------------------------------------------------------------------------------
// tar (POSIX ustar, pax `path` records, GNU long names)

function isTar(bytes: Buffer): boolean {
  if (bytes.length < 512) return false;
  if (bytes.toString("latin1", 257, 262) === "ustar") return true;
  return tarChecksumOk(bytes, 0);
}

function tarChecksumOk(bytes: Buffer, at: number): boolean {
  const stored = parseOctal(bytes, at + 148, 8);
  if (stored === undefined) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (bytes[at + i] as number);
  return sum === stored;
}

function parseOctal(bytes: Buffer, at: number, length: number): number | undefined {
  const first = bytes[at] as number;
  if (first & 0x80) {
    // GNU base-256 for large sizes.
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + (bytes[at + i] as number);
    return value;
  }
  const text = bytes
    .toString("latin1", at, at + length)
    .replace(/\0.*$/s, "")
    .trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
}

function cString(bytes: Buffer, at: number, length: number): string {
  const slice = bytes.subarray(at, at + length);
  const nul = slice.indexOf(0);
  return (nul < 0 ? slice : slice.subarray(0, nul)).toString("utf8");
}

function readTar(bytes: Buffer, limits: PackLimits): PackMember[] {
  const budget = new Budget(limits);
  const members: PackMember[] = [];
  let at = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (at + 512 <= bytes.length) {
    const header = at;
    if (bytes.subarray(at, at + 512).every((b) => b === 0)) break;
    if (!tarChecksumOk(bytes, at)) throw formatError(`The tar header at byte ${at} is corrupt.`);
    const size = parseOctal(bytes, at + 124, 12);
    if (size === undefined) throw formatError(`The tar header at byte ${at} has a bad size.`);
    const type = String.fromCharCode(bytes[at + 156] as number);
    const dataStart = at + 512;
    const dataEnd = dataStart + size;
    if (dataEnd > bytes.length) throw formatError(`The tar member at byte ${at} is truncated.`);
    if (size > limits.maxMemberBytes) {
      throw limitError(`A tar member is larger than ${limits.maxMemberBytes} bytes.`);
    }
    const data = bytes.subarray(dataStart, dataEnd);
    at = dataStart + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      paxPath = paxRecord(data, "path") ?? paxPath;
      continue;
    }
    if (type === "g") continue;
    let name = cString(bytes, header, 100);
    const prefix =
      bytes.toString("latin1", header + 257, header + 262) === "ustar"
        ? cString(bytes, header + 345, 155)
        : "";
    if (prefix) name = `${prefix}/${name}`;
    name = paxPath ?? longName ?? name;
    paxPath = undefined;
    longName = undefined;
    // Every member's path is checked, whatever its type: an escaping path refuses the pack.
    const path = memberPath(name);
    // Regular files only: directories, links and devices are not members of a rule pack.
    if (type !== "0" && type !== "\0" && type !== "7") continue;
    budget.add(path, size);
    members.push({ path, bytes: Buffer.from(data) });
  }
  return members;
}

function paxRecord(data: Buffer, key: string): string | undefined {
  const text = data.toString("utf8");
  let found: string | undefined;
  let i = 0;
  while (i < text.length) {
    const space = text.indexOf(" ", i);
    if (space < 0) break;
    const length = Number.parseInt(text.slice(i, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = text.slice(space + 1, i + length - 1);
    const eq = record.indexOf("=");
    if (eq > 0 && record.slice(0, eq) === key) found = record.slice(eq + 1);
    i += length;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// zip (stored and deflated members; no zip64, no encryption)

function readZip(bytes: Buffer, limits: PackLimits): PackMember[] {
  const budget = new Budget(limits);
  const floor = Math.max(0, bytes.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= floor; i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw formatError("The zip archive has no end of central directory.");
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) {
    throw formatError("The zip archive is a zip64 archive, which rule packs do not use.");
  }
  if (count > limits.maxMembers) {
    throw limitError(`The rule pack has more than ${limits.maxMembers} members.`);
  }
  const maxOut = Math.min(
    limits.maxTotalBytes,
    Math.max(limits.ratioFloor, bytes.length * limits.maxRatio),
  );
  let unpacked = 0;
  const members: PackMember[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) {
      throw formatError(`The zip central directory is corrupt at byte ${at}.`);
    }
    const flags = bytes.readUInt16LE(at + 8);
    const method = bytes.readUInt16LE(at + 10);
    const packedSize = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const externalAttrs = bytes.readUInt32LE(at + 38);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.toString(flags & 0x800 ? "utf8" : "latin1", at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    const path = memberPath(name);
    if (name.endsWith("/")) continue;
    // Unix symlinks (mode S_IFLNK in the high half of the external attributes) are not followed.
    if (((externalAttrs >>> 16) & 0o170000) === 0o120000) continue;
    if (flags & 1) throw formatError(`The zip member ${path} is encrypted.`);
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== 0x04034b50) {
      throw formatError(`The zip member ${path} has no local header.`);
    }
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const packed = bytes.subarray(dataStart, dataStart + packedSize);
    if (dataStart + packedSize > bytes.length) {
      throw formatError(`The zip member ${path} is truncated.`);
    }
    let data: Buffer;
    if (method === 0) data = Buffer.from(packed);
    else if (method === 8) {
      const room = Math.min(limits.maxMemberBytes, maxOut - unpacked);
      try {
        data = inflateRawSync(packed, { maxOutputLength: Math.max(1, room) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
          throw limitError(
            `The zip member ${path} unpacks past the pack's bound (${maxOut} bytes for ${bytes.length} packed): refused as a compression bomb.`,
          );
        }
        throw formatError(`The zip member ${path} is corrupt: ${(err as Error).message}.`);
      }
    } else throw formatError(`The zip member ${path} uses compression method ${method}.`);
    unpacked += data.length;
    budget.add(path, data.length);
    members.push({ path, bytes: data });
  }
  return members;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Parses the members of a pack (see the file comment for which files are roots). */
export function parsePack(
  members: readonly PackMember[],
  options: PackOptions & { name: string },
): RulePack {
  const sources = new Map<string, string>();
  for (const m of members) sources.set(m.path, m.bytes.toString("utf8"));
  const roots = [...sources.keys()].filter((p) => RULE_FILE.test(p)).sort();
  const errors: PackError[] = [];
  const files: string[] = [];
  const indexes: string[] = [];
  const seen = new Set<string>();
  const rules: Rule[] = [];
  const byFile = new Map<string, RuleFile>();
  const externals = options.externals ? [...DEFAULT_EXTERNALS, ...options.externals] : undefined;
  const include = (path: string, from: string): string | undefined => {
    const target = includeTarget(from, path);
    return target === undefined ? undefined : sources.get(target);
  };
  for (const file of roots) {
    const source = sources.get(file) as string;
    const index = indexIncludes(source);
    if (index) {
      indexes.push(file);
      for (const inc of index) {
        const target = includeTarget(file, inc.path);
        if (target === undefined || !sources.has(target)) {
          const { line, column } = position(source, inc.offset);
          errors.push({
            file,
            line,
            column,
            code: "E_YARA_SYNTAX",
            message: `${file}:${line}:${column}: cannot read included file "${inc.path}"`,
          });
        }
      }
      continue;
    }
    files.push(file);
    let parsed: RuleFile;
    try {
      parsed = parseRules(source, { file, externals, include });
    } catch (err) {
      if (err instanceof YaraSyntaxError) {
        errors.push({
          file: err.file,
          line: err.line,
          column: err.column,
          code: err.code,
          message: err.message,
        });
        continue;
      }
      throw err;
    }
    for (const rule of parsed.rules) {
      const key = `${rule.loc.file}\0${rule.loc.offset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
      let own = byFile.get(rule.loc.file);
      if (!own) {
        own = {
          kind: "file",
          file: rule.loc.file,
          imports: [],
          includes: [],
          rules: [],
        };
        byFile.set(rule.loc.file, own);
      }
      own.rules.push(rule);
    }
    const own = byFile.get(file);
    if (own) {
      own.imports = parsed.imports.filter((i) => i.loc.file === file);
      own.includes = parsed.includes.filter((i) => i.loc.file === file);
    }
  }
  return {
    name: options.name,
    files,
    indexes,
    rules,
    ruleFiles: [...byFile.values()],
    errors,
    sources,
  };
}

/** The pack path an `include` names, or undefined when it leaves the pack. */
export function includeTarget(from: string, path: string): string | undefined {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return undefined;
  const slash = from.lastIndexOf("/");
  try {
    return memberPath(slash < 0 ? path : `${from.slice(0, slash)}/${path}`);
  } catch {
    return undefined;
  }
}

/**
 * The includes of a file made only of `include "…"` statements and comments, or undefined when
 * the file has anything else.
 */
function indexIncludes(source: string): { path: string; offset: number }[] | undefined {
  const found: { path: string; offset: number }[] = [];
  const token = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|include\s*"((?:[^"\\\n]|\\.)*)"/y;
  let at = 0;
  while (at < source.length) {
    token.lastIndex = at;
    const m = token.exec(source);
    if (!m) return undefined;
    if (m[1] !== undefined) found.push({ path: m[1], offset: at });
    at = token.lastIndex;
  }
  return found.length > 0 ? found : undefined;
}

function position(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = source.indexOf("\n"); i >= 0 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
