/**
 * A recursive-descent parser for the YARA 4.x language (plus YARA-X's `of … at`, `with`, hex `~`).
 *
 * Condition precedence, lowest first (libyara/grammar.y):
 *   or < and < not/defined < == != contains … matches < < <= > >= < | < ^ < & < << >> < + - <
 *   * \ % < unary - ~ < postfix (. [] ()).
 * All binary operators are left-associative. `Q of SET`, `for …`, `$a at E` and `$a in R` are
 * boolean primaries. Besides syntax, the checks YARA makes on a single rule are made here too
 * (undefined and unreferenced strings, undefined identifiers, duplicate rules, modifier
 * conflicts), so a file YARA refuses is refused with the same reason.
 */

import type {
  BinaryOp,
  Expr,
  HexToken,
  Include,
  IntReadFn,
  Iterable,
  Loc,
  Meta,
  OfExpr,
  OfSet,
  Quantifier,
  RangeExpr,
  RegexFlags,
  Rule,
  RuleFile,
  SetItem,
  StringDef,
  StringModifiers,
} from "./ast.js";
import { YaraLimitError, YaraSyntaxError } from "./errors.js";
import { T, TOKEN_NAMES, type Tokens, tokenize } from "./lexer.js";

export interface ParseLimits {
  /** Bytes of source per file and in total over includes. */
  maxBytes: number;
  /** Nesting of condition expressions and hex alternatives. */
  maxDepth: number;
  maxRules: number;
  maxStringsPerRule: number;
  maxIncludeDepth: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxDepth: 200,
  maxRules: 200_000,
  maxStringsPerRule: 20_000,
  maxIncludeDepth: 16,
};

export const DEFAULT_EXTERNALS: readonly string[] = [
  "filename",
  "filepath",
  "extension",
  "filetype",
  "hostname",
  "username",
  "domain",
  "owner",
  "md5",
  "sha1",
  "sha256",
];

/** Modules of YARA 4.2 and YARA-X. */
export const DEFAULT_MODULES: readonly string[] = [
  "pe",
  "elf",
  "math",
  "hash",
  "dotnet",
  "magic",
  "cuckoo",
  "time",
  "console",
  "dex",
  "macho",
  "string",
  "lnk",
  "tests",
];

export interface ParseOptions {
  file?: string;
  externals?: readonly string[];
  modules?: readonly string[];
  /** Returns the source of an included file, or undefined when it cannot be read. */
  include?: (path: string, from: string) => string | undefined;
  limits?: Partial<ParseLimits>;
}

interface Context {
  limits: ParseLimits;
  externals: Set<string>;
  modules: Set<string>;
  include: ParseOptions["include"];
  rules: Rule[];
  ruleNames: Set<string>;
  imports: string[];
  importsSnapshot: string[];
  importList: RuleFile["imports"];
  includes: Include[];
  stack: string[];
  totalBytes: number;
  /** An include could not be resolved: names it would have defined are unknown. */
  lenient: boolean;
}

const INT_READS = new Set<string>([
  "int8",
  "int16",
  "int32",
  "uint8",
  "uint16",
  "uint32",
  "int8be",
  "int16be",
  "int32be",
  "uint8be",
  "uint16be",
  "uint32be",
]);

/** Words YARA reserves: not usable as rule names, tags, or identifiers. */
export const KEYWORDS = new Set<string>([
  "all",
  "and",
  "any",
  "ascii",
  "at",
  "base64",
  "base64wide",
  "condition",
  "contains",
  "defined",
  "endswith",
  "entrypoint",
  "false",
  "filesize",
  "for",
  "fullword",
  "global",
  "icontains",
  "iendswith",
  "iequals",
  "import",
  "in",
  "include",
  "istartswith",
  "matches",
  "meta",
  "nocase",
  "none",
  "not",
  "of",
  "or",
  "private",
  "rule",
  "startswith",
  "strings",
  "them",
  "true",
  "wide",
  "xor",
  ...INT_READS,
]);

const EQ_WORDS: Record<string, BinaryOp> = {
  contains: "contains",
  icontains: "icontains",
  startswith: "startswith",
  istartswith: "istartswith",
  endswith: "endswith",
  iendswith: "iendswith",
  iequals: "iequals",
  matches: "matches",
};

/** Placeholder, replaced before the node is returned (keeps the key order of the node). */
const PENDING_LOC: Loc = { file: "", line: 0, column: 0, offset: 0, end: 0 };

/** Modifier names, each with its bit (to find duplicates without a set per string). */
const MODIFIERS = new Map<string, number>([
  ["nocase", 1],
  ["wide", 2],
  ["ascii", 4],
  ["fullword", 8],
  ["private", 16],
  ["xor", 32],
  ["base64", 64],
  ["base64wide", 128],
]);

export function parseSource(source: string, options: ParseOptions = {}): RuleFile {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const file = options.file ?? "<input>";
  const ctx: Context = {
    limits,
    externals: new Set(options.externals ?? DEFAULT_EXTERNALS),
    modules: new Set(options.modules ?? DEFAULT_MODULES),
    include: options.include,
    rules: [],
    ruleNames: new Set(),
    imports: [],
    importsSnapshot: [],
    importList: [],
    includes: [],
    stack: [],
    totalBytes: 0,
    lenient: false,
  };
  new FileParser(source, file, ctx).parseFile();
  return { kind: "file", file, imports: ctx.importList, includes: ctx.includes, rules: ctx.rules };
}

function joinPath(from: string, path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  const slash = from.lastIndexOf("/");
  const parts = (slash < 0 ? path : `${from.slice(0, slash)}/${path}`).split("/");
  const out: string[] = [];
  for (const part of parts) {
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else out.push(part);
    } else if (part !== "." && part !== "") out.push(part);
    else if (part === "" && out.length === 0) out.push("");
  }
  return out.join("/");
}

interface RuleScope {
  strings: Map<string, StringDef>;
  referenced: Set<string>;
  vars: string[];
  forOfDepth: number;
}

class FileParser {
  private readonly src: string;
  private readonly file: string;
  private readonly ctx: Context;
  private readonly toks: Tokens;
  private readonly kind: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private p = 0;
  private depth = 0;
  private readonly lineStarts: number[] = [0];
  private lineHint = 0;
  private scope: RuleScope = { strings: new Map(), referenced: new Set(), vars: [], forOfDepth: 0 };

