/**
 * Bytecode files `.cbc` (libclamav bytecode.c parseHeader, parseLSig, parseApis): compiled
 * programs the engine runs on scanned files. We never run or disassemble them; we list what a
 * reviewer needs to see that one arrived or changed: the header (format level, build time,
 * author, kind, functionality levels, compiler, function count), the logical signature that
 * triggers it, and the ClamAV API functions it declares it calls.
 *
 * Encoding (ClamAV's): a number is a length character `` `+n `` followed by n nibbles, least
 * significant first, each `0x60 | nibble`; a string is `|` + its byte count (a number) + two such
 * nibble characters per byte, low nibble first, ending in NUL.
 */
import { createHash } from "node:crypto";
import type { BytecodeSignature } from "../model.js";
import { fail, lineIssue, type Sink } from "./fields.js";

const KINDS: Record<number, string> = {
  0: "generic",
  1: "startup",
  256: "logical",
  257: "PE unpacker",
  258: "PDF hook",
  259: "PE (all)",
  260: "pre-classification",
  261: "ELF unpacker",
  262: "Mach-O unpacker",
};

class Reader {
  at: number;
  constructor(
    readonly s: string,
    at: number,
  ) {
    this.at = at;
  }

  number(): number {
    const lim = this.s.charCodeAt(this.at) - 0x60;
    if (!(lim >= 0 && lim <= 0x10) || this.at + lim + 1 > this.s.length) {
      fail("E_SIGDB_BYTECODE", `a malformed number at byte ${this.at + 1} of the bytecode header`);
    }
    let n = 0;
    let scale = 1;
    for (let i = this.at + 1; i <= this.at + lim; i++) {
      const v = this.s.charCodeAt(i);
      if ((v & 0xf0) !== 0x60) fail("E_SIGDB_BYTECODE", `a malformed number part at byte ${i + 1}`);
      n += (v & 0xf) * scale;
      scale *= 16;
    }
    this.at += lim + 1;
    return n;
  }

  string(): string {
    if (this.s[this.at] !== "|")
      fail("E_SIGDB_BYTECODE", `a string expected at byte ${this.at + 1}`);
    this.at++;
    const length = this.number();
    if (this.at + 2 * length > this.s.length)
      fail("E_SIGDB_BYTECODE", "a string runs past the line");
    let out = "";
    for (let i = 0; i < length; i++) {
      const lo = this.s.charCodeAt(this.at + 2 * i);
      const hi = this.s.charCodeAt(this.at + 2 * i + 1);
      if ((lo & 0xf0) !== 0x60 || (hi & 0xf0) !== 0x60) {
        fail("E_SIGDB_BYTECODE", `a malformed string byte at ${this.at + 2 * i + 1}`);
      }
      const b = (lo & 0xf) | ((hi & 0xf) << 4);
      if (b !== 0) out += String.fromCharCode(b);
    }
    this.at += 2 * length;
    return out;
  }
}

function apiNames(line: string | undefined): string[] {
  if (!line?.startsWith("E")) return [];
  try {
    const r = new Reader(line, 1);
    r.number(); // highest API id
    const calls = r.number();
    const names: string[] = [];
    for (let i = 0; i < calls && i < 4096; i++) {
      r.number(); // id
      r.number(); // type
      names.push(r.string());
    }
    return names;
  } catch {
    return [];
  }
}

export function parseBytecodeFile(file: string, bytes: Buffer, sink: Sink): void {
  const text = bytes.toString("latin1");
  const lines = text.split("\n", 5).map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const header = lines[0] ?? "";
  try {
    if (!header.startsWith("ClamBC"))
      fail("E_SIGDB_BYTECODE", "the file does not start with ClamBC");
    const r = new Reader(header, 6);
    const formatLevel = r.number();
    const timestamp = r.number();
    const sigmaker = r.string();
    r.number(); // target exclude
    const kind = r.number();
    const minFunctionality = r.number();
    const maxFunctionality = r.number();
    r.number(); // max resource
    const compiler = r.string();
    r.number(); // types
    const functions = r.number();
    const second = lines[1] ?? "";
    const semi = second.indexOf(";");
    const name = semi >= 0 ? second.slice(0, semi) : second || file;
    const s: BytecodeSignature = {
      kind: "bytecode",
      file,
      line: 1,
      name,
      text: createHash("sha256").update(bytes).digest("hex"),
      sha256: createHash("sha256").update(bytes).digest("hex"),
      size: bytes.length,
      formatLevel,
      timestamp,
      sigmaker,
      kindName: KINDS[kind] ?? `kind ${kind}`,
      minFunctionality,
      maxFunctionality,
      compiler,
      functions,
      apis: apiNames(lines[3]),
      ...(semi >= 0 ? { logical: second } : {}),
      ...(minFunctionality ? { minFl: minFunctionality } : {}),
      ...(maxFunctionality ? { maxFl: maxFunctionality } : {}),
    };
    sink.signatures.push(s);
  } catch (err) {
    sink.issues.push(
      lineIssue(
        file,
        1,
        "E_SIGDB_BYTECODE",
        `the bytecode header cannot be read: ${(err as Error).message}`,
      ),
    );
  }
}
