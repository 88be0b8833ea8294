/**
 * One database file → its signatures and line issues, by extension (as libclamav's `cli_load`
 * dispatches, case-insensitively). YARA files are parsed by the rules front end (Decision 21);
 * `.info` is read separately (it is the container's index, not signatures); files ClamAV loads
 * but we cannot review (`.cat` catalogs, `.ioc`, `.pwdb`) are reported, not skipped silently.
 */
import {
  DEFAULT_EXTERNALS,
  parseRules,
  printRule,
  type RuleFile,
  YaraLimitError,
  YaraSyntaxError,
} from "../../rules/index.js";
import type { YaraSignature } from "../model.js";
import { parseBodyFile } from "./body.js";
import { parseBytecodeFile } from "./bytecode.js";
import { extensionOf, lineIssue, type Sink } from "./fields.js";
import { HASH_EXTENSIONS, parseHashFile } from "./hash.js";
import {
  parseCertificateFile,
  parseConfigFile,
  parseContainerFile,
  parseFiletypeFile,
  parseIconFile,
  parseIgnoreFile,
  parsePhishingFile,
} from "./lists.js";
import { parseLogicalFile } from "./logical.js";

export { extensionOf, type Sink } from "./fields.js";

/** Extensions of signature files we read. */
export const SIGNATURE_EXTENSIONS = new Set([
  ...HASH_EXTENSIONS,
  "ndb",
  "ndu",
  "db",
  "ldb",
  "ldu",
  "cdb",
  "ign",
  "ign2",
  "ftm",
  "pdb",
  "gdb",
  "wdb",
  "crb",
  "idb",
  "cfg",
  "cbc",
  "yar",
  "yara",
]);

/** Files ClamAV loads whose content we do not review. */
const NOT_REVIEWED = new Set(["cat", "ioc", "pwdb", "sdb", "zmd", "rmd"]);

export interface ParsedYara {
  file: RuleFile;
  source: string;
}

export interface ParseFileOptions {
  maxLineLength: number;
  externals?: readonly string[];
}

/**
 * Parses one file into `sink`; returns the YARA file when it is one. `COPYING`, `.info` and
 * files of other extensions are left to the caller.
 */
export function parseDatabaseFile(
  name: string,
  bytes: Buffer,
  sink: Sink,
  options: ParseFileOptions,
): ParsedYara | undefined {
  const ext = extensionOf(name);
  const max = options.maxLineLength;
  if (ext === "cbc") {
    parseBytecodeFile(name, bytes, sink);
    return undefined;
  }
  if (ext === "yar" || ext === "yara") return parseYara(name, bytes, sink, options);
  if (NOT_REVIEWED.has(ext)) {
    sink.issues.push(
      lineIssue(
        name,
        0,
        "E_SIGDB_NOT_REVIEWED",
        `ClamAV loads .${ext} files; this review does not read them`,
      ),
    );
    return undefined;
  }
  const text = bytes.toString("latin1");
  if (HASH_EXTENSIONS.has(ext)) parseHashFile(name, ext, text, max, sink);
  else if (ext === "ndb" || ext === "ndu" || ext === "db")
    parseBodyFile(name, ext, text, max, sink);
  else if (ext === "ldb" || ext === "ldu") parseLogicalFile(name, ext, text, max, sink);
  else if (ext === "cdb") parseContainerFile(name, text, max, sink);
  else if (ext === "ign" || ext === "ign2") parseIgnoreFile(name, text, max, sink);
  else if (ext === "ftm") parseFiletypeFile(name, text, max, sink);
  else if (ext === "pdb" || ext === "gdb" || ext === "wdb")
    parsePhishingFile(name, ext, text, max, sink);
  else if (ext === "crb") parseCertificateFile(name, text, max, sink);
  else if (ext === "idb") parseIconFile(name, text, max, sink);
  else if (ext === "cfg") parseConfigFile(name, text, max, sink);
  else {
    sink.issues.push(
      lineIssue(
        name,
        0,
        "E_SIGDB_UNKNOWN_FILE",
        `.${ext || "(none)"} is not a ClamAV database file type; ClamAV ignores it`,
      ),
    );
  }
  return undefined;
}

function parseYara(
  name: string,
  bytes: Buffer,
  sink: Sink,
  options: ParseFileOptions,
): ParsedYara | undefined {
  const source = bytes.toString("utf8");
  let file: RuleFile;
  try {
    file = parseRules(source, {
      file: name,
      include: () => undefined,
      ...(options.externals ? { externals: [...DEFAULT_EXTERNALS, ...options.externals] } : {}),
    });
  } catch (err) {
    if (err instanceof YaraSyntaxError || err instanceof YaraLimitError) {
      // The rules front end's message already says file:line:column.
      sink.issues.push({ file: name, line: err.line, code: err.code, message: err.message });
      return undefined;
    }
    throw err;
  }
  for (const rule of file.rules) {
    const s: YaraSignature = {
      kind: "yara",
      file: name,
      line: rule.loc.line,
      name: rule.name,
      text: printRule(rule),
    };
    sink.signatures.push(s);
  }
  return { file, source };
}