  constructor(src: string, file: string, ctx: Context) {
    this.src = src;
    this.file = file;
    this.ctx = ctx;
    for (let nl = src.indexOf("\n"); nl >= 0; nl = src.indexOf("\n", nl + 1)) {
      this.lineStarts.push(nl + 1);
    }
    if (src.length > ctx.limits.maxBytes) {
      throw this.limit(
        0,
        `the file is ${src.length} bytes, over the limit of ${ctx.limits.maxBytes}`,
      );
    }
    ctx.totalBytes += src.length;
    if (ctx.totalBytes > ctx.limits.maxBytes) {
      throw this.limit(0, `the files included are over the limit of ${ctx.limits.maxBytes} bytes`);
    }
    this.toks = tokenize(src);
    this.kind = this.toks.kind;
    this.start = this.toks.start;
    this.end = this.toks.end;
  }

  // ------------------------------------------------------------------------------------------
  // Positions and errors

  private lineIndex(offset: number): number {
    const ls = this.lineStarts;
    let h = this.lineHint;
    if (ls[h] > offset) {
      let lo = 0;
      let hi = h;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ls[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      h = lo;
    } else if (h + 1 < ls.length && ls[h + 1] <= offset) {
      h++;
      if (h + 1 < ls.length && ls[h + 1] <= offset) {
        let lo = h + 1;
        let hi = ls.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (ls[mid] <= offset) lo = mid;
          else hi = mid - 1;
        }
        h = lo;
      }
    }
    this.lineHint = h;
    return h;
  }

  private loc(s: number, e: number): Loc {
    const li = this.lineIndex(s);
    return {
      file: this.file,
      line: li + 1,
      column: s - this.lineStarts[li] + 1,
      offset: s,
      end: e,
    };
  }

  private locFrom(tokenIndex: number): Loc {
    return this.loc(this.start[tokenIndex], this.end[this.p - 1] ?? this.start[tokenIndex]);
  }

  error(offset: number, message: string): YaraSyntaxError {
    const li = this.lineIndex(offset);
    return new YaraSyntaxError(this.file, li + 1, offset - this.lineStarts[li] + 1, message);
  }

  private limit(offset: number, message: string): YaraLimitError {
    const li = this.lineIndex(offset);
    return new YaraLimitError(this.file, li + 1, offset - this.lineStarts[li] + 1, message);
  }

  private describe(i: number): string {
    const k = this.kind[i];
    if (k === T.EOF) return "end of file";
    const text = this.src.slice(this.start[i], Math.min(this.end[i], this.start[i] + 40));
    return k === T.IDENT || k === T.NUMBER || k === T.FLOAT || k === T.STRING_ID
      ? `"${text}"`
      : (TOKEN_NAMES[k] ?? `"${text}"`);
  }

  private unexpected(expected: string): YaraSyntaxError {
    if (this.kind[this.p] === T.EOF && this.toks.error) {
      return this.error(this.toks.error.offset, this.toks.error.message);
    }
    return this.error(this.start[this.p], `expected ${expected}, found ${this.describe(this.p)}`);
  }

  // ------------------------------------------------------------------------------------------
  // Token helpers

  private text(i: number): string {
    return this.src.slice(this.start[i], this.end[i]);
  }

  private isWord(i: number, w: string): boolean {
    return (
      this.kind[i] === T.IDENT &&
      this.end[i] - this.start[i] === w.length &&
      this.src.startsWith(w, this.start[i])
    );
  }

  private expect(k: number, what: string): number {
    if (this.kind[this.p] !== k) throw this.unexpected(what);
    return this.p++;
  }

  private expectWord(w: string): void {
    if (!this.isWord(this.p, w)) throw this.unexpected(`"${w}"`);
    this.p++;
  }

  private identifier(what: string): string {
    if (this.kind[this.p] !== T.IDENT) throw this.unexpected(what);
    const name = this.text(this.p);
    if (KEYWORDS.has(name)) {
      throw this.error(this.start[this.p], `"${name}" is a reserved word and cannot be ${what}`);
    }
    if (name.length > 128) throw this.error(this.start[this.p], "identifier too long (over 128)");
    this.p++;
    return name;
  }

  private enter(): void {
    if (++this.depth > this.ctx.limits.maxDepth) {
      throw this.limit(
        this.start[this.p],
        `the condition is nested more than ${this.ctx.limits.maxDepth} levels deep`,
      );
    }
  }

  // ------------------------------------------------------------------------------------------
  // File level

  parseFile(): void {
    const ctx = this.ctx;
    ctx.stack.push(this.file);
    for (;;) {
      const k = this.kind[this.p];
      if (k === T.EOF) {
        if (this.toks.error) throw this.error(this.toks.error.offset, this.toks.error.message);
        break;
      }
      if (this.isWord(this.p, "import")) {
        const s = this.p++;
        const t = this.expect(T.TEXT, "a module name in quotes");
        const module = this.decodeText(t, false);
        if (!ctx.modules.has(module)) {
          throw this.error(this.start[t], `unknown module "${module}"`);
        }
        ctx.importList.push({ kind: "import", module, loc: this.locFrom(s) });
        if (!ctx.imports.includes(module)) {
          ctx.imports.push(module);
          ctx.importsSnapshot = [...ctx.imports];
        }
      } else if (this.isWord(this.p, "include")) {
        this.parseInclude();
      } else {
        this.parseRule();
      }
    }
    ctx.stack.pop();
  }

  private parseInclude(): void {
    const ctx = this.ctx;
    const s = this.p++;
    const t = this.expect(T.TEXT, "a file name in quotes");
    const path = this.decodeText(t, false);
    const loc = this.locFrom(s);
    const node: Include = { kind: "include", path, resolved: false, loc };
    ctx.includes.push(node);
    if (!ctx.include) {
      ctx.lenient = true;
      return;
    }
    const target = joinPath(this.file, path);
    if (ctx.stack.includes(target)) {
      throw this.error(this.start[t], `include cycle: "${path}" is already being read`);
    }
    if (ctx.stack.length >= ctx.limits.maxIncludeDepth) {
      throw this.limit(this.start[t], `includes nested over ${ctx.limits.maxIncludeDepth} deep`);
    }
    const source = ctx.include(path, this.file);
    if (source === undefined) {
      throw this.error(this.start[t], `cannot read included file "${path}"`);
    }
    node.resolved = true;
    new FileParser(source, target, ctx).parseFile();
  }

