/**
 * The YARA syntax tree. Every node is a plain object with a `kind` discriminant; rules, strings,
 * meta entries and condition nodes carry a `loc` (file, 1-based line and column, 0-based offset
 * and end offset into that file's source). The tree is the contract between the parser, the
 * printer, the analyzers (`findings/`) and the differ: changes are additive only.
 *
 * Byte strings (text string values, `"…"` literals in conditions) are *binary strings*: one char
 * per byte, char codes 0–255, escapes already decoded (`\x41` → "A"). Source text is UTF-8, so a
 * literal "é" is the two chars "\xc3\xa9". `Buffer.from(value, "latin1")` gives the exact bytes.
 */

export interface Loc {
  /** The file the node was read from (an included file's own name for its rules). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units of the source line. */
  column: number;
  /** 0-based offset of the node's first character in its file's source. */
  offset: number;
  /** 0-based offset just past the node's last character. */
  end: number;
}

/** One parsed source file with its includes resolved and flattened in source order. */
export interface RuleFile {
  kind: "file";
  file: string;
  /** Module names in `import "…"` statements, this file's and included files'. */
  imports: Import[];
  includes: Include[];
  /** Every rule in declaration order, included files' rules in place of their `include`. */
  rules: Rule[];
}

export interface Import {
  kind: "import";
  module: string;
  loc: Loc;
}

export interface Include {
  kind: "include";
  /** The path as written. */
  path: string;
  /** False when the resolver returned nothing (the caller decides whether that is an error). */
  resolved: boolean;
  loc: Loc;
}

export interface Rule {
  kind: "rule";
  name: string;
  tags: string[];
  isPrivate: boolean;
  isGlobal: boolean;
  meta: Meta[];
  strings: StringDef[];
  condition: Expr;
  /** Imports in effect in the rule's file. */
  imports: string[];
  loc: Loc;
}

export type MetaValue = string | number | boolean;

export interface Meta {
  kind: "meta";
  key: string;
  /** Strings decoded as for text strings but kept as Unicode text (UTF-8 decoded). */
  value: MetaValue;
  loc: Loc;
}

export type StringDef = TextString | HexString | RegexString;

export interface StringModifiers {
  nocase: boolean;
  wide: boolean;
  ascii: boolean;
  fullword: boolean;
  private: boolean;
  /** `xor` alone is 0–255; `xor(7)` is 7–7. */
  xor?: { min: number; max: number };
  /** `alphabet` is the custom 64-char alphabet (binary string) when given. */
  base64?: { alphabet?: string };
  base64wide?: { alphabet?: string };
}

export interface TextString {
  kind: "text";
  /** "$name", or "$" for an anonymous string. */
  id: string;
  /** Binary string, escapes decoded. */
  value: string;
  /** The text between the quotes, as written. */
  raw: string;
  modifiers: StringModifiers;
  loc: Loc;
}

export interface HexString {
  kind: "hex";
  id: string;
  tokens: HexToken[];
  /** The text between the braces, as written. */
  raw: string;
  modifiers: StringModifiers;
  loc: Loc;
}

export interface RegexString {
  kind: "regex";
  id: string;
  /** The pattern between the slashes, as written (escapes intact). */
  pattern: string;
  flags: RegexFlags;
  modifiers: StringModifiers;
  loc: Loc;
}

export interface RegexFlags {
  /** `/…/i` */
  nocase: boolean;
  /** `/…/s`: dot matches newline. */
  dotall: boolean;
}

export type HexToken = HexByte | HexJump | HexAlternation;

/**
 * One byte position. `mask` says which bits are fixed: 0xff "4D", 0xf0 "4?", 0x0f "?D",
 * 0x00 "??". `negated` is `~4D` (any byte but). `value` has the unknown bits zero.
 */
export interface HexByte {
  kind: "byte";
  value: number;
  mask: number;
  negated: boolean;
}

/** `[n]`, `[n-m]`, `[n-]` (max undefined = unbounded), `[-]`. */
export interface HexJump {
  kind: "jump";
  min: number;
  max: number | undefined;
}

/** `( A | B | … )`; each alternative is a token sequence. */
export interface HexAlternation {
  kind: "alt";
  alternatives: HexToken[][];
}

// ---------------------------------------------------------------------------------------------
// Conditions

export type Expr =
  | BoolLiteral
  | IntLiteral
  | FloatLiteral
  | StringLiteral
  | RegexLiteral
  | KeywordExpr
  | StringMatch
  | StringCount
  | StringOffset
  | StringLength
  | Identifier
  | FieldAccess
  | IndexAccess
  | Call
  | IntRead
  | Unary
  | Binary
  | OfExpr
  | ForOf
  | ForIn
  | WithExpr;

interface Node {
  loc: Loc;
}

export interface BoolLiteral extends Node {
  kind: "bool";
  value: boolean;
}

export interface IntLiteral extends Node {
  kind: "int";
  value: number;
  /** As written (`0x10`, `0o17`, `2KB`). */
  raw: string;
}

export interface FloatLiteral extends Node {
  kind: "float";
  value: number;
  raw: string;
}

