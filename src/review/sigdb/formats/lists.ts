/**
 * The other line formats of a ClamAV database (libclamav readdb.c, dconf.c, regex_list.c):
 *
 *   .ign .ign2  `name` or `name:md5 of the signature's line` (or the old `db:line:name`): the
 *               named signature is not loaded
 *   .cdb        `name:container type:container size:file name regex:size in container:real size:
 *               encrypted:position:res1:res2[:min fl[:max fl]]`
 *   .ftm        `magic type:offset:hex:name:required type:detected type[:min fl[:max fl]]`
 *   .pdb .wdb   phishing: `R`/`H` (domain list), `X`/`Y`/`M` (allow list), then the pattern
 *   .gdb        Safe Browsing hash prefixes `S:P:…`, `S:F:…`, `S1:…`, `S2:…`
 *   .crb        `name;trusted;subject;serial;public key;exponent;code sign;time sign;cert sign;
 *               not before;comment[;min fl[;max fl]]`
 *   .idb        `name:group 1:group 2:icon hash (124 hex digits)`
 *   .cfg        `MODULE:0xbits[:min fl[:max fl]]`: which engine features are on
 */
import { expandRegex, parseRegex } from "../../rules/findings/regex.js";
import { parseHexSignature } from "../hexsig.js";
import type {
  CertificateEntry,
  ConfigEntry,
  ContainerSignature,
  FiletypeSignature,
  IconSignature,
  IgnoreEntry,
  PhishingEntry,
} from "../model.js";
import { checkOffset } from "../offset.js";
import {
  expectFields,
  fail,
  fields,
  flevels,
  forEachLine,
  isNumber,
  recordFailure,
  type Sink,
  signatureName,
} from "./fields.js";
import { FILE_TYPES } from "./filetypes.js";

const MD5 = /^[0-9a-fA-F]{32}$/;

function each(
  file: string,
  text: string,
  maxLine: number,
  sink: Sink,
  parse: (line: string, no: number) => void,
): void {
  forEachLine(file, text, maxLine, sink, (line, no) => {
    try {
      parse(line, no);
    } catch (err) {
      recordFailure(sink, file, no, err);
    }
  });
}

export function parseIgnoreFile(file: string, text: string, maxLine: number, sink: Sink): void {
  let sawMd5 = false;
  each(file, text, maxLine, sink, (line, no) => {
    const f = fields(line, ":");
    if (f.length > 3)
      fail("E_SIGDB_FIELDS", `${f.length} fields; an ignore entry is name or name:md5`);
    if (f.length === 2) sawMd5 = true;
    else if (sawMd5) {
      // cli_loadign keeps the previous entry's MD5 pointer for a later entry without one, and
      // then finds no valid MD5 there: the whole file is refused.
      fail(
        "E_SIGDB_IGNORE_ORDER",
        "an entry without an MD5 after one with an MD5: libclamav reads it with a stale MD5 and refuses the file (list name-only entries first)",
      );
    }
    const name = f.length === 3 ? (f[2] as string) : (f[0] as string);
    if (name === "") fail("E_SIGDB_NAME", "the ignore entry names no signature");
    const md5 = f.length === 2 ? (f[1] as string) : undefined;
    if (md5 !== undefined && !MD5.test(md5)) {
      fail(
        "E_SIGDB_HASH",
        `"${md5.slice(0, 40)}" is not the MD5 (32 hex digits) of a signature line`,
      );
    }
    const s: IgnoreEntry = {
      kind: "ignore",
      file,
      line: no,
      name,
      ignored: name,
      text: line,
      ...(md5 ? { lineMd5: md5.toLowerCase() } : {}),
    };
    sink.signatures.push(s);
  });
}

function range(raw: string, what: string): void {
  if (raw === "*" || isNumber(raw) || /^\d+-\d+$/.test(raw)) return;
  fail("E_SIGDB_FIELDS", `the ${what} "${raw.slice(0, 30)}" is not *, a number or a range`);
}