  private parseRule(): void {
    const ctx = this.ctx;
    const s = this.p;
    let isPrivate = false;
    let isGlobal = false;
    for (;;) {
      if (this.isWord(this.p, "private")) {
        if (isPrivate) throw this.error(this.start[this.p], 'duplicate "private"');
        isPrivate = true;
      } else if (this.isWord(this.p, "global")) {
        if (isGlobal) throw this.error(this.start[this.p], 'duplicate "global"');
        isGlobal = true;
      } else break;
      this.p++;
    }
    if (!this.isWord(this.p, "rule")) {
      throw this.unexpected(
        isPrivate || isGlobal ? '"rule"' : '"rule", "import" or "include" at top level',
      );
    }
    this.p++;
    const nameTok = this.p;
    const name = this.identifier("a rule name");
    if (ctx.ruleNames.has(name)) {
      throw this.error(this.start[nameTok], `duplicate rule "${name}"`);
    }
    if (ctx.externals.has(name) || ctx.imports.includes(name)) {
      throw this.error(
        this.start[nameTok],
        `rule "${name}" has the name of an external variable or module`,
      );
    }
    const tags: string[] = [];
    if (this.kind[this.p] === T.COLON) {
      this.p++;
      while (this.kind[this.p] === T.IDENT) {
        const tt = this.p;
        const tag = this.identifier("a tag");
        if (tags.includes(tag)) throw this.error(this.start[tt], `duplicate tag "${tag}"`);
        tags.push(tag);
      }
      if (tags.length === 0) throw this.unexpected("a tag");
    }
    this.expect(T.LBRACE, "'{' to open the rule body");
    const meta: Meta[] = [];
    const strings: StringDef[] = [];
    this.scope = { strings: new Map(), referenced: new Set(), vars: [], forOfDepth: 0 };
    if (this.isWord(this.p, "meta") && this.kind[this.p + 1] === T.COLON) {
      this.p += 2;
      this.parseMeta(meta);
    }
    if (this.isWord(this.p, "strings") && this.kind[this.p + 1] === T.COLON) {
      this.p += 2;
      this.parseStrings(strings);
    }
    if (!(this.isWord(this.p, "condition") && this.kind[this.p + 1] === T.COLON)) {
      throw this.unexpected(
        strings.length + meta.length > 0
          ? '"condition:"'
          : 'a "meta:", "strings:" or "condition:" section',
      );
    }
    this.p += 2;
    this.depth = 0;
    const condition = this.parseOr();
    this.expect(T.RBRACE, "'}' to close the rule, or an operator");
    for (const str of strings) {
      if (!this.scope.referenced.has(str.id) && !str.id.startsWith("$_")) {
        if (str.id === "$" && this.scope.referenced.has("$")) continue;
        throw this.error(str.loc.offset, `unreferenced string "${str.id}" in rule "${name}"`);
      }
    }
    if (ctx.rules.length >= ctx.limits.maxRules) {
      throw this.limit(this.start[s], `more than ${ctx.limits.maxRules} rules`);
    }
    ctx.ruleNames.add(name);
    ctx.rules.push({
      kind: "rule",
      name,
      tags,
      isPrivate,
      isGlobal,
      meta,
      strings,
      condition,
      imports: ctx.importsSnapshot,
      loc: this.locFrom(s),
    });
  }

  private atSection(): boolean {
    return (
      this.kind[this.p + 1] === T.COLON &&
      (this.isWord(this.p, "strings") || this.isWord(this.p, "condition"))
    );
  }

  private parseMeta(out: Meta[]): void {
    while (this.kind[this.p] === T.IDENT && !this.atSection()) {
      const s = this.p;
      const key = this.text(this.p++);
      this.expect(T.ASSIGN, "'=' after the meta name");
      const k = this.kind[this.p];
      let value: string | number | boolean;
      if (k === T.TEXT) {
        value = this.decodeText(this.p++, true);
      } else if (k === T.NUMBER) {
        value = this.number(this.p++);
      } else if (k === T.MINUS && this.kind[this.p + 1] === T.NUMBER) {
        this.p++;
        value = -this.number(this.p++);
      } else if (this.isWord(this.p, "true") || this.isWord(this.p, "false")) {
        value = this.isWord(this.p++, "true");
      } else {
        throw this.unexpected("a meta value (text, number, true or false)");
      }
      out.push({ kind: "meta", key, value, loc: this.locFrom(s) });
    }
  }

  private parseStrings(out: StringDef[]): void {
    const scope = this.scope;
    if (this.kind[this.p] !== T.STRING_ID) throw this.unexpected("a string definition");
    while (this.kind[this.p] === T.STRING_ID) {
      const s = this.p;
      const id = this.text(this.p++);
      if (id.endsWith("*"))
        throw this.error(this.start[s], `"${id}": a string name cannot contain *`);
      if (id !== "$" && scope.strings.has(id)) {
        throw this.error(this.start[s], `duplicate string identifier "${id}"`);
      }
      this.expect(T.ASSIGN, "'=' after the string name");
      const k = this.kind[this.p];
      const vt = this.p++;
      let def: StringDef;
      if (k === T.TEXT) {
        const value = this.decodeText(vt, false);
        if (value.length === 0) throw this.error(this.start[vt], `empty string "${id}"`);
        const raw = this.src.slice(this.start[vt] + 1, this.end[vt] - 1);
        def = {
          kind: "text",
          id,
          value,
          raw,
          modifiers: this.modifiers("text"),
          loc: this.locFrom(s),
        };
      } else if (k === T.HEX) {
        const raw = this.src.slice(this.start[vt] + 1, this.end[vt] - 1);
        const tokens = this.parseHex(vt);
        def = {
          kind: "hex",
          id,
          tokens,
          raw,
          modifiers: this.modifiers("hex"),
          loc: this.locFrom(s),
        };
      } else if (k === T.REGEX) {
        const { pattern, flags } = this.regex(vt);
        def = {
          kind: "regex",
          id,
          pattern,
          flags,
          modifiers: this.modifiers("regex"),
          loc: this.locFrom(s),
        };
      } else {
        this.p--;
        throw this.unexpected('a text string "…", a hex string { … } or a regular expression /…/');
      }
      out.push(def);
      if (out.length > this.ctx.limits.maxStringsPerRule) {
        throw this.limit(
          this.start[s],
          `more than ${this.ctx.limits.maxStringsPerRule} strings in a rule`,
        );
      }
      scope.strings.set(id, def);
    }
  }

