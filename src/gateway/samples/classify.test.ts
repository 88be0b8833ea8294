import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifySample, defaultSampleAction, type SampleType } from "./index.js";
import { zipBytes } from "./test-zip.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crosscheck-samples-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function classify(
  name: string,
  bytes: Uint8Array | string,
  limits?: Parameters<typeof classifySample>[1],
) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return classifySample(path, limits);
}

// ---- fixtures, built from their specifications ----

function pdf(): Buffer {
  const objects = [
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n",
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n",
  ];
  let body = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const offsets: number[] = [];
  for (const o of objects) {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += o;
  }
  const xref = Buffer.byteLength(body, "latin1");
  body += `xref\n0 4\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  body += `trailer << /Size 4 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

function docx(): Buffer {
  return zipBytes([
    {
      name: "[Content_Types].xml",
      data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      deflate: true,
    },
    {
      name: "_rels/.rels",
      data: '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
      deflate: true,
    },
    {
      name: "word/document.xml",
      data: '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>TOP SECRET quarterly report</w:t></w:r></w:p></w:body></w:document>',
      deflate: true,
    },
  ]);
}

/** A minimal PE32+ image header: MZ stub, PE signature, COFF header, optional header magic. */
function pe(options: { dll?: boolean } = {}): Buffer {
  const b = Buffer.alloc(0x200);
  b.write("MZ", 0, "latin1");
  b.writeUInt32LE(0x80, 0x3c);
  b.write("PE\0\0", 0x80, "latin1");
  b.writeUInt16LE(0x8664, 0x84); // machine
  b.writeUInt16LE(1, 0x86); // sections
  b.writeUInt16LE(0xf0, 0x94); // optional header size
  b.writeUInt16LE(0x22 | (options.dll ? 0x2000 : 0), 0x96); // characteristics
  b.writeUInt16LE(0x20b, 0x98); // PE32+
  return b;
}

function ole2(streamName: string): Buffer {
  const b = Buffer.alloc(1536);
  Buffer.from("d0cf11e0a1b11ae1", "hex").copy(b, 0);
  b.writeUInt16LE(0x3e, 0x18);
  b.writeUInt16LE(3, 0x1a);
  b.writeUInt16LE(0xfffe, 0x1c);
  b.writeUInt16LE(9, 0x1e);
  // Directory sector 0 (at 512): the root entry, then the stream, as UTF-16LE names.
  b.write("Root Entry", 512, "utf16le");
  b.write(streamName, 512 + 128, "utf16le");
  return b;
}

function elfHeader(type: number): Buffer {
  const b = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(b, 0);
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(0x3e, 18);
  return b;
}

const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

const forwarded = (t: SampleType) => defaultSampleAction(t.kind) === "forward";

describe("classifySample", () => {
  it("holds a document disguised as a sample: a DOCX named update.exe", async () => {
    const type = await classify("update.exe", docx());
    expect(type).toEqual({
      kind: "document",
      mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      detail: "Word document (OOXML)",
    });
    expect(defaultSampleAction(type.kind)).toBe("quarantine");
  });

  it("holds a PDF named update.exe, also behind a fake MZ stub", async () => {
    expect(await classify("update.exe", pdf())).toEqual({
      kind: "document",
      mime: "application/pdf",
      detail: "PDF document",
    });
    const disguised = Buffer.concat([Buffer.from("MZ\x90\0", "latin1"), Buffer.alloc(200), pdf()]);
    const type = await classify("update2.exe", disguised);
    expect(type.kind).toBe("document");
    expect(forwarded(type)).toBe(false);
  });

  it("forwards a PE executable, whatever its name", async () => {
    const type = await classify("invoice.pdf", pe());
    expect(type).toEqual({
      kind: "executable",
      mime: "application/vnd.microsoft.portable-executable",
      detail: "PE32+ executable (x86-64)",
    });
    expect(forwarded(type)).toBe(true);
    expect((await classify("lib.bin", pe({ dll: true }))).detail).toBe("PE32+ DLL (x86-64)");
  });

  it("forwards a real ELF executable (/bin/ls) and Mach-O headers", async () => {
    const ls = await classifySample("/bin/ls");
    expect(ls.kind).toBe("executable");
    expect(ls.detail).toMatch(/^ELF (64|32)-bit /);
    const macho = Buffer.alloc(64);
    macho.writeUInt32BE(0xcffaedfe, 0);
    expect(await classify("m", macho)).toMatchObject({
      kind: "executable",
      detail: "Mach-O 64-bit binary",
    });
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(2, 4);
    expect((await classify("fat", fat)).detail).toBe("Mach-O universal binary");
  });

  it("holds process memory: an ELF core dump", async () => {
    const type = await classify("core", elfHeader(4));
    expect(type).toMatchObject({
      kind: "unknown",
      detail: "ELF 64-bit core dump (process memory)",
    });
  });

  it("recognises OLE2 Office files and RTF as documents", async () => {
    expect(await classify("a", ole2("WordDocument"))).toMatchObject({
      kind: "document",
      mime: "application/msword",
    });
    expect((await classify("b", ole2("Workbook"))).mime).toBe("application/vnd.ms-excel");
    expect((await classify("c", ole2("__substg1.0_0037001F"))).detail).toBe("Outlook message");
    expect(await classify("d.exe", "{\\rtf1\\ansi Hello}")).toMatchObject({
      kind: "document",
      mime: "application/rtf",
    });
  });

  it("recognises an OpenDocument text by its mimetype entry", async () => {
    const odt = zipBytes([
      { name: "mimetype", data: "application/vnd.oasis.opendocument.text" },
      { name: "content.xml", data: "<office:document-content/>", deflate: true },
    ]);
    expect(await classify("x.exe", odt)).toMatchObject({
      kind: "document",
      mime: "application/vnd.oasis.opendocument.text",
    });
  });

  it("holds images and text, including scripts", async () => {
    expect(await classify("photo.exe", PNG_1X1)).toMatchObject({
      kind: "image",
      mime: "image/png",
    });
    expect(await classify("t", "Dear Anna,\nthe meeting is on Tuesday.\n")).toEqual({
      kind: "text",
      mime: "text/plain",
      detail: "UTF-8 text",
    });
    expect((await classify("s", "#!/bin/sh\necho hi\n")).detail).toBe("script (#!/bin/sh)");
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("Grüße aus Köln\r\n", "utf16le"),
    ]);
    expect((await classify("u", utf16)).detail).toBe("UTF-16LE text");
    for (const kind of ["image", "text"] as const)
      expect(defaultSampleAction(kind)).toBe("quarantine");
  });

  it("finds a document inside a ZIP by name", async () => {
    const zip = zipBytes([
      { name: "dropper.exe", data: pe() },
      { name: "docs/report.docx", data: docx() },
    ]);
    const type = await classify("sample.zip", zip);
    expect(type).toEqual({
      kind: "archive-of-documents",
      mime: "application/zip",
      detail: "ZIP containing docs/report.docx (2 entries)",
    });
    expect(forwarded(type)).toBe(false);
  });

  it("finds a document inside a ZIP by content when its name hides it", async () => {
    const zip = zipBytes([
      { name: "a.exe", data: pe(), deflate: true },
      { name: "b.dat", data: pdf(), deflate: true },
    ]);
    expect(await classify("z", zip)).toMatchObject({
      kind: "archive-of-documents",
      detail: "ZIP containing b.dat (2 entries)",
    });
    const nested = zipBytes([{ name: "payload.bin", data: docx() }]);
    expect((await classify("n", nested)).kind).toBe("archive-of-documents");
  });

  it("forwards a ZIP of executables only, holds one with anything unidentified", async () => {
    const exes = zipBytes([
      { name: "a.exe", data: pe(), deflate: true },
      { name: "b.dll", data: pe({ dll: true }) },
    ]);
    const type = await classify("exes.zip", exes);
    expect(type).toEqual({
      kind: "executable",
      mime: "application/zip",
      detail: "ZIP containing only executables (2)",
    });
    expect(forwarded(type)).toBe(true);
    const mixed = zipBytes([
      { name: "a.exe", data: pe() },
      { name: "blob", data: Buffer.from([0, 1, 2, 3, 0, 0, 9, 250]) },
    ]);
    expect(await classify("mixed.zip", mixed)).toMatchObject({
      kind: "archive",
      detail: "ZIP with 2 entries, 1 not identified as executables",
    });
  });

  it("bounds the listing: more entries than allowed leaves an archive held", async () => {
    const many = zipBytes(Array.from({ length: 5 }, (_, i) => ({ name: `${i}.exe`, data: pe() })));
    expect((await classify("many.zip", many)).kind).toBe("executable");
    expect(await classify("many2.zip", many, { maxArchiveEntries: 3 })).toMatchObject({
      kind: "archive",
      detail: "ZIP not fully inspected: more than 3 entries",
    });
  });

  it("reads only a bounded prefix of a compression bomb", async () => {
    const bomb = zipBytes([{ name: "zeros", data: Buffer.alloc(64 * 1024 * 1024), deflate: true }]);
    const started = Date.now();
    expect((await classify("bomb.zip", bomb)).kind).toBe("archive");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("looks into a ZIP appended to an executable", async () => {
    const sfxWithDocs = Buffer.concat([pe(), zipBytes([{ name: "passwords.xlsx", data: "x" }])]);
    expect(await classify("setup.exe", sfxWithDocs)).toEqual({
      kind: "archive-of-documents",
      mime: "application/vnd.microsoft.portable-executable",
      detail: "PE32+ executable (x86-64) carrying appended ZIP containing passwords.xlsx",
    });
    const sfx = Buffer.concat([pe(), zipBytes([{ name: "payload.exe", data: pe() }])]);
    expect((await classify("setup2.exe", sfx)).kind).toBe("executable");
  });

  it("holds archives it does not unpack, unknown data and empty files", async () => {
    expect(await classify("g", gzipSync("hello"))).toMatchObject({
      kind: "archive",
      mime: "application/gzip",
    });
    expect(
      await classify("r", Buffer.from([0x13, 0x00, 0x9f, 0xee, 0x01, 0x00, 0x00, 0x42])),
    ).toMatchObject({
      kind: "unknown",
    });
    expect(await classify("e", "")).toEqual({
      kind: "unknown",
      mime: "application/x-empty",
      detail: "empty file",
    });
    for (const kind of ["archive", "archive-of-documents", "document", "unknown"] as const) {
      expect(defaultSampleAction(kind)).toBe("quarantine");
    }
  });

  it("is not fooled by a raw deflate stream that claims to be a ZIP entry", async () => {
    // A stored entry whose bytes are a deflated PDF: stored means read as is, so it is unknown data.
    const zip = zipBytes([{ name: "x", data: deflateRawSync(pdf()) }]);
    expect((await classify("y.zip", zip)).kind).toBe("archive");
  });
});

// Real malware-scanner test files (Debian clamav-testfiles), when the package is installed.
const CLAMAV_TESTFILES = "/usr/share/clamav-testfiles";
const haveTestfiles = existsSync(CLAMAV_TESTFILES);

describe.skipIf(!haveTestfiles && process.env.CI !== "true")(
  `real samples from ${CLAMAV_TESTFILES} (install clamav-testfiles to run)`,
  () => {
    const expected: Record<string, SampleType["kind"]> = {
      "clam.exe": "executable",
      "clam.pdf": "document",
      "clam.doc": "document",
      "clam.ppt": "document",
      "clam.xls": "document",
      "clam.exe.rtf": "document",
      "clam.zip": "executable",
      "clam.7z": "archive",
      "clam.cab": "archive",
      "clam.tar.gz": "archive",
    };

    it("classifies each known file as its kind", async () => {
      expect(haveTestfiles, `${CLAMAV_TESTFILES} is missing; install clamav-testfiles`).toBe(true);
      const present = Object.keys(expected).filter((f) => existsSync(join(CLAMAV_TESTFILES, f)));
      expect(present.length).toBeGreaterThan(0);
      for (const file of present) {
        const type = await classifySample(join(CLAMAV_TESTFILES, file));
        expect({ file, kind: type.kind }).toEqual({ file, kind: expected[file] });
      }
    });
  },
);
