/**
 * Where a body signature may match (libclamav matcher.c cli_caloff): `*` anywhere, `n` or `n,m`
 * from the start, `EOF-n`, and, for executables only (PE, ELF, Mach-O targets), `EP±n` from the
 * entry point, `Sx+n` / `SL+n` from a section's start, `SEx` within a section; `VI` (PE version
 * info) and `$n` (a logical signature's macro group). Any `,m` allows m bytes of drift.
 */
import { HexSyntaxError } from "./hexsig.js";

/** ClamAV target types that have an entry point and sections. */
const EXECUTABLE_TARGETS = new Set([1, 6, 9]);

const ABSOLUTE = /^\d+(?:,\d+)?$/;
const EOF = /^EOF-\d+(?:,\d+)?$/;
const EP = /^EP[+-]\d+(?:,\d+)?$/;
const SECTION = /^(?:S\d+|SL)\+\d+(?:,\d+)?$/;
const SECTION_ENTIRE = /^SE\d+$/;
const MACRO = /^\$\d+(?:,\d+)?$/;

/** Checks an offset for a target type (undefined: any); throws when ClamAV would refuse it. */
export function checkOffset(offset: string, target: number | undefined): void {
  if (offset === "*" || ABSOLUTE.test(offset) || EOF.test(offset) || MACRO.test(offset)) return;
  const executable = target !== undefined && EXECUTABLE_TARGETS.has(target);
  if (EP.test(offset) || SECTION.test(offset) || SECTION_ENTIRE.test(offset)) {
    if (executable) return;
    throw new HexSyntaxError(
      "E_SIGDB_OFFSET",
      `the offset ${offset} is relative to an entry point or section, which only PE, ELF and Mach-O targets have (target ${target ?? "*"})`,
    );
  }
  if (offset === "VI") {
    if (target === 1) return;
    throw new HexSyntaxError(
      "E_SIGDB_OFFSET",
      "the offset VI (version info) needs the PE target (1)",
    );
  }
  throw new HexSyntaxError(
    "E_SIGDB_OFFSET",
    `"${offset.slice(0, 60)}" is not an offset ClamAV knows`,
  );
}
