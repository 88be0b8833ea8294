/**
 * The YARA rules front end: `parseRules` (source → syntax tree, includes resolved, errors with
 * file/line/column) and `printRules` (syntax tree → YARA text with the same behaviour).
 */
import type { RuleFile } from "./ast.js";
import { type ParseOptions, parseSource } from "./parser.js";

export type * from "./ast.js";

import { YaraLimitError, YaraSyntaxError } from "./errors.js";

export {
  DEFAULT_EXTERNALS,
  DEFAULT_LIMITS,
  DEFAULT_MODULES,
  KEYWORDS,
  type ParseLimits,
  type ParseOptions,
} from "./parser.js";
export {
  escapeBytes,
  printExpr,
  printHexTokens,
  printMeta,
  printRule,
  printRules,
  printString,
} from "./printer.js";
export { YaraLimitError, YaraSyntaxError };

/**
 * Parses one YARA source. Throws only `YaraSyntaxError` (`E_YARA_SYNTAX`) or `YaraLimitError`
 * (`E_YARA_LIMIT`), whatever the input.
 */
export function parseRules(source: string, options: ParseOptions = {}): RuleFile {
  try {
    return parseSource(source, options);
  } catch (err) {
    if (err instanceof YaraSyntaxError) throw err;
    // A bug or the engine's own stack limit: still a refusal of this file, never a crash.
    const file = options.file ?? "<input>";
    const message = err instanceof RangeError ? "the file is nested too deeply" : String(err);
    throw new YaraLimitError(file, 1, 1, message);
  }
}
