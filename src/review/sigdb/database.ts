/**
 * A signature database, read from what a vendor ships or a reviewer has: a CVD/CLD/CUD container,
 * a folder of database files (what `sigtool --unpack` leaves), a tar or tar.gz of them, a single
 * database file, or an older database plus a `.cdiff` (the update freshclam would apply). Every
 * file is parsed by its extension; malformed lines become issues and the rest is still read.
 *
 * Reading is bounded (`limits.ts`); container members and cdiff targets are plain file names
 * (Decision 21); folders are read one level deep without following links, as ClamAV reads a
 * database folder.
 */
import { createHash } from "node:crypto";
import { type Dirent, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { CrosscheckError } from "../../errors/index.js";
import type { RuleFile } from "../rules/index.js";
import { applyCdiff, type Cdiff, readCdiff } from "./cdiff.js";
import {
  type ContainerHeader,
  type ContainerKind,
  type ContainerVerification,
  checkMemberName,
  isContainer,
  parseHeader,
  readContainer,
  readTar,
} from "./container.js";
import { CLAMAV_KEYS, type ClamavKeys } from "./dsig.js";
import {
  extensionOf,
  parseDatabaseFile,
  SIGNATURE_EXTENSIONS,
  type Sink,
} from "./formats/index.js";
import { checkInfo, type InfoIndex, parseInfo } from "./formats/info.js";
import { gunzipBounded, limitError, limitsOf, type SigdbLimits } from "./limits.js";
import type { LineIssue, Signature } from "./model.js";

export interface DatabaseFile {
  name: string;
  size: number;
  sha256: string;
}

export interface SignatureDatabase {
  /** What it was read from (a path or an artifact name). */
  name: string;
  source: ContainerKind | "folder" | "archive" | "file";
  /** The container header (CVD/CLD/CUD), or the `.info` header for other sources. */
  header?: ContainerHeader;
  verification?: ContainerVerification;
  info?: InfoIndex;
  /** The cdiff this database was made with, when read as OLD + cdiff. */
  cdiff?: Omit<Cdiff, "script"> & { name: string; commands: number };
  files: DatabaseFile[];
  signatures: Signature[];
  /** Malformed lines, files not loaded, index mismatches. */
  issues: LineIssue[];
  /** YARA files inside the database, for the rules analyzer (Decision 21). */
  yara: { files: RuleFile[]; sources: Map<string, string> };
}

export interface ReadOptions {
  limits?: Partial<SigdbLimits>;
  keys?: ClamavKeys;
  /** External variables the product defines for YARA rules inside the database. */
  externals?: readonly string[];
  /** Display name (defaults to the path). */
  name?: string;
}

interface Member {
  name: string;
  bytes: Buffer;
}

/** Reads a database from a path: a container, an archive, a database file, or a folder. */
export function readDatabase(path: string, options: ReadOptions = {}): SignatureDatabase {
  const limits = limitsOf(options.limits);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new CrosscheckError(
      "E_INPUT",
      `Cannot read the signature database ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  if (stat.isDirectory()) {
    return fromMembers(options.name ?? path, "folder", readFolder(path, limits), options);
  }
  if (stat.size > limits.maxInputBytes) {
    throw limitError(
      `The signature database ${path} is larger than ${limits.maxInputBytes} bytes.`,
    );
  }
  return openDatabase(options.name ?? path, readFileSync(path), options);
}

/** Reads a database from bytes named `name` (the name's extension says CVD, CLD or CUD). */
export function openDatabase(
  name: string,
  bytes: Buffer,
  options: ReadOptions = {},
): SignatureDatabase {
  return openDatabaseWithFiles(name, bytes, options).db;
}

/** `openDatabase`, also returning the database's files as bytes (to apply a cdiff to). */
export function openDatabaseWithFiles(
  name: string,
  bytes: Buffer,
  options: ReadOptions = {},
): { db: SignatureDatabase; files: Map<string, Buffer> } {
  const limits = limitsOf(options.limits);
  const keys = options.keys ?? CLAMAV_KEYS;
  if (bytes.length > limits.maxInputBytes) {
    throw limitError(`${name} is larger than ${limits.maxInputBytes} bytes.`);
  }
  let members: Member[];
  let db: SignatureDatabase;
  if (isContainer(bytes)) {
    const c = readContainer(basename(name), bytes, limits, keys);
    members = c.members;
    db = fromMembers(name, c.kind, members, options, {
      header: c.header,
      verification: c.verification,
    });
  } else if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    members = readTar(name, gunzipBounded(name, bytes, limits), limits);
    db = fromMembers(name, "archive", members, options);
  } else if (bytes.length >= 512 && bytes.toString("latin1", 257, 262) === "ustar") {
    members = readTar(name, bytes, limits);
    db = fromMembers(name, "archive", members, options);
  } else {
    members = [{ name: checkMemberName(name, basename(name)), bytes }];
    db = fromMembers(name, "file", members, options);
  }
  return { db, files: new Map(members.map((m) => [m.name, m.bytes])) };
}

/**
 * The database `old` becomes with the cdiff `bytes` applied (what freshclam writes as a CLD).
 * Throws `E_SIGDB_CDIFF` when the update does not fit `old`.
 */
export function applyCdiffToDatabase(
  oldMembers: ReadonlyMap<string, Buffer>,
  cdiffName: string,
  bytes: Buffer,
  options: ReadOptions = {},
): SignatureDatabase {
  const limits = limitsOf(options.limits);
  const cdiff = readCdiff(basename(cdiffName), bytes, limits, options.keys ?? CLAMAV_KEYS);
  const before = new Map<string, string>();
  for (const [n, b] of oldMembers) before.set(n, b.toString("latin1"));
  const after = applyCdiff(basename(cdiffName), cdiff, before);
  const members = [...after].map(([n, text]) => ({ name: n, bytes: Buffer.from(text, "latin1") }));
  const db = fromMembers(options.name ?? cdiffName, "cld", members, options);
  const { script, ...meta } = cdiff;
  db.cdiff = { ...meta, name: cdiffName, commands: script.length };
  return db;
}

/** `old` (any database path) with the cdiff at `cdiffPath` applied. */
export function readUpdatedDatabase(
  oldPath: string,
  cdiffPath: string,
  options: ReadOptions = {},
): SignatureDatabase {
  const limits = limitsOf(options.limits);
  const size = statSync(cdiffPath).size;
  if (size > limits.maxInputBytes) {
    throw limitError(`The cdiff ${cdiffPath} is larger than ${limits.maxInputBytes} bytes.`);
  }
  return applyCdiffToDatabase(
    databaseMembers(oldPath, options),
    cdiffPath,
    readFileSync(cdiffPath),
    options,
  );
}

/** A database made of named files (a release's artifacts, say), as a folder of them. */
export function databaseFromFiles(
  name: string,
  files: readonly { name: string; bytes: Buffer }[],
  options: ReadOptions = {},
): SignatureDatabase {
  const limits = limitsOf(options.limits);
  let total = 0;
  const members: Member[] = [];
  for (const f of files) {
    total += f.bytes.length;
    if (total > limits.maxTotalBytes)
      throw limitError(`${name} holds more than ${limits.maxTotalBytes} bytes.`);
    members.push({ name: checkMemberName(name, f.name), bytes: f.bytes });
  }
  return fromMembers(name, "folder", members, options);
}

/** The files of a database as bytes (to apply a cdiff to, or to hash). */
export function databaseMembers(path: string, options: ReadOptions = {}): Map<string, Buffer> {
  const limits = limitsOf(options.limits);
  if (statSync(path).isDirectory()) {
    return new Map(readFolder(path, limits).map((m) => [m.name, m.bytes]));
  }
  return openDatabaseWithFiles(path, readFileSync(path), options).files;
}

function readFolder(root: string, limits: SigdbLimits): Member[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    throw new CrosscheckError(
      "E_INPUT",
      `Cannot read the folder ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Member[] = [];
  let total = 0;
  for (const e of entries) {
    // Links are not followed: a link could point anywhere on the reviewer's machine.
    if (!e.isFile() || e.isSymbolicLink()) continue;
    const ext = extensionOf(e.name);
    if (!SIGNATURE_EXTENSIONS.has(ext) && ext !== "info" && e.name !== "COPYING") continue;
    const full = join(root, e.name);
    const size = lstatSync(full).size;
    if (size > limits.maxMemberBytes) {
      throw limitError(`${full} is larger than ${limits.maxMemberBytes} bytes.`);
    }
    total += size;
    if (total > limits.maxTotalBytes) {
      throw limitError(
        `The database folder ${root} holds more than ${limits.maxTotalBytes} bytes.`,
      );
    }
    if (out.length >= limits.maxMembers) {
      throw limitError(`The database folder ${root} holds more than ${limits.maxMembers} files.`);
    }
    out.push({ name: e.name, bytes: readFileSync(full) });
  }
  return out;
}

function fromMembers(
  name: string,
  source: SignatureDatabase["source"],
  members: readonly Member[],
  options: ReadOptions,
  container?: { header: ContainerHeader; verification: ContainerVerification },
): SignatureDatabase {
  const limits = limitsOf(options.limits);
  const keys = options.keys ?? CLAMAV_KEYS;
  const sink: Sink = { signatures: [], issues: [] };
  const files: DatabaseFile[] = [];
  const yara: SignatureDatabase["yara"] = { files: [], sources: new Map() };
  let info: InfoIndex | undefined;
  for (const m of members) {
    files.push({
      name: m.name,
      size: m.bytes.length,
      sha256: createHash("sha256").update(m.bytes).digest("hex"),
    });
    if (m.name === "COPYING") continue;
    if (extensionOf(m.name) === "info") {
      info = parseInfo(m.name, m.bytes, keys);
      continue;
    }
    const parsed = parseDatabaseFile(m.name, m.bytes, sink, {
      maxLineLength: limits.maxLineLength,
      ...(options.externals ? { externals: options.externals } : {}),
    });
    if (parsed) {
      yara.files.push(parsed.file);
      yara.sources.set(m.name, parsed.source);
    }
  }
  const db: SignatureDatabase = {
    name,
    source,
    files,
    signatures: sink.signatures,
    issues: sink.issues,
    yara,
  };
  if (container) {
    db.header = container.header;
    db.verification = container.verification;
  } else if (info?.header) {
    try {
      db.header = parseHeader(Buffer.from(info.header, "latin1"), info.file);
    } catch {
      // An index whose first line is not a header: its check below says what is wrong.
    }
  }
  if (info) {
    db.info = info;
    db.issues.push(...checkInfo(info, files));
  }
  return db;
}