  private modifiers(type: "text" | "hex" | "regex"): StringModifiers {
    const m: StringModifiers = {
      nocase: false,
      wide: false,
      ascii: false,
      fullword: false,
      private: false,
    };
    let seen = 0;
    while (this.kind[this.p] === T.IDENT && !this.atSection()) {
      const t = this.p;
      const name = this.text(t);
      const bit = MODIFIERS.get(name);
      if (bit === undefined) break;
      this.p++;
      if ((seen & bit) !== 0) throw this.error(this.start[t], `duplicate modifier "${name}"`);
      seen |= bit;
      const allowed =
        type === "text" ||
        name === "private" ||
        (type === "regex" &&
          (name === "nocase" || name === "wide" || name === "ascii" || name === "fullword"));
      if (!allowed) {
        throw this.error(
          this.start[t],
          `the modifier "${name}" cannot be used with a ${type} string`,
        );
      }
      switch (name) {
        case "xor": {
          let min = 0;
          let max = 255;
          if (this.kind[this.p] === T.LPAREN) {
            this.p++;
            const a = this.expect(T.NUMBER, "a number in xor(…)");
            min = this.number(a);
            max = min;
            if (this.kind[this.p] === T.MINUS) {
              this.p++;
              max = this.number(this.expect(T.NUMBER, "the upper bound of the xor range"));
            }
            this.expect(T.RPAREN, "')' after the xor range");
            if (min > 255 || max > 255) throw this.error(this.start[a], "xor keys are 0 to 255");
            if (min > max)
              throw this.error(this.start[a], "xor range: lower bound above upper bound");
          }
          m.xor = { min, max };
          break;
        }
        case "base64":
        case "base64wide": {
          let alphabet: string | undefined;
          if (this.kind[this.p] === T.LPAREN) {
            this.p++;
            const a = this.expect(T.TEXT, "a base64 alphabet in quotes");
            alphabet = this.decodeText(a, false);
            if (alphabet.length !== 64) {
              throw this.error(this.start[a], "a base64 alphabet must be 64 bytes long");
            }
            this.expect(T.RPAREN, "')' after the alphabet");
          }
          const prior = m.base64 ?? m.base64wide;
          if (prior && prior.alphabet !== alphabet) {
            throw this.error(this.start[t], "base64 and base64wide must use the same alphabet");
          }
          m[name] = alphabet === undefined ? {} : { alphabet };
          break;
        }
        default:
          m[name as "nocase" | "wide" | "ascii" | "fullword" | "private"] = true;
      }
      const b64 = m.base64 !== undefined || m.base64wide !== undefined;
      if (m.nocase && m.xor)
        throw this.error(this.start[t], '"xor" and "nocase" cannot be combined');
      if (b64 && (m.nocase || m.xor || m.fullword)) {
        throw this.error(
          this.start[t],
          `"base64" cannot be combined with "nocase", "xor" or "fullword"`,
        );
      }
    }
    return m;
  }

  // ------------------------------------------------------------------------------------------
  // Literals

  private number(i: number): number {
    const s = this.start[i];
    const e = this.end[i];
    const src = this.src;
    if (src.charCodeAt(s) === 48 && (src.charCodeAt(s + 1) | 32) === 120) {
      return Number.parseInt(src.slice(s + 2, e), 16);
    }
    if (src.charCodeAt(s) === 48 && src.charCodeAt(s + 1) === 111) {
      return Number.parseInt(src.slice(s + 2, e), 8);
    }
    const last = src.charCodeAt(e - 1);
    if (last === 66) {
      const mult = src.charCodeAt(e - 2) === 75 ? 1024 : 1048576;
      return Number.parseInt(src.slice(s, e - 2), 10) * mult;
    }
    return Number.parseInt(src.slice(s, e), 10);
  }

  /**
   * Decodes a "…" token: escapes, and non-ASCII characters as their UTF-8 bytes (binary string),
   * or, with `unicode`, as text (meta values).
   */
  private decodeText(i: number, unicode: boolean): string {
    const src = this.src;
    const s = this.start[i] + 1;
    const e = this.end[i] - 1;
    let plain = true;
    for (let j = s; j < e; j++) {
      const c = src.charCodeAt(j);
      if (c === 92 || (c > 127 && !unicode)) {
        plain = false;
        break;
      }
    }
    if (plain) return src.slice(s, e);
    const bytes: number[] = [];
    for (let j = s; j < e; j++) {
      const c = src.charCodeAt(j);
      if (c === 92) {
        const d = src.charCodeAt(j + 1);
        j++;
        if (d === 34) bytes.push(34);
        else if (d === 92) bytes.push(92);
        else if (d === 110) bytes.push(10);
        else if (d === 116) bytes.push(9);
        else if (d === 114) bytes.push(13);
        else if (d === 120 && isHex(src.charCodeAt(j + 1)) && isHex(src.charCodeAt(j + 2))) {
          bytes.push(Number.parseInt(src.slice(j + 1, j + 3), 16));
          j += 2;
        } else {
          throw this.error(j - 1, `illegal escape sequence "\\${src.slice(j, j + 1)}" in string`);
        }
      } else if (c < 128) {
        bytes.push(c);
      } else {
        const cp = src.codePointAt(j) ?? c;
        if (cp > 0xffff) j++;
        pushUtf8(bytes, cp);
      }
    }
    if (unicode) return new TextDecoder().decode(new Uint8Array(bytes));
    let out = "";
    for (let j = 0; j < bytes.length; j += 4096) {
      out += String.fromCharCode(...bytes.slice(j, j + 4096));
    }
    return out;
  }

  private regex(i: number): { pattern: string; flags: RegexFlags } {
    const src = this.src;
    let e = this.end[i];
    const flags: RegexFlags = { nocase: false, dotall: false };
    for (;;) {
      const c = src.charCodeAt(e - 1);
      if (c === 105) flags.nocase = true;
      else if (c === 115) flags.dotall = true;
      else break;
      e--;
    }
    const pattern = src.slice(this.start[i] + 1, e - 1);
    this.checkRegex(pattern, this.start[i] + 1);
    return { pattern, flags };
  }

