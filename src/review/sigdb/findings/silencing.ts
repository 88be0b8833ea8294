/**
 * Silencing: additions that switch detection off, each named with what it silences.
 *
 * - `.ign`/`.ign2` entries: the named signature is not loaded (only the one whose line has the
 *   given MD5, for `name:md5`); ClamAV compares names after dropping `.UNOFFICIAL` and a `.{…}`
 *   suffix. High when it switches off a detection signature of this database or the previous one.
 * - `.fp`/`.sfp` entries: a file with that hash and size is never reported. High when a detection
 *   hash signature names that very file.
 * - `.crb` entries marked trusted: every file signed by that certificate is trusted.
 * - `.wdb` allow-list entries: a phishing allow list that matches any address is high.
 * - `.ftm` entries that classify files as CL_TYPE_IGNORED: those files are not scanned.
 * - `.cfg` changes that turn engine features off (parsers, unpackers, the bytecode engine…).
 * - A detection signature changed so that today's engines no longer load it (its maximum
 *   functionality level lowered, or made unloadable), or moved to a PUA file (`.ndu`, `.hdu`, …),
 *   which engines load only with PUA detection on.
 *
 * Without a previous database, every entry counts as added.
 */
import { createHash } from "node:crypto";
import { type Finding, makeFinding, type Severity } from "../../finding.js";
import { ignoreName } from "../counting.js";
import type { SignatureDatabase } from "../database.js";
import type { SigdbDiff } from "../diff.js";
import { CURRENT_FL } from "../formats/body.js";
import { locationOf, type Signature } from "../model.js";

const DETECTION = new Set(["hash", "body", "logical", "container", "icon", "yara", "bytecode"]);

function isDetection(s: Signature): boolean {
  return DETECTION.has(s.kind);
}

function md5(text: string): string {
  return createHash("md5").update(text, "latin1").digest("hex");
}

function where(s: Signature): string {
  return `${s.name} (${s.file}:${s.line})`;
}

/** Named engine features per configuration module (libclamav dconf.h). */
const FEATURES: Record<string, Record<number, string>> = {
  PE: {
    1: "Parite",
    2: "Kriz",
    4: "Magistr",
    8: "Polipos",
    16: "section hashes",
    32: "UPX",
    64: "FSG",
    128: "Swizzor",
    256: "Petite",
    512: "PESpin",
    1024: "yC",
    2048: "WWPack",
    4096: "NsPack",
    8192: "MEW",
    16384: "Upack",
    32768: "ASPack",
    65536: "catalog files",
    131072: "Authenticode certificates",
    262144: "icon matching",
    524288: "import tables",
  },
  ELF: { 1: "ELF parsing" },
  MACHO: { 1: "Mach-O parsing" },
  ARCHIVE: {
    1: "RAR",
    2: "ZIP",
    4: "gzip",
    8: "bzip2",
    16: "SZDD",
    32: "CAB",
    64: "CHM",
    128: "OLE2",
    256: "tar",
    512: "BinHex",
    1024: "SIS",
    2048: "NSIS",
    4096: "ARJ",
    8192: "AutoIt",
    16384: "cpio",
    32768: "InstallShield",
    65536: "7-Zip",
    131072: "ISO 9660",
    262144: "DMG",
    524288: "XAR",
    1048576: "HFS+",
    2097152: "XZ",
    4194304: "encrypted archives",
    8388608: "MBR",
    16777216: "GPT",
    33554432: "APM",
    67108864: "EGG",
  },
  DOCUMENT: {
    1: "HTML",
    2: "RTF",
    4: "PDF",
    8: "scripts",
    32: "JavaScript normalisation",
    64: "Flash",
    128: "MS XML",
    256: "OOXML",
    512: "HWP",
  },
  MAIL: { 1: "mbox", 2: "TNEF" },
  OTHER: {
    1: "uuencode",
    2: "script encoder",
    4: "RIFF",
    8: "JPEG",
    16: "CryptFF",
    32: "data loss prevention",
    256: "PDF name objects",
    512: "partition intersection",
    1024: "LZW",
  },
  PHISHING: { 1: "phishing engine" },
  BYTECODE: { 1: "bytecode interpreter", 2: "JIT (x86)", 4: "JIT (PPC)", 8: "JIT (ARM)" },
  PCRE: { 1: "PCRE subsignatures", 2: "PCRE options", 4: "PCRE global matching" },
};

