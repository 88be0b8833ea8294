/**
 * The signature database review benchmark (issue 9, "Must show"): signatures per second for
 * parse + diff + analysis of a generated database of 1,000,000 signatures, and in the same run the
 * time Debian's `sigtool --list-sigs` takes to list the same database, as a ratio.
 *
 *   npm run bench:sigdb -- [--signatures 1000000] [--rounds 3] [--seed 9]
 *
 * The database is a folder of ClamAV signature files (what `sigtool --unpack` leaves), generated
 * from a seed: MD5 and SHA-256 file hashes, PE section hashes, body signatures with wildcards,
 * jumps and alternatives, logical signatures with several subsignatures and some regexes, container
 * metadata, and a few allow-list and ignore entries. A second version changes 1% of it (added,
 * removed, changed signatures) and is the one reviewed.
 *
 * Ours, per round: read and parse the new version's folder (`readDatabase`), diff it against the
 * old version (parsed once before the rounds, as the previous release is in the pipeline), and run
 * every finding (`analyzeDatabase`). sigtool, per round: one `sigtool --list-sigs=<folder>`
 * process, its output discarded, wall clock (process start and file reads included). Rounds are
 * interleaved, the figures are medians. ratio = our signatures/s ÷ sigtool's signatures/s; sigtool
 * only splits lines and prints names, so a ratio near 1 means we read, diff and judge every
 * signature about as fast as ClamAV's own tool lists them.
 *
 * stdout carries one JSON object per line, nothing else; progress goes to stderr.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { readDatabase } from "../src/review/sigdb/database.js";
import { diffDatabases } from "../src/review/sigdb/diff.js";
import { analyzeDatabase } from "../src/review/sigdb/findings/index.js";
import { emit, median, progress, round1 } from "./output.js";

interface Options {
  signatures: number;
  rounds: number;
  seed: number;
}

function options(argv: string[]): Options {
  const opts: Options = { signatures: 1_000_000, rounds: 3, seed: 9 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (!value) continue;
    if (argv[i] === "--signatures") opts.signatures = Math.max(1000, Number.parseInt(value, 10));
    else if (argv[i] === "--rounds") opts.rounds = Math.max(1, Number.parseInt(value, 10));
    else if (argv[i] === "--seed") opts.seed = Number.parseInt(value, 10);
    else continue;
    i++;
  }
  return opts;
}

/** xorshift32: the same database for the same seed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const HEX = "0123456789abcdef";
const WORDS = [
  "CreateRemoteThread",
  "VirtualAllocEx",
  "WriteProcessMemory",
  "LoadLibraryA",
  "GetProcAddress",
  "URLDownloadToFileA",
  "WScript.Shell",
  "powershell -enc",
  "cmd.exe /c",
  "AutoOpen",
  "Document_Open",
  "/JavaScript",
  "/OpenAction",
  "eval(unescape(",
  "This program cannot be run",
  "Invoke-Expression",
  "ShellExecuteA",
  "RegSetValueExA",
  "InternetOpenUrlA",
  "bitsadmin /transfer",
];

type Family = "hdb" | "hsb" | "mdb" | "ndb" | "ldb" | "cdb";
/** Share of each family in a ClamAV daily/main database, roughly. */
const MIX: [Family, number][] = [
  ["hdb", 0.42],
  ["hsb", 0.12],
  ["mdb", 0.06],
  ["ndb", 0.3],
  ["ldb", 0.09],
  ["cdb", 0.01],
];