  /** The structural checks YARA's regex parser makes: balanced groups and classes, repeats. */
  private checkRegex(pattern: string, offset: number): void {
    let depth = 0;
    for (let j = 0; j < pattern.length; j++) {
      const c = pattern.charCodeAt(j);
      if (c === 92) {
        j++;
        if (j >= pattern.length)
          throw this.error(offset + j - 1, "regular expression ends with \\");
      } else if (c === 91) {
        j++;
        if (pattern.charCodeAt(j) === 94) j++;
        if (pattern.charCodeAt(j) === 93) j++;
        while (j < pattern.length && pattern.charCodeAt(j) !== 93) {
          if (pattern.charCodeAt(j) === 92) j++;
          j++;
        }
        if (j >= pattern.length) {
          throw this.error(offset, "regular expression: unterminated character class [");
        }
      } else if (c === 40) {
        depth++;
        if (depth > this.ctx.limits.maxDepth) {
          throw this.limit(offset + j, "regular expression nested too deep");
        }
      } else if (c === 41) {
        if (--depth < 0) throw this.error(offset + j, "regular expression: unbalanced )");
      }
    }
    if (depth !== 0) throw this.error(offset, "regular expression: missing )");
  }

  // ------------------------------------------------------------------------------------------
  // Hex strings

  /** Position, end and nesting depth in the hex string being read. */
  private hexAt = 0;
  private hexEnd = 0;
  private hexDepth = 0;

  private parseHex(i: number): HexToken[] {
    this.hexAt = this.start[i] + 1;
    this.hexEnd = this.end[i] - 1;
    this.hexDepth = 0;
    const tokens = this.hexSeq(false);
    if (tokens.length === 0) throw this.error(this.start[i], "empty hex string");
    if (tokens[0].kind === "jump" || tokens[tokens.length - 1].kind === "jump") {
      throw this.error(this.start[i], "a hex string cannot start or end with a jump");
    }
    return tokens;
  }

