/**
 * What a file sample really is, judged by its bytes and never by its name: an antivirus that
 * uploads "update.exe" may be uploading a user's PDF. The gateway forwards only what it has
 * positively identified as executable code; everything that could be a user's own content
 * (documents, images, media, text, archives holding any of them) and everything it could not
 * identify waits for a reviewer.
 *
 * Decisions:
 * - Scripts (`#!`) are text: the source is readable and can hold user data, and prefixing any
 *   text with `#!/bin/sh` must not turn it into something that passes.
 * - A ZIP whose every file is identified executable code is classified `executable` (the usual
 *   way malware samples travel); other archives are `archive` and held, since their content is
 *   unknown (7z, RAR, tar, gzip are not unpacked; encrypted or unreadable ZIP entries).
 * - `unknown` is held.
 * - Process memory (ELF core files, Windows minidumps) is `unknown`: it holds whatever the
 *   process held.
 * Known limit: data hidden inside an executable (a resource, a section) is not examined; an
 *   archive appended to one is.
 */
import { open } from "node:fs/promises";
import { fileTypeFromBuffer } from "file-type";
import { readAt, readEntryPrefix, readZipListing, type ZipListing } from "./zip.js";

export type SampleKind =
  | "executable"
  | "document"
  | "image"
  | "archive-of-documents"
  | "archive"
  | "text"
  | "unknown";

export interface SampleType {
  kind: SampleKind;
  mime: string;
  /** What was found, for the audit log and the reviewer: "PDF document", "ZIP containing report.docx". */
  detail: string;
}

export interface ClassifyLimits {
  /** ZIP entries listed and examined (default 1,000); more leaves the archive `archive`. */
  maxArchiveEntries?: number;
  /** Bytes read from the start of the file, and at most of a ZIP directory (default 1 MiB). */
  maxInspectBytes?: number;
}

const DEFAULT_MAX_ENTRIES = 1000;
const DEFAULT_MAX_INSPECT = 1024 * 1024;

/** Executables pass; everything that may be a person's content, or that is not known, is held. */
export function defaultSampleAction(kind: SampleKind): "forward" | "quarantine" {
  return kind === "executable" ? "forward" : "quarantine";
}

export async function classifySample(
  file: string,
  limits: ClassifyLimits = {},
): Promise<SampleType> {
  const maxInspect = limits.maxInspectBytes ?? DEFAULT_MAX_INSPECT;
  const maxEntries = limits.maxArchiveEntries ?? DEFAULT_MAX_ENTRIES;
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    if (size === 0) return { kind: "unknown", mime: "application/x-empty", detail: "empty file" };
    const head = await readAt(fh, 0, Math.min(size, maxInspect));
    const own = await sniff(head, head.length < size);
    const listing = await readZipListing(fh, size, {
      maxEntries,
      maxDirectoryBytes: maxInspect,
    });
    if (own === "zip") {
      if (!listing) {
        return {
          kind: "archive",
          mime: "application/zip",
          detail: "ZIP archive whose directory could not be read",
        };
      }
      return await classifyZip(listing, (entry) => readEntryPrefix(fh, entry), "ZIP");
    }
    // An archive appended to something else (self-extracting installers, polyglots): documents
    // in it are held; otherwise the leading content decides.
    if (
      listing &&
      listing.entries.length > 0 &&
      (own.kind === "executable" || own.kind === "unknown")
    ) {
      const inner = await classifyZip(
        listing,
        (entry) => readEntryPrefix(fh, entry),
        "appended ZIP",
      );
      if (inner.kind === "archive-of-documents" || inner.kind === "document") {
        return {
          kind: "archive-of-documents",
          mime: own.mime,
          detail: `${own.detail} carrying ${inner.detail}`,
        };
      }
    }
    return own;
  } finally {
    await fh.close();
  }
}

// ---- ZIP ----

type EntryReader = (entry: ZipListing["entries"][number]) => Promise<Buffer | undefined>;

