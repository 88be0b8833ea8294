/**
 * The two YARA oracles for corpus tests: Debian's `yara`/`yarac` 4.2 (child processes, two at a
 * time) and YARA-X (the official WebAssembly build, in process), plus generated sample files.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { Compiler, initSync, type Rules } from "@virustotal/yara-x";

export const EXTERNALS = [
  "filename",
  "filepath",
  "extension",
  "filetype",
  "hostname",
  "username",
  "domain",
  "owner",
  "md5",
  "sha1",
  "sha256",
];

export const YARA_DEFINES = EXTERNALS.flatMap((e) => ["-d", `${e}=`]);

export function hasYara(): boolean {
  return existsSync("/usr/bin/yara") && existsSync("/usr/bin/yarac");
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs `jobs` with at most `width` at once, results in order. */
export async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

export function listRuleFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.yara?$/i.test(name)) files.push(p);
    }
  };
  walk(root);
  return files;
}

let yaraXReady = false;

function initYaraX(): void {
  if (yaraXReady) return;
  const wasm = readFileSync(
    new URL("../../node_modules/@virustotal/yara-x/pkg/yara_x_js_bg.wasm", import.meta.url),
  );
  initSync({ module: wasm });
  yaraXReady = true;
}

export type YaraXResult = { ok: true; rules: Rules } | { ok: false; error: string };

export function compileYaraX(source: string): YaraXResult {
  initYaraX();
  const compiler = new Compiler();
  for (const e of EXTERNALS) compiler.defineGlobal(e, "");
  try {
    compiler.addSource(source);
    return { ok: true, rules: compiler.build() };
  } catch (err) {
    return { ok: false, error: String(err).split("\n")[0] };
  } finally {
    compiler.free();
  }
}

export interface YaraXRule {
  identifier: string;
  isGlobal: boolean;
  isPrivate: boolean;
  tags: string[];
  metadata: { identifier: string; value: string | number | boolean | number[] }[];
}

export function scanYaraX(rules: Rules, data: Uint8Array): YaraXRule[] {
  const result = rules.scan(data) as { matches: YaraXRule[] };
  return result.matches;
}

/** A stored (uncompressed entries allowed) zip built by hand: enough for an OOXML sample. */
function zip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const body = deflateRawSync(data);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, body);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const SYSTEM_FILES = [
  "/usr/bin/ls",
  "/usr/bin/cat",
  "/usr/bin/gzip",
  "/usr/bin/tar",
  "/usr/bin/yara",
  "/usr/bin/env",
  "/usr/bin/zip",
  "/usr/bin/sort",
  "/usr/bin/grep",
  "/etc/passwd",
  "/etc/services",
];

const CLAMAV = "/usr/share/clamav-testfiles";

/** Writes the sample directory: system binaries, generated documents, clamav-testfiles. */
export function makeSamples(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, data: Buffer | string): void => writeFileSync(join(dir, name), data);
  for (const f of SYSTEM_FILES) if (existsSync(f)) put(f.replaceAll("/", "_"), readFileSync(f));
  put(
    "doc.pdf",
    "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert('x');) >> >> endobj\n" +
      "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n" +
      "trailer << /Root 1 0 R >>\n%%EOF\n",
  );
  put(
    "doc.docx",
    zip([
      {
        name: "[Content_Types].xml",
        data: Buffer.from(
          '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        ),
      },
      {
        name: "word/document.xml",
        data: Buffer.from(
          "<w:document><w:body><w:p><w:t>TOP SECRET//NOFORN</w:t></w:p></w:body></w:document>",
        ),
      },
      {
        name: "word/vbaProject.bin",
        data: Buffer.from("Attribute VB_Name AutoOpen Shell CreateObject"),
      },
    ]),
  );
  put("doc.rtf", "{\\rtf1\\ansi{\\object\\objemb{\\*\\objdata 0105000002000000}}TOP SECRET}\n");
  put(
    "markings.txt",
    "CLASSIFICATION: TOP SECRET//SI//NOFORN\nSECRET//REL TO USA, FVEY\nhttp://example.com/a.php?id=1 cmd.exe /c powershell -enc AAAA\n",
  );
  put("wide.txt", Buffer.from("TOP SECRET kernel32.dll VirtualAlloc", "utf16le"));
  put("empty.bin", "");
  if (existsSync(CLAMAV)) {
    for (const name of readdirSync(CLAMAV).sort()) {
      const p = join(CLAMAV, name);
      // a few dozen small samples: the large installers add scan time, not coverage
      if (statSync(p).isFile() && statSync(p).size < 300_000) put(`clam_${name}`, readFileSync(p));
    }
  }
  return readdirSync(dir).sort();
}