function generator(seed: number) {
  const r = random(seed);
  const hex = (bytes: number) => {
    let s = "";
    for (let i = 0; i < bytes; i++) {
      const v = r();
      s += (HEX[v & 15] as string) + (HEX[(v >>> 4) & 15] as string);
    }
    return s;
  };
  const word = () => Buffer.from(WORDS[r() % WORDS.length] as string).toString("hex");
  const body = () => {
    const shape = r() % 6;
    if (shape === 0) return `${word()}{-${16 + (r() % 200)}}${word()}`;
    if (shape === 1) return `${hex(6)}??${hex(4)}(${hex(1)}|${hex(1)}|${hex(1)})${hex(8)}`;
    if (shape === 2) return `${hex(10)}*${hex(12)}`;
    if (shape === 3) return `${hex(8)}{${2 + (r() % 20)}-${24 + (r() % 40)}}${hex(10)}`;
    return hex(16 + (r() % 48));
  };
  let n = 0;
  return (family: Family): string => {
    const id = `${++n}-${r() % 100}`;
    switch (family) {
      case "hdb":
        return `${hex(16)}:${1000 + (r() % 5_000_000)}:Win.Trojan.Agent-${id}`;
      case "hsb":
        return `${hex(32)}:${1000 + (r() % 5_000_000)}:Win.Malware.Gen-${id}`;
      case "mdb":
        return `${4096 * (1 + (r() % 64))}:${hex(16)}:Win.Packed.Section-${id}`;
      case "ndb": {
        const target = [0, 1, 1, 1, 2, 3, 6, 7, 10][r() % 9] as number;
        const offset =
          target === 1 && r() % 3 === 0
            ? `EP+${r() % 256}`
            : r() % 4 === 0
              ? String(r() % 4096)
              : "*";
        return `${["Win.Trojan", "Doc.Dropper", "Html.Phishing", "Unix.Trojan", "Js.Downloader"][r() % 5]}.Body-${id}:${target}:${offset}:${body()}`;
      }
      case "ldb": {
        const subs = 2 + (r() % 4);
        const parts: string[] = [];
        for (let i = 0; i < subs; i++) {
          if (i === subs - 1 && r() % 5 === 0)
            parts.push(
              `0/${["eval\\(\\w{1,20}\\)", "https?://[a-z0-9.]{4,40}/gate\\.php", "(?i)powershell\\s+-e"][r() % 3]}/`,
            );
          else parts.push(r() % 4 === 0 ? `${word()}::i` : body());
        }
        const logic = Array.from({ length: subs }, (_, i) => i).join(r() % 2 ? "&" : "|");
        return `Win.Trojan.Logical-${id};Engine:81-255,Target:${[0, 1, 2, 10][r() % 4]};${logic};${parts.join(";")}`;
      }
      case "cdb":
        return `Win.Trojan.Zip-${id}:CL_TYPE_ZIP:*:${["invoice", "scan", "payment", "order"][r() % 4]}[0-9]{${1 + (r() % 4)}}\\.(exe|js|vbs):*:*:*:*:*:*`;
    }
  };
}

/** Writes version 1 and version 2 (1% changed) of a database of `total` signatures. */
function generate(
  root: string,
  total: number,
  seed: number,
): { old: string; next: string; signatures: number } {
  const make = generator(seed);
  const files = new Map<Family, string[]>();
  for (const [family, share] of MIX) {
    const lines: string[] = [];
    const count = Math.round(total * share);
    for (let i = 0; i < count; i++) lines.push(make(family));
    files.set(family, lines);
  }
  const old = join(root, "v1");
  const next = join(root, "v2");
  mkdirSync(old);
  mkdirSync(next);
  const r = random(seed ^ 0x5eed);
  let signatures = 0;
  for (const [family, lines] of files) {
    writeFileSync(join(old, `main.${family}`), `${lines.join("\n")}\n`);
    // 1% of the file changes between versions: a third removed, a third changed, a third added.
    const changed = lines.slice();
    const k = Math.max(3, Math.floor(lines.length / 100));
    for (let i = 0; i < k / 3; i++) changed.splice(r() % changed.length, 1);
    for (let i = 0; i < k / 3; i++) {
      const at = r() % changed.length;
      const line = changed[at] as string;
      changed[at] = line.replace(/[0-9a-f](?=[^:;]*$)/, (d) =>
        ((Number.parseInt(d, 16) + 1) % 16).toString(16),
      );
    }
    for (let i = 0; i < k / 3; i++) changed.push(make(family));
    signatures += changed.length;
    writeFileSync(join(next, `main.${family}`), `${changed.join("\n")}\n`);
  }
  // A few allow-list and ignore entries, as a real update carries.
  const allow = `${Array.from({ length: 50 }, (_, i) => `${i.toString(16).padStart(32, "0")}:${1000 + i}:FP.Fix-${i}`).join("\n")}\n`;
  writeFileSync(join(old, "main.fp"), allow);
  writeFileSync(join(next, "main.fp"), allow);
  writeFileSync(join(next, "main.ign2"), "Win.Trojan.Agent-1-0\n");
  return { old, next, signatures: signatures + 51 };
}

