/**
 * What a pattern's bytes say about the files it is meant for: a document format (OLE, PDF, RTF,
 * OOXML parts) or malware (script hosts, loaders, process injection, exploit markers, shellcode
 * idioms, PE headers). A rule that quotes a classification marking means one thing beside
 * `AutoOpen` and `WScript.Shell` (a malicious document quoting its lure) and another alone on a
 * document (hunting for the document itself); every review weighs it the same way.
 */

/**
 * Text in a pattern that says "this is a document of format X". Case-insensitive, so callers
 * may pass a view as it is or ASCII-folded.
 */
const DOC_TEXT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching binary magic bytes.
  /(\xD0\xCF\x11\xE0)|(%PDF)|(\{\\RTF?)|(\[CONTENT_TYPES\]\.XML|WORD\/DOCUMENT\.XML|(?<![A-Z])WORD\/|XL\/WORKBOOK|PPT\/PRESENTATION)/i;
const DOC_FORMATS = ["OLE", "PDF", "RTF", "OOXML"];

/** Textual malware indicators; case-insensitive (views may be passed folded or not). */
const MALWARE_TEXT = new RegExp(
  [
    "AUTO_?OPEN",
    "AUTO_?EXEC",
    "AUTO_?CLOSE",
    "DOCUMENT_(?:OPEN|CLOSE)",
    "WORKBOOK_OPEN",
    "WSCRIPT",
    "CSCRIPT",
    "POWERSHELL",
    "SHELL ?\\(",
    "SHELLEXECUTE",
    "CREATEOBJECT",
    "GETOBJECT",
    "URLDOWNLOADTOFILE",
    "XMLHTTP",
    "ADODB",
    "CMD(?:\\.EXE)? ?/[CK]",
    "MSHTA",
    "REGSVR32",
    "RUNDLL32",
    "CERTUTIL",
    "BITSADMIN",
    "VIRTUALALLOC",
    "VIRTUALPROTECT",
    "WRITEPROCESSMEMORY",
    "CREATEREMOTETHREAD",
    "LOADLIBRARY",
    "GETPROCADDRESS",
    "KERNEL32",
    "EQUATION\\.3",
    "OLE2LINK",
    "\\\\OBJUPDATE",
    "\\\\OBJDATA",
    "\\\\OBJOCX",
    "\\\\OBJEMB",
    "ACTIVEXOBJECT",
    "FROMCHARCODE",
    "UNESCAPE",
    "EVAL ?\\(",
    "THIS PROGRAM CANNOT BE RUN",
    "/JAVASCRIPT",
    "/OPENACTION",
    "/LAUNCH",
    "/EMBEDDEDFILE",
    "/JBIG2DECODE",
    "/RICHMEDIA",
    "VBA_?PROJECT",
    "(?:^|[ \\x00])-(?:ENC|ENCODEDCOMMAND|NOP|W HIDDEN)\\b",
    "DOWNLOADSTRING",
    "DOWNLOADFILE",
    "INVOKE-EXPRESSION",
    "SHELLCODE",
    "EXPLOIT",
    "CVE-\\d{4}",
  ].join("|"),
  "i",
);

/** Byte-level malware indicators (shellcode idioms, PE headers), matched on raw views. */
const MALWARE_BYTES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching machine code bytes.
  /\x64\xa1\x30\x00\x00\x00|\x64\x8b.\x30\x00\x00\x00|\xe8\x00\x00\x00\x00[\x58-\x5f]|\xfc\xe8|\x90{8}|^MZ(?:\x90|$)|PE\x00\x00/s;

/** The document format a view names, if any (the view as it is, or ASCII-folded). */
export function documentFormatIn(view: string): string | undefined {
  const d = DOC_TEXT.exec(view);
  if (!d) return undefined;
  const idx = d.slice(1).findIndex((g) => g !== undefined);
  return DOC_FORMATS[idx];
}

/**
 * The malware indicator in a view, if any: the matched text (trimmed), or "code bytes" for a
 * byte-level one. Text is matched in `text` (the view itself, or its ASCII-folded form when the
 * caller has one and wants the match shown in capitals); bytes in `view`.
 */
export function malwareIndicatorIn(view: string, text: string = view): string | undefined {
  const m = MALWARE_TEXT.exec(text);
  if (m) return m[0].trim();
  return MALWARE_BYTES.test(view) ? "code bytes" : undefined;
}
