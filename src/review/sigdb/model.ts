/**
 * What a ClamAV signature database is made of, once read: its files, every signature with where
 * it is written (file, line) and what it says, and the problems found on the way (a malformed
 * line is one `LineIssue`; the rest of its file is still read). One type per signature family;
 * every signature keeps its raw line, which is what the diff compares and what an `.ign2` MD5
 * is computed over.
 */
import type { FindingLocation } from "../finding.js";

/** A hex signature (body signature, logical subsignature, file type magic), as read. */
export interface HexPattern {
  source: string;
  /** Bytes pinned exactly, outside alternatives. */
  fixedBytes: number;
  /** The longest run of pinned bytes. */
  longestRun: number;
  /** Bytes it matches at least (jumps at their minimum, alternatives at their shortest). */
  minLength: number;
  /** Holds `*` or an open-ended jump `{n-}`. */
  unboundedGap: boolean;
  /** Holds `!(…)`, a negated alternative. */
  negated: boolean;
  /** Binary strings it spells: pinned bytes in order, gaps dropped, alternatives fanned out. */
  views: string[];
}

export type SignatureKind =
  | "hash"
  | "body"
  | "logical"
  | "container"
  | "allow"
  | "ignore"
  | "filetype"
  | "phishing"
  | "certificate"
  | "icon"
  | "config"
  | "bytecode"
  | "yara";

interface Base {
  /** The database file it is in (`daily.ndb`). */
  file: string;
  /** 1-based. */
  line: number;
  name: string;
  /** The line as written (without its line break); what the diff compares. */
  text: string;
  /** Functionality levels it loads in (inclusive); undefined when unbounded. */
  minFl?: number;
  maxFl?: number;
  /** Why ClamAV would not load it at all (an unknown target, attribute or file type). */
  skipped?: string;
}

export type HashType = "md5" | "sha1" | "sha256";

/** .hdb/.hsb (file), .mdb/.msb (PE section), .imp (import table), and PUA variants. */
export interface HashSignature extends Base {
  kind: "hash";
  purpose: "file" | "section" | "imports";
  hashType: HashType;
  hash: string;
  /** Bytes, or undefined for `*` (any size). */
  size?: number;
  pua: boolean;
}

/** .fp/.sfp: a file (by hash and size) that no signature may report. */
export interface AllowSignature extends Base {
  kind: "allow";
  hashType: HashType;
  hash: string;
  size?: number;
}

/** .ndb/.ndu and the legacy .db: a hex pattern at an offset in a target type. */
export interface BodySignature extends Base {
  kind: "body";
  /** ClamAV target type (0 any, 1 PE, 2 OLE2, …); undefined for `*`. */
  target?: number;
  offset: string;
  pattern: HexPattern;
  pua: boolean;
}

export type Subsignature =
  | {
      kind: "content";
      raw: string;
      offset?: string;
      pattern: HexPattern;
      /** `::i` nocase, `::w` wide, `::f` fullword, `::a` ascii. */
      modifiers: string;
    }
  | {
      kind: "pcre";
      raw: string;
      offset?: string;
      /** The logical expression over earlier subsignatures that must hold first. */
      trigger: string;
      pattern: string;
      flags: string;
      /** Sample texts the regex spells (read, never run). */
      views: string[];
    }
  | { kind: "byte-compare"; raw: string; subsignature: number; comparison: string }
  | { kind: "macro"; raw: string }
  | { kind: "fuzzy-image"; raw: string };

export type LogicNode =
  | { k: "id"; id: number; mod?: LogicModifier }
  | { k: "and" | "or"; left: LogicNode; right: LogicNode; mod?: LogicModifier };

export interface LogicModifier {
  op: "=" | ">" | "<";
  count: number;
  /** `=N,M`: at least M distinct subsignatures. */
  distinct?: number;
}

/** .ldb/.ldu: a target description block, a logical expression and subsignatures. */
export interface LogicalSignature extends Base {
  kind: "logical";
  /** Target description block attributes as written (`Target` → `1`, `Engine` → `51-255`). */
  tdb: Map<string, string>;
  target?: number;
  /** `Container:` / `Intermediates:` file types it is limited to. */
  containers: string[];
  logic: LogicNode;
  logicText: string;
  subsignatures: Subsignature[];
  pua: boolean;
}

/** .cdb: a file inside a container, by name, size and flags. */
export interface ContainerSignature extends Base {
  kind: "container";
  containerType: string;
  containerSize: string;
  fileNameRegex: string;
  fileNameViews: string[];
  fileSizeInContainer: string;
  fileSizeReal: string;
  encrypted: string;
  filePosition: string;
}

/** .ign/.ign2: a signature switched off, optionally only the one whose line has this MD5. */
export interface IgnoreEntry extends Base {
  kind: "ignore";
  /** The signature name it switches off (`name` too). */
  ignored: string;
  lineMd5?: string;
}

/** .ftm: how the engine recognises a file type. */
export interface FiletypeSignature extends Base {
  kind: "filetype";
  magicType: number;
  offset: string;
  pattern?: HexPattern;
  requiredType: string;
  detectedType: string;
}

/** .pdb/.gdb/.wdb: phishing domain lists, Safe Browsing hashes, the phishing allow list. */
export interface PhishingEntry extends Base {
  kind: "phishing";
  list: "pdb" | "gdb" | "wdb";
  /** R, H (pdb); X, Y, M (wdb); S, S1, S2 (gdb). */
  type: string;
  /** The pattern as written (after the type and flags). */
  pattern: string;
}

/** .crb: a certificate trusted (allow) or blocked. */
export interface CertificateEntry extends Base {
  kind: "certificate";
  trusted: boolean;
  subject: string;
  serial: string;
  codeSign: boolean;
  timeSign: boolean;
  certSign: boolean;
}

/** .idb: an icon's fuzzy hash. */
export interface IconSignature extends Base {
  kind: "icon";
  group1: string;
  group2: string;
  hash: string;
}

/** .cfg: engine configuration (dynamic configuration) for one module. */
export interface ConfigEntry extends Base {
  kind: "config";
  module: string;
  value: number;
}

/** .cbc: compiled bytecode, listed with its metadata (never run). */
export interface BytecodeSignature extends Base {
  kind: "bytecode";
  sha256: string;
  size: number;
  formatLevel: number;
  timestamp: number;
  sigmaker: string;
  kindName: string;
  minFunctionality: number;
  maxFunctionality: number;
  compiler: string;
  functions: number;
  apis: string[];
  logical?: string;
}

/** A YARA rule inside the database (Decision 21: reviewed by the rules analyzer). */
export interface YaraSignature extends Base {
  kind: "yara";
}

export type Signature =
  | HashSignature
  | AllowSignature
  | BodySignature
  | LogicalSignature
  | ContainerSignature
  | IgnoreEntry
  | FiletypeSignature
  | PhishingEntry
  | CertificateEntry
  | IconSignature
  | ConfigEntry
  | BytecodeSignature
  | YaraSignature;

/** A problem with one line (or a whole file when `line` is 0), with a stable code. */
export interface LineIssue {
  file: string;
  line: number;
  code: string;
  message: string;
}

export function locationOf(s: { file: string; line: number }): FindingLocation {
  return { file: s.file, line: s.line, column: 1 };
}