/** Bits whose being set turns scanning off. */
const INVERSE: Record<string, Record<number, string>> = {
  DOCUMENT: { 16: "skipping raw HTML" },
};

function configOf(db: SignatureDatabase | undefined): Map<string, { value: number; s: Signature }> {
  const out = new Map<string, { value: number; s: Signature }>();
  for (const s of db?.signatures ?? [])
    if (s.kind === "config") out.set(s.module, { value: s.value, s });
  return out;
}

function configFindings(
  next: SignatureDatabase,
  previous: SignatureDatabase | undefined,
): Finding[] {
  const out: Finding[] = [];
  const before = configOf(previous);
  for (const [module, { value, s }] of configOf(next)) {
    const named = FEATURES[module] ?? {};
    const old = before.get(module)?.value;
    // Without an earlier setting, ClamAV's defaults have every named feature on.
    const baseline = old ?? Object.keys(named).reduce((acc, k) => acc | Number(k), 0);
    const off: string[] = [];
    for (const [bit, feature] of Object.entries(named)) {
      if (baseline & Number(bit) && !(value & Number(bit))) off.push(feature);
    }
    for (const [bit, what] of Object.entries(INVERSE[module] ?? {})) {
      if (!(baseline & Number(bit)) && value & Number(bit)) off.push(what);
    }
    if (module === "STATS" && baseline & 0x1 && !(value & 0x1)) {
      out.push(
        makeFinding(
          "silencing",
          "medium",
          `${s.file}:STATS`,
          locationOf(s),
          "The configuration turns engine statistics collection on (STATS no longer disabled); check what is collected and where it goes.",
          [s.text, ...(old !== undefined ? [`previously 0x${old.toString(16)}`] : [])],
        ),
      );
    }
    if (off.length === 0) continue;
    out.push(
      makeFinding(
        "silencing",
        old !== undefined ? "high" : "medium",
        `${s.file}:${module}`,
        locationOf(s),
        `The engine configuration switches off ${module} features: ${off.join(", ")}; files that need them are no longer fully scanned${old === undefined ? " (compared with ClamAV's defaults: there is no previous configuration)" : ""}.`,
        [
          `${s.text}`,
          old !== undefined
            ? `previously ${module}:0x${old.toString(16)}`
            : "previously: defaults (all on)",
        ],
      ),
    );
  }
  return out;
}