async function classifyZip(
  listing: ZipListing,
  read: EntryReader,
  container: string,
): Promise<SampleType> {
  const files = listing.entries.filter((e) => !e.name.endsWith("/"));
  const names = new Set(files.map((e) => e.name));

  const office = officeFormat(names);
  if (office) return { kind: "document", mime: office.mime, detail: `${office.name} (OOXML)` };
  const mimetype = files.find((e) => e.name === "mimetype");
  if (mimetype) {
    const declared = (await read(mimetype))?.subarray(0, 100).toString("latin1").trim();
    if (declared && /^application\/(vnd\.oasis\.opendocument\.|epub\+zip)/.test(declared)) {
      return {
        kind: "document",
        mime: declared,
        detail: declared.includes("epub") ? "EPUB book" : "OpenDocument document",
      };
    }
  }

  let executables = 0;
  let unidentified = 0;
  for (const entry of files) {
    // Package metadata of JARs and similar, not content of its own.
    if (entry.name.startsWith("META-INF/")) continue;
    const byName = userContentByName(entry.name);
    if (byName) return archiveOfDocuments(container, entry.name, files.length);
    const prefix = await read(entry);
    if (!prefix) {
      unidentified++;
      continue;
    }
    const inner = await sniff(prefix, prefix.length < entry.size);
    const kind = inner === "zip" ? nestedZipKind(prefix) : inner.kind;
    if (
      kind === "document" ||
      kind === "image" ||
      kind === "text" ||
      kind === "archive-of-documents"
    ) {
      return archiveOfDocuments(container, entry.name, files.length);
    }
    if (kind === "executable") executables++;
    else unidentified++;
  }

  if (listing.incomplete) {
    return {
      kind: "archive",
      mime: "application/zip",
      detail: `${container} not fully inspected: ${listing.incomplete}`,
    };
  }
  if (executables > 0 && unidentified === 0) {
    return {
      kind: "executable",
      mime: "application/zip",
      detail: `${container} containing only executables (${executables})`,
    };
  }
  return {
    kind: "archive",
    mime: "application/zip",
    detail: `${container} with ${files.length} entries, ${unidentified} not identified as executables`,
  };
}

function archiveOfDocuments(container: string, name: string, count: number): SampleType {
  const more = count > 1 ? ` (${count} entries)` : "";
  return {
    kind: "archive-of-documents",
    mime: "application/zip",
    detail: `${container} containing ${name}${more}`,
  };
}

function officeFormat(names: Set<string>): { name: string; mime: string } | undefined {
  const has = (prefix: string) => [...names].some((n) => n.startsWith(prefix));
  const ooxml = names.has("[Content_Types].xml");
  if (names.has("word/document.xml") || (ooxml && has("word/"))) {
    return {
      name: "Word document",
      mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };
  }
  if (names.has("xl/workbook.xml") || (ooxml && has("xl/"))) {
    return {
      name: "Excel workbook",
      mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
  }
  if (names.has("ppt/presentation.xml") || (ooxml && has("ppt/"))) {
    return {
      name: "PowerPoint presentation",
      mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    };
  }
  if (ooxml && has("visio/"))
    return { name: "Visio drawing", mime: "application/vnd.ms-visio.drawing" };
  return undefined;
}

/** A ZIP inside a ZIP, judged from the first local header we can see. */
function nestedZipKind(prefix: Buffer): SampleKind {
  const nameLength = prefix.length >= 30 ? prefix.readUInt16LE(26) : 0;
  const firstName = prefix.subarray(30, 30 + nameLength).toString("utf8");
  const text = prefix.toString("latin1");
  if (firstName === "[Content_Types].xml" || /(word|xl|ppt)\/[\w.]+\.xml/.test(text))
    return "document";
  if (firstName === "mimetype" && /application\/(vnd\.oasis|epub)/.test(text)) return "document";
  return "archive"; // not examined further: one level of nesting is read, deeper is unknown
}

const USER_CONTENT_EXTENSIONS = new Set(
  (
    "pdf doc docx docm dot dotx dotm xls xlsx xlsm xlsb xlt xltx ppt pptx pptm pps ppsx pot potx " +
    "odt ods odp odg odf rtf txt csv tsv md json xml html htm eml msg pst ost vsd vsdx pub " +
    "epub mobi pages numbers key one " +
    "jpg jpeg png gif bmp tif tiff heic heif webp svg raw cr2 nef psd " +
    "mp3 m4a wav ogg flac mp4 mov avi mkv " +
    "kdbx sqlite db"
  ).split(" "),
);

function userContentByName(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return (
    dot > name.lastIndexOf("/") && USER_CONTENT_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())
  );
}

// ---- magic numbers ----

/**
 * The type of a file from its first bytes: our own checks for the formats that decide the action
 * (executables, Office, PDF, text), file-type for the long tail. `"zip"` means "read the listing".
 */
async function sniff(head: Buffer, truncated: boolean): Promise<SampleType | "zip"> {
  const own = sniffOwn(head);
  if (own) return own;
  // A byte-order mark first: UTF-16 text would otherwise pass for an MPEG audio frame header.
  if (hasByteOrderMark(head)) {
    const text = textDetail(head, truncated);
    if (text) return { kind: "text", mime: "text/plain", detail: text };
  }
  const found = await fileTypeFromBuffer(head).catch(() => undefined);
  if (found) return fromFileType(found.mime, found.ext);
  const text = textDetail(head, truncated);
  if (text) return { kind: "text", mime: "text/plain", detail: text };
  return { kind: "unknown", mime: "application/octet-stream", detail: "unrecognised binary data" };
}