function sigtoolList(folder: string): { ms: number; names: number } {
  const t0 = performance.now();
  const r = spawnSync("sigtool", [`--list-sigs=${folder}`], { maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`sigtool --list-sigs failed: ${r.stderr}`);
  let names = 0;
  for (const b of r.stdout) if (b === 10) names++;
  return { ms, names };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const version = spawnSync("sigtool", ["--version"], { encoding: "utf8" });
  if (version.status !== 0) throw new Error("sigtool is not installed (Debian package clamav).");
  const root = mkdtempSync(join(tmpdir(), "bench-sigdb-"));
  try {
    progress(`generating ${opts.signatures} signatures (seed ${opts.seed}) in ${root}…`);
    const gen = generate(root, opts.signatures, opts.seed);
    const old = readDatabase(gen.old);
    progress(`previous version parsed: ${old.signatures.length} signatures`);

    const round = () => {
      const t0 = performance.now();
      const db = readDatabase(gen.next);
      const t1 = performance.now();
      const diff = diffDatabases(old, db);
      const t2 = performance.now();
      const findings = analyzeDatabase(db, { previous: old, diff });
      const t3 = performance.now();
      return {
        parseMs: t1 - t0,
        diffMs: t2 - t1,
        analysisMs: t3 - t2,
        total: t3 - t0,
        db,
        diff,
        findings,
      };
    };
    round(); // warm-up
    const ours: ReturnType<typeof round>[] = [];
    const theirs: { ms: number; names: number }[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      const o = round();
      ours.push(o);
      const t = sigtoolList(gen.next);
      theirs.push(t);
      progress(
        `round ${i + 1}/${opts.rounds}: ours ${o.total.toFixed(0)} ms (parse ${o.parseMs.toFixed(0)}, diff ${o.diffMs.toFixed(0)}, analysis ${o.analysisMs.toFixed(0)}) for ${o.db.signatures.length} signatures, ${o.findings.length} findings; sigtool --list-sigs ${t.ms.toFixed(0)} ms for ${t.names} names`,
      );
    }
    const last = ours[ours.length - 1] as ReturnType<typeof round>;
    const by = new Map<string, number>();
    for (const f of last.findings)
      by.set(`${f.category}/${f.severity}`, (by.get(`${f.category}/${f.severity}`) ?? 0) + 1);
    progress(
      `findings: ${[...by]
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
    const n = last.db.signatures.length;
    const ms = median(ours.map((o) => o.total));
    const sigtoolMs = median(theirs.map((t) => t.ms));
    const ourRate = n / (ms / 1000);
    const sigtoolRate = n / (sigtoolMs / 1000);
    const rate = (x: number) => Math.round(n / (x / 1000));
    emit({
      bench: "sigdb.parse",
      value: rate(median(ours.map((o) => o.parseMs))),
      unit: "signatures/s",
      signatures: n,
    });
    emit({
      bench: "sigdb.diff",
      value: rate(median(ours.map((o) => o.diffMs))),
      unit: "signatures/s",
      signatures: n,
    });
    emit({
      bench: "sigdb.analysis",
      value: rate(median(ours.map((o) => o.analysisMs))),
      unit: "signatures/s",
      signatures: n,
    });
    emit({
      bench: "sigdb.sigtool_list_sigs",
      value: Math.round(sigtoolRate),
      unit: "signatures/s",
      ms: round1(sigtoolMs),
      names_listed: (theirs[0] as { names: number }).names,
      version: version.stdout.trim(),
    });
    emit({
      bench: "sigdb.parse_diff_analyze",
      value: Math.round(ourRate),
      unit: "signatures/s",
      signatures: n,
      ms: round1(ms),
      added: last.diff.added.length,
      removed: last.diff.removed.length,
      changed: last.diff.changed.length,
      findings: last.findings.length,
      rounds: opts.rounds,
      vs: "sigtool --list-sigs",
      sigtool_ms: round1(sigtoolMs),
      ratio: Math.round((ourRate / sigtoolRate) * 100) / 100,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:sigdb failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
