/**
 * The rule review benchmark (issue 6, "Must show"): rules per second for parse + analysis over the
 * whole YARA corpus, and in the same run the rules per second Debian's `yarac` 4.2 compiles.
 *
 *   npm run bench:rules -- [--corpus ../shared/corpora/yara] [--rounds 5]
 *
 * Ours: each rule set of the corpus (a top folder) is read into memory once, outside the timing;
 * a round then parses every rule file of every set (`parsePack`: includes resolved inside the
 * pack, index files of only `include`s not parsed twice, each rule counted once) and runs
 * `analyzeRules` over the result, as `crosscheck review rules` does. Files the parser refuses
 * still cost their time and add no rules.
 *
 * yarac: first, each rule file is compiled on its own (one process per file, untimed) to find the
 * files that compile; index files are left out, as ours skips them. A round is then ONE `yarac`
 * process over all of those files, each in its own namespace (`ns<i>:file`, so equal names in
 * different files do not clash), writing the compiled rules to a temporary file: its wall-clock
 * time, process start and file reads included. Its rules are the rules our parser finds in those
 * same files. External variables the product defines are passed with `-d name=""`.
 *
 * Each figure is the median of `--rounds` rounds, ours and yarac interleaved round by round, so a
 * loaded machine slows both alike. ratio = our rules/s ÷ yarac's rules/s.
 *
 * stdout carries one JSON object per line, nothing else; progress goes to stderr.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { analyzeRules } from "../src/review/rules/findings/index.js";
import { DEFAULT_EXTERNALS } from "../src/review/rules/index.js";
import { type PackMember, parsePack, readPackMembers } from "../src/review/rules/pack.js";
import { emit, median, progress, round1 } from "./output.js";

interface Options {
  corpus: string;
  rounds: number;
}

function options(argv: string[]): Options {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const opts: Options = {
    // dist/bench/ → the repository → ../shared
    corpus: resolve(here, "../../../shared/corpora/yara"),
    rounds: 5,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--corpus" && value) opts.corpus = resolve(value);
    else if (arg === "--rounds" && value) opts.rounds = Math.max(1, Number.parseInt(value, 10));
    else continue;
    i++;
  }
  return opts;
}

interface RuleSet {
  name: string;
  root: string;
  members: PackMember[];
}

function ourRound(sets: readonly RuleSet[]): {
  ms: number;
  rules: number;
  files: number;
  refused: number;
} {
  let rules = 0;
  let files = 0;
  let refused = 0;
  const t0 = performance.now();
  for (const set of sets) {
    const pack = parsePack(set.members, { name: set.name });
    analyzeRules(pack.ruleFiles, { sources: pack.sources });
    rules += pack.rules.length;
    files += pack.files.length + pack.indexes.length;
    refused += new Set(pack.errors.map((e) => e.file)).size;
  }
  return { ms: performance.now() - t0, rules, files, refused };
}

const YARAC_DEFINES = DEFAULT_EXTERNALS.flatMap((name) => ["-d", `${name}=`]);

function yaracCompiles(files: readonly string[], out: string): boolean {
  const r = spawnSync("yarac", [...YARAC_DEFINES, ...files, out], { stdio: "ignore" });
  return r.status === 0;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (!existsSync(opts.corpus)) {
    throw new Error(`No YARA corpus at ${opts.corpus}; pass --corpus DIR.`);
  }
  const version = spawnSync("yarac", ["--version"], { encoding: "utf8" });
  if (version.status !== 0) throw new Error("yarac is not installed (Debian package yara).");

  const sets: RuleSet[] = readdirSync(opts.corpus)
    .filter((name) => statSync(join(opts.corpus, name)).isDirectory())
    .sort()
    .map((name) => {
      const root = join(opts.corpus, name);
      return { name, root, members: readPackMembers(root) };
    });
  progress(
    `corpus ${opts.corpus}: ${sets.map((s) => `${s.name} (${s.members.length} files)`).join(", ")}`,
  );

  // Which rule files yarac compiles, each on its own (untimed), and how many rules those hold.
  const tmp = mkdtempSync(join(tmpdir(), "bench-rules-"));
  const compiled = join(tmp, "compiled.yarc");
  const compiling: string[] = [];
  let yaracRules = 0;
  let yaracRefused = 0;
  try {
    for (const set of sets) {
      const pack = parsePack(set.members, { name: set.name });
      const ok = new Set<string>();
      for (const file of pack.files) {
        if (yaracCompiles([join(set.root, file)], compiled)) {
          ok.add(file);
          compiling.push(join(set.root, file));
        } else yaracRefused++;
      }
      yaracRules += pack.rules.filter((r) => ok.has(r.loc.file)).length;
      progress(
        `${set.name}: yarac compiles ${ok.size} of ${pack.files.length} rule files (index files left out)`,
      );
    }
    const namespaced = compiling.map((file, i) => `ns${i}:${file}`);
    if (!yaracCompiles(namespaced, compiled)) {
      throw new Error("yarac refused the files it compiled one by one, taken together");
    }

    // Warm-up, then interleaved rounds.
    ourRound(sets);
    const ours: { ms: number; rules: number; files: number; refused: number }[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const o = ourRound(sets);
      ours.push(o);
      const t0 = performance.now();
      if (!yaracCompiles(namespaced, compiled))
        throw new Error("yarac failed during the benchmark");
      theirs.push(performance.now() - t0);
      progress(
        `round ${round + 1}/${opts.rounds}: ours ${o.ms.toFixed(0)} ms for ${o.rules} rules; yarac ${theirs[round]?.toFixed(0)} ms for ${yaracRules} rules`,
      );
    }
    const first = ours[0] as { rules: number; files: number; refused: number };
    const ourMs = median(ours.map((o) => o.ms));
    const yaracMs = median(theirs);
    const ourRate = first.rules / (ourMs / 1000);
    const yaracRate = yaracRules / (yaracMs / 1000);
    emit({
      bench: "rules.parse_analyze",
      value: Math.round(ourRate),
      unit: "rules/s",
      rules: first.rules,
      files: first.files,
      files_refused: first.refused,
      ms: round1(ourMs),
      rounds: opts.rounds,
    });
    emit({
      bench: "rules.parse_analyze.files",
      value: Math.round(first.files / (ourMs / 1000)),
      unit: "files/s",
    });
    emit({
      bench: "rules.yarac",
      value: Math.round(yaracRate),
      unit: "rules/s",
      rules: yaracRules,
      files: compiling.length,
      files_refused: yaracRefused,
      ms: round1(yaracMs),
      version: version.stdout.trim(),
      how: "one yarac process over every file that compiles, one namespace per file, wall clock",
    });
    emit({
      bench: "rules.parse_analyze",
      value: Math.round(ourRate),
      unit: "rules/s",
      vs: "yarac",
      ratio: Math.round((ourRate / yaracRate) * 100) / 100,
      target: 10_000,
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:rules failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