export function parseContainerFile(file: string, text: string, maxLine: number, sink: Sink): void {
  each(file, text, maxLine, sink, (line, no) => {
    const f = fields(line, ":");
    expectFields(f, 10, 12, "a container signature");
    const name = signatureName(f[0]);
    const type = f[1] as string;
    if (type !== "*" && !FILE_TYPES.has(type)) {
      fail(
        "E_SIGDB_TYPE",
        `the container type "${type.slice(0, 40)}" is not * or a file type ClamAV knows`,
      );
    }
    range(f[2] as string, "container size");
    range(f[4] as string, "size in the container");
    range(f[5] as string, "real size");
    const encrypted = f[6] as string;
    if (encrypted !== "*" && encrypted !== "0" && encrypted !== "1") {
      fail("E_SIGDB_FIELDS", `the encrypted flag "${encrypted.slice(0, 10)}" is not *, 0 or 1`);
    }
    range(f[7] as string, "file position");
    const regex = f[3] as string;
    const node = regex === "*" ? undefined : parseRegex(regex);
    const s: ContainerSignature = {
      kind: "container",
      file,
      line: no,
      name,
      text: line,
      containerType: type,
      containerSize: f[2] as string,
      fileNameRegex: regex,
      fileNameViews: node ? expandRegex(node) : [],
      fileSizeInContainer: f[4] as string,
      fileSizeReal: f[5] as string,
      encrypted,
      filePosition: f[7] as string,
      ...flevels(f, 10),
    };
    sink.signatures.push(s);
  });
}

export function parseFiletypeFile(file: string, text: string, maxLine: number, sink: Sink): void {
  each(file, text, maxLine, sink, (line, no) => {
    const f = fields(line, ":");
    expectFields(f, 6, 8, "a file type signature");
    if (!isNumber(f[0])) fail("E_SIGDB_FIELDS", `the magic type "${f[0]}" is not a number`);
    const magicType = Number(f[0]);
    const requiredType = f[4] as string;
    const detectedType = f[5] as string;
    for (const t of [requiredType, detectedType]) {
      if (!FILE_TYPES.has(t))
        fail("E_SIGDB_TYPE", `"${t.slice(0, 40)}" is not a file type ClamAV knows`);
    }
    const offset = f[1] as string;
    let pattern: FiletypeSignature["pattern"];
    if (magicType === 0 || magicType === 4) {
      if (!isNumber(offset))
        fail("E_SIGDB_OFFSET", `the offset "${offset}" of a magic comparison is not a number`);
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(f[2] as string)) {
        fail("E_SIGDB_HEX", "a magic comparison is plain hex bytes");
      }
      pattern = parseHexSignature(f[2] as string, false);
    } else if (magicType === 1) {
      checkOffset(offset, undefined);
      pattern = parseHexSignature(f[2] as string, false);
    }
    const s: FiletypeSignature = {
      kind: "filetype",
      file,
      line: no,
      name: signatureName(f[3]),
      text: line,
      magicType,
      offset,
      requiredType,
      detectedType,
      ...(pattern ? { pattern } : {}),
      ...flevels(f, 6),
    };
    sink.signatures.push(s);
  });
}

const PHISHING_TYPES: Record<"pdb" | "wdb" | "gdb", RegExp> = {
  pdb: /^[RH]\d*$/,
  wdb: /^[XYM]\d*$/,
  gdb: /^S[12]?$/,
};

export function parsePhishingFile(
  file: string,
  list: "pdb" | "wdb" | "gdb",
  text: string,
  maxLine: number,
  sink: Sink,
): void {
  each(file, text, maxLine, sink, (line, no) => {
    const colon = line.indexOf(":");
    const type = colon < 0 ? line : line.slice(0, colon);
    if (colon < 0 || !PHISHING_TYPES[list].test(type)) {
      fail("E_SIGDB_FIELDS", `"${type.slice(0, 20)}" is not a .${list} entry type`);
    }
    const pattern = line.slice(colon + 1);
    if (pattern === "") fail("E_SIGDB_FIELDS", "the entry has no pattern");
    const s: PhishingEntry = {
      kind: "phishing",
      file,
      line: no,
      name: `${type}:${pattern}`,
      text: line,
      list,
      type,
      pattern,
    };
    sink.signatures.push(s);
  });
}