function sniffOwn(b: Buffer): SampleType | "zip" | undefined {
  const u32be = (at: number) => (b.length >= at + 4 ? b.readUInt32BE(at) : -1);
  const starts = (s: string) => b.subarray(0, s.length).toString("latin1") === s;

  const pe = peDetail(b);
  if (pe)
    return {
      kind: "executable",
      mime: "application/vnd.microsoft.portable-executable",
      detail: pe,
    };
  if (u32be(0) === 0x7f454c46) return elfType(b);
  switch (u32be(0)) {
    case 0xfeedface:
    case 0xcefaedfe:
      return {
        kind: "executable",
        mime: "application/x-mach-binary",
        detail: "Mach-O 32-bit binary",
      };
    case 0xfeedfacf:
    case 0xcffaedfe:
      return {
        kind: "executable",
        mime: "application/x-mach-binary",
        detail: "Mach-O 64-bit binary",
      };
    case 0xcafebabf:
      return {
        kind: "executable",
        mime: "application/x-mach-binary",
        detail: "Mach-O universal binary",
      };
    case 0xcafebabe:
      // Shared with Java classes; a fat header's architecture count is small, a class's version is >= 45.
      return u32be(4) < 45
        ? {
            kind: "executable",
            mime: "application/x-mach-binary",
            detail: "Mach-O universal binary",
          }
        : { kind: "executable", mime: "application/java-vm", detail: "Java class file" };
  }
  if (starts("dex\n"))
    return {
      kind: "executable",
      mime: "application/vnd.android.dex",
      detail: "Android DEX bytecode",
    };
  if (starts("MDMP"))
    return {
      kind: "unknown",
      mime: "application/x-dmp",
      detail: "Windows minidump (process memory)",
    };
  if (b.subarray(0, 8).equals(Buffer.from("d0cf11e0a1b11ae1", "hex"))) return ole2Type(b);
  if (starts("{\\rtf"))
    return { kind: "document", mime: "application/rtf", detail: "RTF document" };
  // PDF readers accept the header anywhere in the first 1,024 bytes, so a prefix cannot hide one.
  if (b.subarray(0, 1024).includes("%PDF-"))
    return { kind: "document", mime: "application/pdf", detail: "PDF document" };
  if (starts("PK\x03\x04") || starts("PK\x05\x06") || starts("PK\x07\x08")) return "zip";
  return undefined;
}

const PE_MACHINES: Record<number, string> = {
  332: "i386",
  34404: "x86-64",
  43620: "ARM64",
  448: "ARM",
  452: "ARMv7",
  512: "IA-64",
};

function peDetail(b: Buffer): string | undefined {
  if (b.length < 0x40 || b.toString("latin1", 0, 2) !== "MZ") return undefined;
  const pe = b.readUInt32LE(0x3c);
  if (pe + 26 > b.length || b.toString("latin1", pe, pe + 4) !== "PE\0\0") return undefined;
  const machine =
    PE_MACHINES[b.readUInt16LE(pe + 4)] ?? `machine 0x${b.readUInt16LE(pe + 4).toString(16)}`;
  const dll = (b.readUInt16LE(pe + 22) & 0x2000) !== 0;
  const format = b.readUInt16LE(pe + 24) === 0x20b ? "PE32+" : "PE32";
  return `${format} ${dll ? "DLL" : "executable"} (${machine})`;
}

function elfType(b: Buffer): SampleType {
  const bits = b[4] === 2 ? "64-bit" : "32-bit";
  const type = b.length >= 18 ? (b[5] === 2 ? b.readUInt16BE(16) : b.readUInt16LE(16)) : 0;
  if (type === 4)
    return {
      kind: "unknown",
      mime: "application/x-coredump",
      detail: `ELF ${bits} core dump (process memory)`,
    };
  const what =
    type === 1
      ? "relocatable object"
      : type === 3
        ? "shared object or PIE executable"
        : "executable";
  return { kind: "executable", mime: "application/x-elf", detail: `ELF ${bits} ${what}` };
}

function ole2Type(b: Buffer): SampleType {
  const has = (name: string) => b.includes(Buffer.from(name, "utf16le"));
  // The MSI root storage class id {000C1084-0000-0000-C000-000000000046}, as stored.
  if (b.includes(Buffer.from("84100c0000000000c000000000000046", "hex"))) {
    return {
      kind: "executable",
      mime: "application/x-msi",
      detail: "Windows Installer package (MSI)",
    };
  }
  if (has("WordDocument"))
    return { kind: "document", mime: "application/msword", detail: "Word 97-2003 document" };
  if (has("Workbook") || has("Book"))
    return { kind: "document", mime: "application/vnd.ms-excel", detail: "Excel 97-2003 workbook" };
  if (has("PowerPoint Document"))
    return {
      kind: "document",
      mime: "application/vnd.ms-powerpoint",
      detail: "PowerPoint 97-2003 presentation",
    };
  if (has("__substg1.0_"))
    return { kind: "document", mime: "application/vnd.ms-outlook", detail: "Outlook message" };
  return { kind: "document", mime: "application/x-cfb", detail: "OLE2 compound document" };
}