  /** Skips blanks and comments in a hex string from `j`; returns the next position. */
  private hexSkip(j: number): number {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(j);
      if (c === 32 || c === 9 || c === 10 || c === 13) j++;
      else if (c === 47 && src.charCodeAt(j + 1) === 42) j = src.indexOf("*/", j + 2) + 2;
      else if (c === 47 && src.charCodeAt(j + 1) === 47) {
        const e = this.hexEnd;
        const nl = src.indexOf("\n", j);
        j = nl < 0 || nl > e ? e : nl;
      } else return j;
    }
  }

  /** The number at `j` in a jump, or -1 when there is none; moves `hexAt` past it. */
  private hexNumber(j: number): number {
    const src = this.src;
    const s0 = j;
    while (src.charCodeAt(j) >= 48 && src.charCodeAt(j) <= 57) j++;
    this.hexAt = j;
    return j > s0 ? Number.parseInt(src.slice(s0, j), 10) : -1;
  }

  private hexSeq(inAlt: boolean): HexToken[] {
    const src = this.src;
    const e = this.hexEnd;
    const out: HexToken[] = [];
    let j = this.hexAt;
    for (;;) {
      j = this.hexSkip(j);
      if (j >= e) break;
      const c = src.charCodeAt(j);
      if (c === 124 || c === 41) {
        if (!inAlt) throw this.error(j, `unexpected '${String.fromCharCode(c)}' in hex string`);
        break;
      }
      if (c === 40) {
        if (++this.hexDepth > this.ctx.limits.maxDepth) {
          throw this.limit(j, "hex string nested too deep");
        }
        const open = j++;
        const alternatives: HexToken[][] = [];
        for (;;) {
          this.hexAt = j;
          const alt = this.hexSeq(true);
          j = this.hexAt;
          if (alt.length === 0) throw this.error(j, "empty alternative in hex string");
          alternatives.push(alt);
          j = this.hexSkip(j);
          const d = src.charCodeAt(j);
          if (d === 124) {
            j++;
            continue;
          }
          if (d === 41) {
            j++;
            break;
          }
          throw this.error(open, "unterminated alternative ( … ) in hex string");
        }
        this.hexDepth--;
        out.push({ kind: "alt", alternatives });
        continue;
      }
      if (c === 91) {
        const open = j++;
        j = this.hexSkip(j);
        const a = this.hexNumber(j);
        j = this.hexSkip(this.hexAt);
        let min = Math.max(a, 0);
        let max: number | undefined = a < 0 ? undefined : a;
        if (src.charCodeAt(j) === 45) {
          j = this.hexSkip(j + 1);
          const b = this.hexNumber(j);
          max = b < 0 ? undefined : b;
          j = this.hexSkip(this.hexAt);
        } else if (a < 0) {
          throw this.error(open, "a jump needs a length: [n], [n-m] or [n-]");
        }
        if (src.charCodeAt(j) !== 93) throw this.error(open, "malformed jump in hex string");
        j++;
        if (max !== undefined && min > max) {
          throw this.error(open, `invalid jump [${min}-${max}]: lower bound above upper bound`);
        }
        if (min < 0) min = 0;
        out.push({ kind: "jump", min, max });
        continue;
      }
      let negated = false;
      if (c === 126) {
        negated = true;
        j = this.hexSkip(j + 1);
      }
      const h = src.charCodeAt(j);
      const l = src.charCodeAt(j + 1);
      const hv = h === 63 ? -2 : nibble(h);
      const lv = l === 63 ? -2 : nibble(l);
      if (hv === -1 || lv === -1 || j + 1 >= e) {
        throw this.error(
          j,
          `invalid hex string: "${src.slice(j, Math.min(j + 2, e))}" is not a byte`,
        );
      }
      j += 2;
      const mask = (hv === -2 ? 0 : 0xf0) | (lv === -2 ? 0 : 0x0f);
      if (negated && mask === 0) throw this.error(j - 2, 'cannot negate "??" in hex string');
      out.push({
        kind: "byte",
        value: (Math.max(hv, 0) << 4) | Math.max(lv, 0),
        mask,
        negated,
      });
    }
    this.hexAt = j;
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Conditions

  private parseOr(): Expr {
    this.enter();
    const s = this.p;
    let left = this.parseAnd();
    while (this.isWord(this.p, "or")) {
      this.p++;
      const right = this.parseAnd();
      left = { kind: "binary", op: "or", left, right, loc: this.locFrom(s) };
    }
    this.depth--;
    return left;
  }

  private parseAnd(): Expr {
    const s = this.p;
    let left = this.parseNot();
    while (this.isWord(this.p, "and")) {
      this.p++;
      const right = this.parseNot();
      left = { kind: "binary", op: "and", left, right, loc: this.locFrom(s) };
    }
    return left;
  }

  private parseNot(): Expr {
    const s = this.p;
    if (this.isWord(this.p, "not") || this.isWord(this.p, "defined")) {
      const op = this.isWord(this.p, "not") ? "not" : "defined";
      this.p++;
      this.enter();
      const operand = this.parseNot();
      this.depth--;
      return { kind: "unary", op, operand, loc: this.locFrom(s) };
    }
    const left = this.parseEquality();
    if (this.isWord(this.p, "of")) {
      return this.parseOfRest(s, { kind: "count", expr: left });
    }
    if (this.kind[this.p] === T.PERCENT && this.isWord(this.p + 1, "of")) {
      this.p++;
      return this.parseOfRest(s, { kind: "percent", expr: left });
    }
    return left;
  }

  private parseEquality(): Expr {
    const s = this.p;
    let left = this.parseRelational();
    for (;;) {
      const k = this.kind[this.p];
      let op: BinaryOp | undefined;
      if (k === T.EQ) op = "==";
      else if (k === T.NEQ) op = "!=";
      else if (k === T.IDENT) op = EQ_WORDS[this.text(this.p)];
      if (op === undefined) return left;
      this.p++;
      const right = this.parseRelational();
      left = { kind: "binary", op, left, right, loc: this.locFrom(s) };
    }
  }

  private parseRelational(): Expr {
    const s = this.p;
    let left = this.parseBitOr();
    for (;;) {
      const k = this.kind[this.p];
      const op: BinaryOp | undefined =
        k === T.LT ? "<" : k === T.LE ? "<=" : k === T.GT ? ">" : k === T.GE ? ">=" : undefined;
      if (op === undefined) return left;
      this.p++;
      const right = this.parseBitOr();
      left = { kind: "binary", op, left, right, loc: this.locFrom(s) };
    }
  }

  private parseBitOr(): Expr {
    const s = this.p;
    let left = this.parseBitXor();
    while (this.kind[this.p] === T.PIPE) {
      this.p++;
      const right = this.parseBitXor();
      left = { kind: "binary", op: "|", left, right, loc: this.locFrom(s) };
    }
    return left;
  }

  private parseBitXor(): Expr {
    const s = this.p;
    let left = this.parseBitAnd();
    while (this.kind[this.p] === T.CARET) {
      this.p++;
      const right = this.parseBitAnd();
      left = { kind: "binary", op: "^", left, right, loc: this.locFrom(s) };
    }
    return left;
  }

  private parseBitAnd(): Expr {
    const s = this.p;
    let left = this.parseShift();
    while (this.kind[this.p] === T.AMP) {
      this.p++;
      const right = this.parseShift();
      left = { kind: "binary", op: "&", left, right, loc: this.locFrom(s) };
    }
    return left;
  }

  private parseShift(): Expr {
    const s = this.p;
    let left = this.parseAdditive();
    for (;;) {
      const k = this.kind[this.p];
      if (k !== T.SHL && k !== T.SHR) return left;
      this.p++;
      const right = this.parseAdditive();
      left = { kind: "binary", op: k === T.SHL ? "<<" : ">>", left, right, loc: this.locFrom(s) };
    }
  }

  private parseAdditive(): Expr {
    const s = this.p;
    let left = this.parseMultiplicative();
    for (;;) {
      const k = this.kind[this.p];
      if (k !== T.PLUS && k !== T.MINUS) return left;
      this.p++;
      const right = this.parseMultiplicative();
      left = { kind: "binary", op: k === T.PLUS ? "+" : "-", left, right, loc: this.locFrom(s) };
    }
  }

  private parseMultiplicative(): Expr {
    const s = this.p;
    let left = this.parseUnary();
    for (;;) {
      const k = this.kind[this.p];
      let op: BinaryOp;
      if (k === T.STAR) op = "*";
      else if (k === T.BACKSLASH) op = "\\";
      else if (k === T.PERCENT && !this.isWord(this.p + 1, "of")) op = "%";
      else return left;
      this.p++;
      const right = this.parseUnary();
      left = { kind: "binary", op, left, right, loc: this.locFrom(s) };
    }
  }

  private parseUnary(): Expr {
    const k = this.kind[this.p];
    if (k === T.MINUS || k === T.TILDE) {
      const s = this.p++;
      this.enter();
      const operand = this.parseUnary();
      this.depth--;
      return { kind: "unary", op: k === T.MINUS ? "-" : "~", operand, loc: this.locFrom(s) };
    }
    return this.parsePrimary();
  }

  private parseRange(): RangeExpr {
    const s = this.expect(T.LPAREN, "'(' to open a range (A..B)");
    const from = this.parseBitOr();
    this.expect(T.DOTDOT, "'..' in the range");
    const to = this.parseBitOr();
    this.expect(T.RPAREN, "')' to close the range");
    return { kind: "range", from, to, loc: this.locFrom(s) };
  }

  /** `$a`, `#a`, … : the id with its sigil replaced by `$`, checked against the rule's strings. */
  private stringRef(i: number): string {
    const raw = this.text(i);
    const id = raw.charCodeAt(0) === 36 ? raw : `$${raw.slice(1)}`;
    if (id === "$") {
      if (this.scope.forOfDepth === 0) {
        throw this.error(this.start[i], `"${raw}" can only be used inside "for … of"`);
      }
      return id;
    }
    if (id.endsWith("*"))
      throw this.error(this.start[i], `"${raw}": a wildcard is only valid in a set`);
    if (!this.scope.strings.has(id)) {
      throw this.error(this.start[i], `undefined string identifier "${raw}"`);
    }
    this.scope.referenced.add(id);
    return id;
  }

  private parsePrimary(): Expr {
    const s = this.p;
    const k = this.kind[s];
    switch (k) {
      case T.NUMBER:
        this.p++;
        return { kind: "int", value: this.number(s), raw: this.text(s), loc: this.locFrom(s) };
      case T.FLOAT:
        this.p++;
        return {
          kind: "float",
          value: Number.parseFloat(this.text(s)),
          raw: this.text(s),
          loc: this.locFrom(s),
        };
      case T.TEXT: {
        this.p++;
        const value = this.decodeText(s, false);
        return {
          kind: "string",
          value,
          raw: this.src.slice(this.start[s] + 1, this.end[s] - 1),
          loc: this.locFrom(s),
        };
      }
      case T.REGEX: {
        this.p++;
        const { pattern, flags } = this.regex(s);
        return { kind: "regexp", pattern, flags, loc: this.locFrom(s) };
      }
      case T.LPAREN: {
        this.p++;
        const inner = this.parseOr();
        this.expect(T.RPAREN, "')' or an operator");
        return inner;
      }
      case T.STRING_ID: {
        const id = this.stringRef(this.p++);
        if (this.isWord(this.p, "at")) {
          this.p++;
          const at = this.parseBitOr();
          return { kind: "string_match", id, at, loc: this.locFrom(s) };
        }
        if (this.isWord(this.p, "in")) {
          this.p++;
          const range = this.parseRange();
          return { kind: "string_match", id, in: range, loc: this.locFrom(s) };
        }
        return { kind: "string_match", id, loc: this.locFrom(s) };
      }
      case T.STRING_COUNT: {
        const id = this.stringRef(this.p++);
        if (this.isWord(this.p, "in")) {
          this.p++;
          const range = this.parseRange();
          return { kind: "string_count", id, in: range, loc: this.locFrom(s) };
        }
        return { kind: "string_count", id, loc: this.locFrom(s) };
      }
      case T.STRING_OFFSET:
      case T.STRING_LENGTH: {
        const id = this.stringRef(this.p++);
        let index: Expr | undefined;
        if (this.kind[this.p] === T.LBRACK) {
          this.p++;
          index = this.parseBitOr();
          this.expect(T.RBRACK, "']'");
        }
        return {
          kind: k === T.STRING_OFFSET ? "string_offset" : "string_length",
          id,
          index,
          loc: this.locFrom(s),
        };
      }
      case T.IDENT:
        return this.parseWord();
      default:
        throw this.unexpected("an expression");
    }
  }

  private parseWord(): Expr {
    const s = this.p;
    const word = this.text(s);
    switch (word) {
      case "true":
      case "false":
        this.p++;
        return { kind: "bool", value: word === "true", loc: this.locFrom(s) };
      case "filesize":
      case "entrypoint":
        this.p++;
        return { kind: "keyword", name: word, loc: this.locFrom(s) };
      case "all":
      case "any":
      case "none":
        this.p++;
        if (!this.isWord(this.p, "of")) throw this.unexpected(`"of" after "${word}"`);
        return this.parseOfRest(s, { kind: word });
      case "them":
        throw this.error(this.start[s], '"them" must follow "of"');
      case "for":
        return this.parseFor();
    }
    if (INT_READS.has(word)) {
      this.p++;
      this.expect(T.LPAREN, `'(' after ${word}`);
      const offset = this.parseBitOr();
      this.expect(T.RPAREN, "')'");
      return { kind: "int_read", fn: word as IntReadFn, offset, loc: this.locFrom(s) };
    }
    if (word === "with" && this.kind[s + 1] === T.IDENT && this.kind[s + 2] === T.ASSIGN) {
      return this.parseWith();
    }
    if (KEYWORDS.has(word)) throw this.unexpected("an expression");
    this.p++;
    this.checkIdentifier(word, s);
    let expr: Expr = { kind: "identifier", name: word, loc: this.locFrom(s) };
    for (;;) {
      const k = this.kind[this.p];
      if (k === T.DOT) {
        this.p++;
        if (this.kind[this.p] !== T.IDENT) throw this.unexpected("a field name after '.'");
        const name = this.text(this.p++);
        expr = { kind: "field", object: expr, name, loc: this.locFrom(s) };
      } else if (k === T.LBRACK) {
        this.p++;
        this.enter();
        const index = this.parseOr();
        this.depth--;
        this.expect(T.RBRACK, "']'");
        expr = { kind: "index", object: expr, index, loc: this.locFrom(s) };
      } else if (k === T.LPAREN) {
        this.p++;
        const args: Expr[] = [];
        if (this.kind[this.p] !== T.RPAREN) {
          for (;;) {
            args.push(this.parseOr());
            if (this.kind[this.p] !== T.COMMA) break;
            this.p++;
          }
        }
        this.expect(T.RPAREN, "')' after the arguments");
        expr = { kind: "call", callee: expr, args, loc: this.locFrom(s) };
      } else return expr;
    }
  }

  private checkIdentifier(name: string, i: number): void {
    const ctx = this.ctx;
    if (
      this.scope.vars.includes(name) ||
      ctx.ruleNames.has(name) ||
      ctx.imports.includes(name) ||
      ctx.externals.has(name) ||
      ctx.lenient
    ) {
      return;
    }
    const hint = ctx.modules.has(name) ? ` (add: import "${name}")` : "";
    throw this.error(this.start[i], `undefined identifier "${name}"${hint}`);
  }

  private parseQuantifier(): Quantifier {
    if (this.isWord(this.p, "all") || this.isWord(this.p, "any") || this.isWord(this.p, "none")) {
      return { kind: this.text(this.p++) as "all" | "any" | "none" };
    }
    const expr = this.parseBitOr();
    if (this.kind[this.p] === T.PERCENT) {
      this.p++;
      return { kind: "percent", expr };
    }
    return { kind: "count", expr };
  }

  /** After the quantifier, at `of`. */
  private parseOfRest(s: number, quantifier: Quantifier): OfExpr {
    this.expectWord("of");
    const set = this.parseSet(true);
    const node: OfExpr = { kind: "of", quantifier, set, loc: PENDING_LOC };
    if (this.isWord(this.p, "in")) {
      this.p++;
      node.in = this.parseRange();
    } else if (this.isWord(this.p, "at")) {
      this.p++;
      node.at = this.parseBitOr();
    }
    node.loc = this.locFrom(s);
    return node;
  }

  private parseSet(allowExprs: boolean): OfSet {
    const s = this.p;
    if (this.isWord(this.p, "them")) {
      this.p++;
      if (this.scope.strings.size === 0) {
        throw this.error(this.start[s], '"them" used in a rule without strings');
      }
      for (const id of this.scope.strings.keys()) this.scope.referenced.add(id);
      return { kind: "them", loc: this.locFrom(s) };
    }
    this.expect(T.LPAREN, '"them" or a set in parentheses');
    if (this.kind[this.p] === T.STRING_ID) {
      const items: SetItem[] = [];
      for (;;) {
        const t = this.expect(T.STRING_ID, "a string identifier");
        const pattern = this.text(t);
        this.markPattern(pattern, t);
        items.push({ pattern, loc: this.loc(this.start[t], this.end[t]) });
        if (this.kind[this.p] !== T.COMMA) break;
        this.p++;
      }
      this.expect(T.RPAREN, "')' to close the string set");
      return { kind: "strings", items, loc: this.locFrom(s) };
    }
    // rule names (with optional trailing *) or, failing that, boolean expressions
    const items: SetItem[] = [];
    let q = this.p;
    for (;;) {
      if (this.kind[q] !== T.IDENT || KEYWORDS.has(this.text(q))) break;
      const t = q++;
      let pattern = this.text(t);
      if (this.kind[q] === T.STAR && this.end[t] === this.start[q]) {
        pattern += "*";
        q++;
      }
      items.push({ pattern, loc: this.loc(this.start[t], this.end[q - 1]) });
      if (this.kind[q] === T.COMMA) {
        q++;
        continue;
      }
      if (this.kind[q] === T.RPAREN) {
        const allRules = items.every((it) => this.isRuleSetItem(it.pattern));
        if (allRules || !allowExprs) {
          for (const it of items) {
            if (!this.isRuleSetItem(it.pattern) && !this.ctx.lenient) {
              throw this.error(it.loc.offset, `"${it.pattern}" matches no rule defined before`);
            }
          }
          this.p = q + 1;
          return { kind: "rules", items, loc: this.locFrom(s) };
        }
      }
      break;
    }
    if (!allowExprs) throw this.unexpected("rule names");
    const exprs: Expr[] = [];
    for (;;) {
      exprs.push(this.parseOr());
      if (this.kind[this.p] !== T.COMMA) break;
      this.p++;
    }
    this.expect(T.RPAREN, "')' to close the set");
    return { kind: "exprs", items: exprs, loc: this.locFrom(s) };
  }

  private isRuleSetItem(pattern: string): boolean {
    if (!pattern.endsWith("*")) return this.ctx.ruleNames.has(pattern);
    const prefix = pattern.slice(0, -1);
    for (const name of this.ctx.ruleNames) if (name.startsWith(prefix)) return true;
    return false;
  }

  private markPattern(pattern: string, t: number): void {
    const scope = this.scope;
    if (pattern.endsWith("*")) {
      const prefix = pattern.slice(0, -1);
      let any = false;
      for (const id of scope.strings.keys()) {
        if (id.startsWith(prefix)) {
          scope.referenced.add(id);
          any = true;
        }
      }
      if (!any) throw this.error(this.start[t], `"${pattern}" matches no string of the rule`);
      return;
    }
    if (pattern === "$") throw this.error(this.start[t], '"$" cannot be used in a set');
    if (!scope.strings.has(pattern)) {
      throw this.error(this.start[t], `undefined string identifier "${pattern}"`);
    }
    scope.referenced.add(pattern);
  }

  private parseFor(): Expr {
    const s = this.p++;
    const quantifier = this.parseQuantifier();
    if (this.isWord(this.p, "of")) {
      this.p++;
      const set = this.parseSet(false);
      if (set.kind === "rules") throw this.error(set.loc.offset, '"for … of" needs a string set');
      this.expect(T.COLON, "':' after the set");
      this.scope.forOfDepth++;
      const body = this.parseBody();
      this.scope.forOfDepth--;
      return { kind: "for_of", quantifier, set, body, loc: this.locFrom(s) };
    }
    const vars: string[] = [];
    for (;;) {
      vars.push(this.identifier("a loop variable"));
      if (this.kind[this.p] !== T.COMMA) break;
      this.p++;
    }
    this.expectWord("in");
    const is = this.p;
    let iterable: Iterable;
    if (this.kind[this.p] === T.LPAREN) {
      this.p++;
      const first = this.parseBitOr();
      if (this.kind[this.p] === T.DOTDOT) {
        this.p++;
        const to = this.parseBitOr();
        this.expect(T.RPAREN, "')' to close the range");
        iterable = { kind: "range", from: first, to, loc: this.locFrom(is) };
      } else {
        const items = [first];
        while (this.kind[this.p] === T.COMMA) {
          this.p++;
          items.push(this.parseBitOr());
        }
        this.expect(T.RPAREN, "')' to close the list");
        iterable = { kind: "list", items, loc: this.locFrom(is) };
      }
    } else {
      const expr = this.parseUnary();
      iterable = { kind: "expr", expr, loc: this.locFrom(is) };
    }
    this.expect(T.COLON, "':' after the iterable");
    const saved = this.scope.vars.length;
    this.scope.vars.push(...vars);
    const body = this.parseBody();
    this.scope.vars.length = saved;
    return { kind: "for_in", quantifier, vars, iterable, body, loc: this.locFrom(s) };
  }

  private parseBody(): Expr {
    this.expect(T.LPAREN, "'(' to open the loop body");
    const body = this.parseOr();
    this.expect(T.RPAREN, "')' to close the loop body");
    return body;
  }

  private parseWith(): Expr {
    const s = this.p++;
    const bindings: { name: string; value: Expr; loc: Loc }[] = [];
    const saved = this.scope.vars.length;
    for (;;) {
      const b = this.p;
      const name = this.identifier("a variable name");
      this.expect(T.ASSIGN, "'='");
      const value = this.parseOr();
      bindings.push({ name, value, loc: this.locFrom(b) });
      this.scope.vars.push(name);
      if (this.kind[this.p] !== T.COMMA) break;
      this.p++;
    }
    this.expect(T.COLON, "':' after the bindings");
    const body = this.parseBody();
    this.scope.vars.length = saved;
    return { kind: "with", bindings, body, loc: this.locFrom(s) };
  }
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

function pushUtf8(out: number[], cp: number): void {
  if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else {
    out.push(
      0xf0 | (cp >> 18),
      0x80 | ((cp >> 12) & 63),
      0x80 | ((cp >> 6) & 63),
      0x80 | (cp & 63),
    );
  }
}