export function silencing(
  next: SignatureDatabase,
  previous: SignatureDatabase | undefined,
  diff: SigdbDiff | undefined,
): Finding[] {
  const out: Finding[] = [];
  const before = new Set<string>();
  for (const s of previous?.signatures ?? []) {
    if (!DETECTION.has(s.kind)) before.add(`${s.file}\0${s.text}`);
  }
  const isNew = (s: Signature) => !before.has(`${s.file}\0${s.text}`);

  // Detection signatures on both sides that new ignore or allow entries name: by normalised
  // name and by file hash. Only the names and hashes asked about are kept (a database holds
  // millions of signatures, an update a handful of such entries).
  const wantNames = new Set<string>();
  const wantHashes = new Set<string>();
  for (const s of next.signatures) {
    if (s.kind === "ignore" && isNew(s)) wantNames.add(s.ignored);
    else if (s.kind === "allow" && isNew(s)) wantHashes.add(s.hash);
  }
  const byName = new Map<string, Signature[]>();
  const byHash = new Map<string, Signature[]>();
  const index = (s: Signature) => {
    if (!isDetection(s)) return;
    if (wantNames.size > 0) {
      const n = ignoreName(s.name);
      if (wantNames.has(n)) {
        let list = byName.get(n);
        if (!list) {
          list = [];
          byName.set(n, list);
        }
        list.push(s);
      }
    }
    if (
      wantHashes.size > 0 &&
      s.kind === "hash" &&
      s.purpose === "file" &&
      wantHashes.has(s.hash)
    ) {
      let h = byHash.get(s.hash);
      if (!h) {
        h = [];
        byHash.set(s.hash, h);
      }
      h.push(s);
    }
  };
  if (wantNames.size > 0 || wantHashes.size > 0) {
    for (const s of next.signatures) index(s);
    for (const s of previous?.signatures ?? []) index(s);
  }
  const push = (s: Signature, severity: Severity, message: string, evidence: string[]) =>
    out.push(
      makeFinding("silencing", severity, `${s.file}:${s.name}`, locationOf(s), message, evidence),
    );

  for (const s of next.signatures) {
    if (DETECTION.has(s.kind) || !isNew(s)) continue;
    if (s.kind === "ignore") {
      const candidates = (byName.get(s.ignored) ?? []).filter(
        (c) => s.lineMd5 === undefined || md5(c.kind === "yara" ? c.name : c.text) === s.lineMd5,
      );
      const unique = [
        ...new Map(candidates.map((c) => [`${c.file}:${c.line}:${c.name}`, c])).values(),
      ];
      if (unique.length > 0) {
        push(
          s,
          "high",
          `The ignore list switches off ${unique.length === 1 ? "the detection" : `${unique.length} detections`} ${unique.map(where).join(", ")}${s.lineMd5 ? " (exactly that line, by its MD5)" : ""}: files it would report are no longer reported.`,
          [
            s.text,
            ...unique.map(
              (c) => `silences ${where(c)}: ${c.kind === "yara" ? "YARA rule" : c.text}`,
            ),
          ],
        );
      } else {
        push(
          s,
          "medium",
          `The ignore list switches off the signature ${s.ignored}, which neither this database nor the previous one holds${s.lineMd5 ? " with that line MD5" : ""}: it may silence a signature of another database, or one to come.`,
          [s.text],
        );
      }
    } else if (s.kind === "allow") {
      const matches = [
        ...new Map(
          (byHash.get(s.hash) ?? [])
            .filter(
              (c) =>
                c.kind === "hash" &&
                (c.size === undefined || s.size === undefined || c.size === s.size),
            )
            .map((c) => [`${c.file}:${c.line}:${c.text}`, c]),
        ).values(),
      ];
      const sizeText = s.size === undefined ? "any size" : `${s.size} bytes`;
      if (matches.length > 0) {
        push(
          s,
          "high",
          `The allow list exempts the file ${s.hash} (${sizeText}), which ${matches.map(where).join(", ")} detect${matches.length === 1 ? "s" : ""}: that detection is switched off.`,
          [s.text, ...matches.map((c) => `silences ${where(c)}: ${c.text}`)],
        );
      } else {
        push(
          s,
          "medium",
          `The allow list exempts the file ${s.hash} (${sizeText}) from every signature; no signature here names it, so check it is a false positive fix.`,
          [s.text],
        );
      }
    } else if (s.kind === "certificate" && s.trusted) {
      push(
        s,
        "high",
        `The certificate list trusts ${s.name} (subject ${s.subject}): files signed with it are treated as clean, whatever signature matches them.`,
        [s.text],
      );
    } else if (s.kind === "phishing" && s.list === "wdb") {
      // X:real:displayed — scoped when either side names a site (ClamAV's own allow a link
      // anywhere that displays one exact site).
      const [real = "", displayed = ""] = s.pattern.split(":");
      const domain = allowedDomain(real) ?? allowedDomain(displayed);
      push(
        s,
        domain === undefined ? "high" : "low",
        domain === undefined
          ? `The phishing allow list entry ${s.name} names no particular site: it allows links to any address of a whole top-level domain or more, switching phishing detection off for them.`
          : `The phishing allow list adds links to ${domain}: they are no longer checked for phishing.`,
        [s.text],
      );
    } else if (s.kind === "filetype" && s.detectedType === "CL_TYPE_IGNORED") {
      push(
        s,
        "high",
        `The file type list classifies files starting with ${s.pattern?.source ?? "its magic"} (at ${s.offset}) as ignored: ClamAV no longer scans them.`,
        [s.text],
      );
    }
  }

  out.push(...configFindings(next, previous));
  if (diff && previous) out.push(...weakened(diff, next, previous));
  return out;
}