const ARCHIVE_MIMES = new Set([
  "application/gzip",
  "application/x-tar",
  "application/x-7z-compressed",
  "application/x-rar-compressed",
  "application/vnd.rar",
  "application/x-bzip2",
  "application/x-xz",
  "application/zstd",
  "application/x-lzip",
  "application/x-compress",
  "application/vnd.ms-cab-compressed",
  "application/x-cpio",
  "application/x-rpm",
  "application/x-deb",
  "application/vnd.debian.binary-package",
  "application/x-iso9660-image",
  "application/x-apple-diskimage",
  "application/x-lzh-compressed",
  "application/x-arj",
  "application/x-ace-compressed",
  "application/x-unix-archive",
]);

const EXECUTABLE_MIMES = new Set([
  "application/x-msdownload",
  "application/x-elf",
  "application/x-mach-binary",
  "application/java-vm",
  "application/wasm",
]);

function fromFileType(mime: string, ext: string): SampleType {
  const name = ext.toUpperCase();
  if (mime.startsWith("image/")) return { kind: "image", mime, detail: `${name} image` };
  // Photos, voice memos and videos are a person's content as much as documents are.
  if (mime.startsWith("audio/") || mime.startsWith("video/"))
    return { kind: "document", mime, detail: `${name} media` };
  if (EXECUTABLE_MIMES.has(mime)) return { kind: "executable", mime, detail: `${name} executable` };
  if (ARCHIVE_MIMES.has(mime))
    return { kind: "archive", mime, detail: `${name} archive (contents not inspected)` };
  if (
    mime === "application/pdf" ||
    mime === "application/rtf" ||
    mime === "application/msword" ||
    mime === "application/postscript" ||
    mime === "application/x-sqlite3" ||
    mime === "application/epub+zip" ||
    mime === "message/rfc822" ||
    mime.startsWith("application/vnd.ms-") ||
    mime.startsWith("application/vnd.openxmlformats") ||
    mime.startsWith("application/vnd.oasis.opendocument")
  ) {
    return { kind: "document", mime, detail: `${name} document` };
  }
  return { kind: "unknown", mime, detail: `${name} data` };
}

// ---- text ----

/** "UTF-8 text", "UTF-16LE text", "script (#!/bin/sh)", or undefined when not mostly printable text. */
function textDetail(b: Buffer, truncated: boolean): string | undefined {
  let text: string | undefined;
  let encoding: string;
  if (b[0] === 0xff && b[1] === 0xfe) {
    encoding = "UTF-16LE";
    text = decodeUtf16(b.subarray(2), "utf-16le", truncated);
  } else if (b[0] === 0xfe && b[1] === 0xff) {
    encoding = "UTF-16BE";
    text = decodeUtf16(b.subarray(2), "utf-16be", truncated);
  } else {
    encoding = "UTF-8";
    const body = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
    // A cut at the inspection limit may split one character; up to three bytes may be dropped.
    for (let cut = 0; cut <= (truncated ? 3 : 0) && text === undefined; cut++) {
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(
          body.subarray(0, body.length - cut),
        );
      } catch {
        // try a shorter cut
      }
    }
  }
  if (text === undefined || text.length === 0 || !mostlyPrintable(text)) return undefined;
  if (text.startsWith("#!"))
    return `script (${text.slice(0, text.search(/\r?\n|$/)).slice(0, 80)})`;
  return `${encoding} text`;
}

function hasByteOrderMark(b: Buffer): boolean {
  return (
    (b[0] === 0xff && b[1] === 0xfe) ||
    (b[0] === 0xfe && b[1] === 0xff) ||
    (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf)
  );
}

function decodeUtf16(
  b: Buffer,
  label: "utf-16le" | "utf-16be",
  truncated: boolean,
): string | undefined {
  const even = truncated ? b.subarray(0, b.length - (b.length % 2)) : b;
  try {
    return new TextDecoder(label, { fatal: true }).decode(even);
  } catch {
    return undefined;
  }
}

function mostlyPrintable(text: string): boolean {
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return false;
    // Tab, line feed, vertical tab, form feed, carriage return and escape occur in real text.
    if ((c < 0x20 && !(c >= 0x09 && c <= 0x0d) && c !== 0x1b) || (c >= 0x7f && c < 0xa0)) control++;
  }
  return control <= text.length * 0.02;
}
