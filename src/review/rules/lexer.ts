/**
 * The YARA tokenizer. One pass over char codes, tokens stored in parallel typed arrays (kind,
 * start, end): no object per token, no regex per character. Token text is sliced from the source
 * only when the parser needs it. Context the grammar needs is tiny: `{` right after `=` opens a
 * hex string, and `/` always opens a regular expression (YARA has no `/` operator; `\` divides).
 */

export const T = {
  EOF: 0,
  IDENT: 1,
  /** `$a`, `$`, `$a*`, `$*` */
  STRING_ID: 2,
  /** `#a` */
  STRING_COUNT: 3,
  /** `@a` */
  STRING_OFFSET: 4,
  /** `!a` */
  STRING_LENGTH: 5,
  NUMBER: 6,
  FLOAT: 7,
  TEXT: 8,
  REGEX: 9,
  HEX: 10,
  LBRACE: 11,
  RBRACE: 12,
  LPAREN: 13,
  RPAREN: 14,
  LBRACK: 15,
  RBRACK: 16,
  COLON: 17,
  COMMA: 18,
  ASSIGN: 19,
  EQ: 20,
  NEQ: 21,
  LT: 22,
  LE: 23,
  GT: 24,
  GE: 25,
  SHL: 26,
  SHR: 27,
  PLUS: 28,
  MINUS: 29,
  STAR: 30,
  BACKSLASH: 31,
  PERCENT: 32,
  PIPE: 33,
  CARET: 34,
  AMP: 35,
  TILDE: 36,
  DOT: 37,
  DOTDOT: 38,
} as const;

export const TOKEN_NAMES: readonly string[] = [
  "end of file",
  "identifier",
  "string identifier",
  "string count",
  "string offset",
  "string length",
  "number",
  "number",
  "text string",
  "regular expression",
  "hex string",
  "'{'",
  "'}'",
  "'('",
  "')'",
  "'['",
  "']'",
  "':'",
  "','",
  "'='",
  "'=='",
  "'!='",
  "'<'",
  "'<='",
  "'>'",
  "'>='",
  "'<<'",
  "'>>'",
  "'+'",
  "'-'",
  "'*'",
  "'\\'",
  "'%'",
  "'|'",
  "'^'",
  "'&'",
  "'~'",
  "'.'",
  "'..'",
];

export interface LexError {
  offset: number;
  message: string;
}

export interface Tokens {
  count: number;
  kind: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  /** Set when the source could not be tokenized; tokens up to the error are valid. */
  error: LexError | undefined;
}

function isIdentChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 // _
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export function tokenize(src: string): Tokens {
  let cap = Math.max(64, src.length >> 2);
  let kind = new Uint8Array(cap);
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let n = 0;
  let error: LexError | undefined;
  const len = src.length;

  const push = (k: number, s: number, e: number): void => {
    if (n === cap) {
      cap *= 2;
      const k2 = new Uint8Array(cap);
      k2.set(kind);
      kind = k2;
      const s2 = new Int32Array(cap);
      s2.set(start);
      start = s2;
      const e2 = new Int32Array(cap);
      e2.set(end);
      end = e2;
    }
    kind[n] = k;
    start[n] = s;
    end[n] = e;
    n++;
  };

  let i = 0;
  scan: while (i < len) {
    const c = src.charCodeAt(i);
    // whitespace
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    const s = i;
    // identifiers and keywords
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) {
      i++;
      while (i < len && isIdentChar(src.charCodeAt(i))) i++;
      push(T.IDENT, s, i);
      continue;
    }
    if (isDigit(c)) {
      i++;
      const c1 = src.charCodeAt(i);
      if (c === 48 && (c1 === 120 || c1 === 88)) {
        i++;
        while (i < len && isHexDigit(src.charCodeAt(i))) i++;
        if (i === s + 2) {
          error = { offset: s, message: "a hexadecimal number needs digits after 0x" };
          break;
        }
        push(T.NUMBER, s, i);
        continue;
      }
      if (c === 48 && c1 === 111) {
        i++;
        while (i < len && src.charCodeAt(i) >= 48 && src.charCodeAt(i) <= 55) i++;
        if (i === s + 2) {
          error = { offset: s, message: "an octal number needs digits after 0o" };
          break;
        }
        push(T.NUMBER, s, i);
        continue;
      }
      while (i < len && isDigit(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 46 && isDigit(src.charCodeAt(i + 1))) {
        i += 2;
        while (i < len && isDigit(src.charCodeAt(i))) i++;
        push(T.FLOAT, s, i);
        continue;
      }
      const u = src.charCodeAt(i);
      if ((u === 75 || u === 77) && src.charCodeAt(i + 1) === 66) i += 2; // KB MB
      if (i < len && isIdentChar(src.charCodeAt(i))) {
        error = { offset: s, message: `invalid number "${src.slice(s, i + 1)}"` };
        break;
      }
      push(T.NUMBER, s, i);
      continue;
    }
    switch (c) {
      case 36: // $
      case 35: // #
      case 64: // @
      case 33: {
        // !
        if (c === 33 && src.charCodeAt(i + 1) === 61) {
          push(T.NEQ, s, i + 2);
          i += 2;
          continue;
        }
        i++;
        while (i < len && isIdentChar(src.charCodeAt(i))) i++;
        if (c === 36) {
          if (src.charCodeAt(i) === 42) i++; // wildcard $a*
          push(T.STRING_ID, s, i);
        } else push(c === 35 ? T.STRING_COUNT : c === 64 ? T.STRING_OFFSET : T.STRING_LENGTH, s, i);
        continue;
      }
      case 34: {
        // "text"
        i++;
        for (;;) {
          if (i >= len) {
            error = { offset: s, message: "unterminated string: missing closing quote" };
            break scan;
          }
          const d = src.charCodeAt(i);
          if (d === 34) break;
          if (d === 10) {
            error = { offset: s, message: "unterminated string: a string must end on its line" };
            break scan;
          }
          if (d === 92) i++;
          i++;
        }
        i++;
        push(T.TEXT, s, i);
        continue;
      }
      case 47: {
        // comments or regex
        const d = src.charCodeAt(i + 1);
        if (d === 47) {
          const nl = src.indexOf("\n", i);
          i = nl < 0 ? len : nl;
          continue;
        }
        if (d === 42) {
          const close = src.indexOf("*/", i + 2);
          if (close < 0) {
            error = { offset: s, message: "unterminated comment: missing */" };
            break scan;
          }
          i = close + 2;
          continue;
        }
        i++;
        for (;;) {
          if (i >= len || src.charCodeAt(i) === 10) {
            error = { offset: s, message: "unterminated regular expression: missing closing /" };
            break scan;
          }
          const e = src.charCodeAt(i);
          if (e === 47) break;
          if (e === 92) {
            if (src.charCodeAt(i + 1) === 10) {
              error = { offset: s, message: "unterminated regular expression" };
              break scan;
            }
            i++;
          }
          i++;
        }
        if (i === s + 1) {
          error = { offset: s, message: "empty regular expression" };
          break scan;
        }
        i++;
        // flags
        while (i < len) {
          const f = src.charCodeAt(i);
          if (f === 105 || f === 115) i++;
          else break;
        }
        push(T.REGEX, s, i);
        continue;
      }
      case 123: {
        if (n > 0 && kind[n - 1] === T.ASSIGN) {
          // hex string: up to the matching }, skipping comments
          i++;
          for (;;) {
            if (i >= len) {
              error = { offset: s, message: "unterminated hex string: missing }" };
              break scan;
            }
            const e = src.charCodeAt(i);
            if (e === 125) break;
            if (e === 47 && src.charCodeAt(i + 1) === 42) {
              const close = src.indexOf("*/", i + 2);
              if (close < 0) {
                error = { offset: i, message: "unterminated comment: missing */" };
                break scan;
              }
              i = close + 2;
              continue;
            }
            if (e === 47 && src.charCodeAt(i + 1) === 47) {
              const nl = src.indexOf("\n", i);
              i = nl < 0 ? len : nl;
              continue;
            }
            i++;
          }
          i++;
          push(T.HEX, s, i);
          continue;
        }
        push(T.LBRACE, s, ++i);
        continue;
      }
      case 125:
        push(T.RBRACE, s, ++i);
        continue;
      case 40:
        push(T.LPAREN, s, ++i);
        continue;
      case 41:
        push(T.RPAREN, s, ++i);
        continue;
      case 91:
        push(T.LBRACK, s, ++i);
        continue;
      case 93:
        push(T.RBRACK, s, ++i);
        continue;
      case 58:
        push(T.COLON, s, ++i);
        continue;
      case 44:
        push(T.COMMA, s, ++i);
        continue;
      case 61:
        if (src.charCodeAt(i + 1) === 61) {
          push(T.EQ, s, i + 2);
          i += 2;
        } else push(T.ASSIGN, s, ++i);
        continue;
      case 60: {
        const d = src.charCodeAt(i + 1);
        if (d === 61) {
          push(T.LE, s, i + 2);
          i += 2;
        } else if (d === 60) {
          push(T.SHL, s, i + 2);
          i += 2;
        } else push(T.LT, s, ++i);
        continue;
      }
      case 62: {
        const d = src.charCodeAt(i + 1);
        if (d === 61) {
          push(T.GE, s, i + 2);
          i += 2;
        } else if (d === 62) {
          push(T.SHR, s, i + 2);
          i += 2;
        } else push(T.GT, s, ++i);
        continue;
      }
      case 43:
        push(T.PLUS, s, ++i);
        continue;
      case 45:
        push(T.MINUS, s, ++i);
        continue;
      case 42:
        push(T.STAR, s, ++i);
        continue;
      case 92:
        push(T.BACKSLASH, s, ++i);
        continue;
      case 37:
        push(T.PERCENT, s, ++i);
        continue;
      case 124:
        push(T.PIPE, s, ++i);
        continue;
      case 94:
        push(T.CARET, s, ++i);
        continue;
      case 38:
        push(T.AMP, s, ++i);
        continue;
      case 126:
        push(T.TILDE, s, ++i);
        continue;
      case 46:
        if (src.charCodeAt(i + 1) === 46) {
          push(T.DOTDOT, s, i + 2);
          i += 2;
        } else push(T.DOT, s, ++i);
        continue;
      case 0xfeff: // byte order mark
        i++;
        continue;
      default:
        error = {
          offset: s,
          message:
            c > 127
              ? "non-ASCII character outside a string or comment"
              : `unexpected character '${String.fromCharCode(c)}'`,
        };
        break scan;
    }
  }
  push(T.EOF, error ? error.offset : len, error ? error.offset : len);
  return { count: n, kind, start, end, error };
}