/**
 * The site one side of a `.wdb` allow-list entry is about, or undefined when it names none:
 * after dropping a scheme, a leading "any host" (`.+\.`) and the path part, a specific entry still
 * has a literal label followed by more of the name (`commerzbank.com`, `amazon.(de|fr)`);
 * `.+\.com` or `.+\.(com|org)` name only top-level domains.
 */
function allowedDomain(part: string): string | undefined {
  const host = part
    .replace(/\(\[\/\?\]\.\*\)\??$/, "")
    .replace(/^htt(?:p|\[p\]|ps|\[ps\])[^/]*\/\//, "")
    .replace(/^\.[+*](?:\\\.)?/, "")
    .replace(/\\\./g, ".");
  const m = /(?:^|\.)([A-Za-z0-9-]+)\.(\S+)$/.exec(host);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

const PUA_OF: Record<string, string> = {
  ndb: "ndu",
  ldb: "ldu",
  hdb: "hdu",
  hsb: "hsu",
  mdb: "mdu",
  msb: "msu",
};

function loadsToday(s: Signature): boolean {
  return (
    !s.skipped &&
    (s.maxFl === undefined || s.maxFl >= CURRENT_FL) &&
    (s.minFl === undefined || s.minFl <= CURRENT_FL)
  );
}

/** Detections changed to not load any more, or moved to a PUA file. */
function weakened(
  diff: SigdbDiff,
  next: SignatureDatabase,
  previous: SignatureDatabase,
): Finding[] {
  const out: Finding[] = [];
  if (diff.changed.length > 0) {
    // Changed names by file: looked up without building a key per signature.
    const changed = new Map<string, Set<string>>();
    for (const c of diff.changed) {
      let names = changed.get(c.file);
      if (!names) {
        names = new Set();
        changed.set(c.file, names);
      }
      names.add(c.name);
    }
    const oldLoads = new Map<string, Signature>();
    for (const s of previous.signatures) {
      if (changed.get(s.file)?.has(s.name) && isDetection(s) && loadsToday(s)) {
        oldLoads.set(`${s.file}\0${s.name}`, s);
      }
    }
    for (const s of next.signatures) {
      if (!changed.get(s.file)?.has(s.name)) continue;
      const old = oldLoads.get(`${s.file}\0${s.name}`);
      if (!old || loadsToday(s)) continue;
      out.push(
        makeFinding(
          "silencing",
          "high",
          `${s.file}:${s.name}`,
          locationOf(s),
          `The detection ${s.name} was changed so that today's engines (functionality level ${CURRENT_FL}) no longer load it${s.skipped ? `: ${s.skipped}` : ` (levels ${s.minFl ?? 0}–${s.maxFl ?? "any"})`}.`,
          [`before: ${old.text}`, `after: ${s.text}`],
        ),
      );
    }
  }
  if (diff.removed.length > 0 && diff.added.length > 0) {
    const added = new Map(diff.added.map((a) => [`${a.file}\0${a.name}`, a]));
    let at: Map<string, Signature> | undefined;
    for (const r of diff.removed) {
      const dot = r.file.lastIndexOf(".");
      const pua = PUA_OF[r.file.slice(dot + 1).toLowerCase()];
      if (!pua || !DETECTION.has(r.kind)) continue;
      const moved = added.get(`${r.file.slice(0, dot + 1)}${pua}\0${r.name}`);
      if (!moved) continue;
      at ??= new Map(next.signatures.map((x) => [`${x.file}:${x.line}`, x]));
      const s = at.get(`${moved.file}:${moved.line}`);
      if (!s) continue;
      out.push(
        makeFinding(
          "silencing",
          "medium",
          `${s.file}:${s.name}`,
          locationOf(s),
          `The detection ${s.name} moved from ${r.file} to ${s.file}, the potentially-unwanted-application variant, which engines load only when PUA detection is on (it is off by default).`,
          [`before: ${r.file}:${r.line}: ${r.text}`, `after: ${s.file}:${s.line}: ${s.text}`],
        ),
      );
    }
  }
  return out;
}