const SHA1 = /^[0-9a-fA-F]{40}$/;
const BIT = /^[01]$/;

export function parseCertificateFile(
  file: string,
  text: string,
  maxLine: number,
  sink: Sink,
): void {
  each(file, text, maxLine, sink, (line, no) => {
    if (line.trim() === "") return; // cli_loadcrt skips empty lines
    const f = fields(line, ";");
    expectFields(f, 11, 13, "a certificate entry");
    for (const [i, what] of [
      [1, "trusted"],
      [6, "code signing"],
      [7, "time stamping"],
      [8, "certificate signing"],
    ] as const) {
      if (!BIT.test(f[i] as string))
        fail("E_SIGDB_FIELDS", `the ${what} flag "${f[i]}" is not 0 or 1`);
    }
    if (!SHA1.test(f[2] as string))
      fail("E_SIGDB_HASH", "the subject is not a SHA-1 (40 hex digits)");
    if (f[3] !== "" && !SHA1.test(f[3] as string)) {
      fail("E_SIGDB_HASH", "the serial is neither empty nor a SHA-1 (40 hex digits)");
    }
    if (!/^[0-9a-fA-F]+$/.test(f[4] as string)) fail("E_SIGDB_HASH", "the public key is not hex");
    const s: CertificateEntry = {
      kind: "certificate",
      file,
      line: no,
      name: f[0] === "" ? (f[2] as string) : (f[0] as string),
      text: line,
      trusted: f[1] === "1",
      subject: (f[2] as string).toLowerCase(),
      serial: (f[3] as string).toLowerCase(),
      codeSign: f[6] === "1",
      timeSign: f[7] === "1",
      certSign: f[8] === "1",
      ...flevels(f, 11),
    };
    sink.signatures.push(s);
  });
}

export function parseIconFile(file: string, text: string, maxLine: number, sink: Sink): void {
  each(file, text, maxLine, sink, (line, no) => {
    const f = fields(line, ":");
    expectFields(f, 4, 4, "an icon signature");
    const hash = f[3] as string;
    if (hash.length !== 124 || !/^[0-9a-fA-F]+$/.test(hash)) {
      fail("E_SIGDB_HASH", "the icon hash is not 124 hex digits");
    }
    const size = Number.parseInt(hash.slice(0, 2), 16);
    if (size !== 16 && size !== 24 && size !== 32) {
      fail("E_SIGDB_HASH", `the icon hash's size ${size} is not 16, 24 or 32`);
    }
    const s: IconSignature = {
      kind: "icon",
      file,
      line: no,
      name: signatureName(f[0]),
      text: line,
      group1: f[1] as string,
      group2: f[2] as string,
      hash: hash.toLowerCase(),
    };
    sink.signatures.push(s);
  });
}

export const CONFIG_MODULES = new Set([
  "PE",
  "ELF",
  "MACHO",
  "ARCHIVE",
  "DOCUMENT",
  "MAIL",
  "OTHER",
  "PHISHING",
  "BYTECODE",
  "STATS",
  "PCRE",
]);

export function parseConfigFile(file: string, text: string, maxLine: number, sink: Sink): void {
  each(file, text, maxLine, sink, (line, no) => {
    const colon = line.indexOf(":");
    const module = colon < 0 ? line : line.slice(0, colon);
    // dconf.c reads only the modules it knows and passes over anything else.
    if (!CONFIG_MODULES.has(module)) return;
    const f = fields(line, ":");
    const m = /^0x([0-9a-fA-F]{1,8})/.exec(f[1] ?? "");
    if (!m)
      fail("E_SIGDB_CONFIG", `the ${module} setting "${(f[1] ?? "").slice(0, 20)}" is not 0x<hex>`);
    const s: ConfigEntry = {
      kind: "config",
      file,
      line: no,
      name: module,
      text: line,
      module,
      value: Number.parseInt(m[1] as string, 16),
      ...flevels(f, 2),
    };
    sink.signatures.push(s);
  });
}