export interface StringLiteral extends Node {
  kind: "string";
  /** Binary string, escapes decoded. */
  value: string;
  raw: string;
}

export interface RegexLiteral extends Node {
  kind: "regexp";
  pattern: string;
  flags: RegexFlags;
}

export interface KeywordExpr extends Node {
  kind: "keyword";
  name: "filesize" | "entrypoint";
}

/**
 * `$a`, `$a at E`, `$a in (A..B)`. `id` is "$a", or "$" inside `for … of` bodies.
 */
export interface StringMatch extends Node {
  kind: "string_match";
  id: string;
  at?: Expr;
  in?: RangeExpr;
}

/** `#a`, `#a in (A..B)`. `id` keeps the `$` sigil: "$a" (or "$"). */
export interface StringCount extends Node {
  kind: "string_count";
  id: string;
  in?: RangeExpr;
}

/** `@a`, `@a[i]` (1-based index). `id` keeps the `$` sigil. */
export interface StringOffset extends Node {
  kind: "string_offset";
  id: string;
  index?: Expr;
}

/** `!a`, `!a[i]`. `id` keeps the `$` sigil. */
export interface StringLength extends Node {
  kind: "string_length";
  id: string;
  index?: Expr;
}

/** A rule name, module name, external variable, or loop variable. */
export interface Identifier extends Node {
  kind: "identifier";
  name: string;
}

/** `object.name` (module fields: `pe.number_of_sections`). */
export interface FieldAccess extends Node {
  kind: "field";
  object: Expr;
  name: string;
}

/** `object[index]` (arrays and dictionaries). */
export interface IndexAccess extends Node {
  kind: "index";
  object: Expr;
  index: Expr;
}

/** `callee(args)` (module functions: `pe.imports("kernel32.dll")`). */
export interface Call extends Node {
  kind: "call";
  callee: Expr;
  args: Expr[];
}

export type IntReadFn =
  | "int8"
  | "int16"
  | "int32"
  | "uint8"
  | "uint16"
  | "uint32"
  | "int8be"
  | "int16be"
  | "int32be"
  | "uint8be"
  | "uint16be"
  | "uint32be";

/** `uint32be(offset)`. */
export interface IntRead extends Node {
  kind: "int_read";
  fn: IntReadFn;
  offset: Expr;
}

export type UnaryOp = "not" | "defined" | "-" | "~";

export interface Unary extends Node {
  kind: "unary";
  op: UnaryOp;
  operand: Expr;
}

export type BinaryOp =
  | "or"
  | "and"
  | "=="
  | "!="
  | "contains"
  | "icontains"
  | "startswith"
  | "istartswith"
  | "endswith"
  | "iendswith"
  | "iequals"
  | "matches"
  | "<"
  | "<="
  | ">"
  | ">="
  | "|"
  | "^"
  | "&"
  | "<<"
  | ">>"
  | "+"
  | "-"
  | "*"
  | "\\"
  | "%";

export interface Binary extends Node {
  kind: "binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

/** `(A..B)` */
export interface RangeExpr extends Node {
  kind: "range";
  from: Expr;
  to: Expr;
}

export type Quantifier =
  | { kind: "all" }
  | { kind: "any" }
  | { kind: "none" }
  /** `2 of …`, `n of …` */
  | { kind: "count"; expr: Expr }
  /** `50% of …` */
  | { kind: "percent"; expr: Expr };

/** One entry of a string set: "$a", "$a*", "$*". */
export interface SetItem {
  pattern: string;
  loc: Loc;
}

export type OfSet =
  | { kind: "them"; loc: Loc }
  | { kind: "strings"; items: SetItem[]; loc: Loc }
  /** Rule names, possibly with a trailing `*`: `(rule_a, apt_*)`. */
  | { kind: "rules"; items: SetItem[]; loc: Loc }
  /** Boolean expressions: `any of (true, $a, x > 1)` (YARA 4.3+, YARA-X). */
  | { kind: "exprs"; items: Expr[]; loc: Loc };

/** `Q of SET`, `Q of SET in (A..B)`, `Q of SET at E` (YARA-X). */
export interface OfExpr extends Node {
  kind: "of";
  quantifier: Quantifier;
  set: OfSet;
  in?: RangeExpr;
  at?: Expr;
}

/** `for Q of SET : ( body )` — the body refers to each string as `$`, `#`, `@`, `!`. */
export interface ForOf extends Node {
  kind: "for_of";
  quantifier: Quantifier;
  set: OfSet;
  body: Expr;
}

export type Iterable =
  | RangeExpr
  /** `(1, 2, 3)` or `("a", "b")` */
  | { kind: "list"; items: Expr[]; loc: Loc }
  /** A module array or dictionary: `pe.sections`. */
  | { kind: "expr"; expr: Expr; loc: Loc };

/** `for Q i, j in ITERABLE : ( body )` */
export interface ForIn extends Node {
  kind: "for_in";
  quantifier: Quantifier;
  vars: string[];
  iterable: Iterable;
  body: Expr;
}

/** `with a = E, b = F : ( body )` (YARA-X). */
export interface WithExpr extends Node {
  kind: "with";
  bindings: { name: string; value: Expr; loc: Loc }[];
  body: Expr;
}
