/**
 * Our YARA parser against the two oracles over ../shared/corpora/yara (read in place):
 * (1) every file yara 4.2 or YARA-X compiles parses, files both reject are rejected;
 * (2) rule names, tags, flags and typed metadata equal YARA-X's;
 * (3) re-printed rules compile and match exactly the same sample files as the originals.
 * Every divergence is listed with its cause in test/fixtures/yara-divergences.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRules, printRules, type RuleFile } from "../src/review/index.js";
import {
  compileYaraX,
  EXTERNALS,
  hasYara,
  listRuleFiles,
  makeSamples,
  pool,
  run,
  scanYaraX,
  YARA_DEFINES,
} from "./support/yara-oracles.js";

const ROOT = fileURLToPath(new URL("../../shared/corpora/yara/", import.meta.url));
const DIVERGENCES: Record<string, string> = JSON.parse(
  readFileSync(new URL("./fixtures/yara-divergences.json", import.meta.url), "utf8"),
);

interface Entry {
  path: string;
  rel: string;
  source: string;
  yara: boolean;
  yaraError: string;
  yaraX: boolean;
  yaraXError: string;
  parsed: RuleFile | undefined;
  ourError: string;
}

const available = hasYara();
if (!available && process.env.CI === "true") {
  throw new Error("yara 4.2 is required for the corpus test under CI (apt-get install yara)");
}

function readInclude(path: string, from: string): string | undefined {
  try {
    return readFileSync(join(dirname(from), path), "utf8");
  } catch {
    return undefined;
  }
}

describe.skipIf(!available)("YARA corpus against yara 4.2 and YARA-X", () => {
  const entries: Entry[] = [];
  let work = "";
  let parseMs = 0;
  let ruleCount = 0;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "crosscheck-yara-"));
    const files = listRuleFiles(ROOT);
    const yara = await pool(
      files.map((f) => () => run("yarac", [...YARA_DEFINES, f, "/dev/null"])),
      2,
    );
    const t0 = performance.now();
    for (let i = 0; i < files.length; i++) {
      const source = readFileSync(files[i], "utf8");
      let parsed: RuleFile | undefined;
      let ourError = "";
      try {
        parsed = parseRules(source, { file: files[i], externals: EXTERNALS, include: readInclude });
        ruleCount += parsed.rules.length;
      } catch (err) {
        ourError = (err as Error).message;
      }
      entries.push({
        path: files[i],
        rel: relative(ROOT, files[i]),
        source,
        yara: yara[i].code === 0,
        yaraError: yara[i].stderr.split("\n").find((l) => l.startsWith("error")) ?? "",
        yaraX: false,
        yaraXError: "",
        parsed,
        ourError,
      });
    }
    parseMs = performance.now() - t0;
    // YARA-X's verdict on the files yara refuses; the others are compiled in the metadata test.
    for (const e of entries) {
      if (e.yara) continue;
      const x = compileYaraX(e.source);
      e.yaraX = x.ok;
      if (x.ok) x.rules.free();
      else e.yaraXError = x.error;
    }
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("parses every file an oracle compiles and rejects, with a reason, those both reject", () => {
    const wrong: string[] = [];
    for (const e of entries) {
      if (DIVERGENCES[e.rel]) continue;
      if ((e.yara || e.yaraX) && !e.parsed) wrong.push(`${e.rel}: we reject: ${e.ourError}`);
      if (!e.yara && !e.yaraX && e.parsed)
        wrong.push(`${e.rel}: both oracles reject: ${e.yaraError}`);
      if (!e.parsed) expect(e.ourError).toMatch(/:\d+:\d+: \S/);
    }
    expect(wrong).toEqual([]);
    expect(entries.length).toBeGreaterThan(800);
    console.log(
      `yara corpus: ${entries.length} files, ${entries.filter((e) => e.parsed).length} parsed, ` +
        `${ruleCount} rules in ${parseMs.toFixed(0)} ms (${Math.round((ruleCount / parseMs) * 1000)} rules/s)`,
    );
  });

  it("reads the same rule names, tags, flags and typed metadata as YARA-X", async () => {
    const wrong: string[] = [];
    let compared = 0;
    for (const e of entries) {
      if ((!e.yara && !e.yaraX) || !e.parsed || DIVERGENCES[e.rel]) continue;
      // Let the worker breathe between compiles: a minute of synchronous work starves Vitest's
      // own messages to the worker (an "onTaskUpdate" timeout fails the run).
      await new Promise((resolve) => setImmediate(resolve));
      // Decision 22: every rule true (its strings still referenced), then scan nothing.
      let src = e.source;
      for (const r of [...e.parsed.rules].reverse()) {
        const c = r.condition.loc;
        src = `${src.slice(0, c.offset)}${r.strings.length ? "true or any of them" : "true"}${src.slice(c.end)}`;
      }
      const x = compileYaraX(src);
      if (!x.ok) {
        const original = compileYaraX(e.source);
        if (original.ok) {
          original.rules.free();
          wrong.push(`${e.rel}: rewritten file does not compile: ${x.error}`);
        }
        continue; // YARA-X refuses the file itself (yara 4.2 accepts it)
      }
      compared++;
      const theirs = scanYaraX(x.rules, new Uint8Array()).map((m) => ({
        name: m.identifier,
        tags: m.tags,
        isPrivate: m.isPrivate,
        isGlobal: m.isGlobal,
        meta: m.metadata.map((d) => [
          d.identifier,
          Array.isArray(d.value) ? new TextDecoder().decode(new Uint8Array(d.value)) : d.value,
        ]),
      }));
      x.rules.free();
      const ours = e.parsed.rules.map((r) => ({
        name: r.name,
        tags: r.tags,
        isPrivate: r.isPrivate,
        isGlobal: r.isGlobal,
        meta: r.meta.map((m) => [m.key, m.value]),
      }));
      try {
        expect(ours).toEqual(theirs);
      } catch (err) {
        wrong.push(`${e.rel}: ${(err as Error).message.slice(0, 2000)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(700);
    console.log(`yara corpus: metadata of ${compared} files equal to YARA-X's`);
    // ~800 YARA-X compiles: about a minute alone, more beside other test files on two cores.
  }, 240_000);

  it("re-prints rules that compile and match the same sample files as the originals", async () => {
    const samples = join(work, "samples");
    const names = makeSamples(samples);
    expect(names.length).toBeGreaterThan(24);
    const printedDir = join(work, "printed");
    const both = entries.filter((e) => e.parsed && !DIVERGENCES[e.rel]);
    const originals: string[] = [];
    const printed: string[] = [];
    mkdirSync(printedDir);
    const yaraXOnly: Entry[] = [];
    both.forEach((e, i) => {
      const file = join(printedDir, `p${i}.yar`);
      writeFileSync(file, printRules(e.parsed as RuleFile));
      if (e.yara) {
        originals.push(`n${i}:${e.path}`);
        printed.push(`n${i}:${file}`);
      } else if (e.yaraX) yaraXOnly.push(e);
    });
    // Printed files must compile: a yara run below fails on the first that does not.
    // One yara run per half of the rule files (namespaces keep rules apart), two at a time.
    const scan = async (ruleFiles: string[]): Promise<Set<string>> => {
      const half = Math.ceil(ruleFiles.length / 2);
      const parts = [ruleFiles.slice(0, half), ruleFiles.slice(half)];
      const out = await Promise.all(
        parts.map((part) =>
          run("yara", ["-e", "-r", "-w", "-p", "1", ...YARA_DEFINES, ...part, samples], 300_000),
        ),
      );
      for (const r of out) {
        expect(r.stderr.split("\n").filter((l) => l.startsWith("error"))).toEqual([]);
        expect(r.code).toBe(0);
      }
      return new Set(out.flatMap((r) => r.stdout.split("\n").filter(Boolean)));
    };
    const a = await scan(originals);
    const b = await scan(printed);
    const onlyA = [...a].filter((m) => !b.has(m));
    const onlyB = [...b].filter((m) => !a.has(m));
    expect({ onlyOriginal: onlyA, onlyPrinted: onlyB }).toEqual({
      onlyOriginal: [],
      onlyPrinted: [],
    });
    expect(a.size).toBeGreaterThan(0);
    // Files only YARA-X compiles are judged by YARA-X on the same samples.
    for (const e of yaraXOnly) {
      const x1 = compileYaraX(e.source);
      const x2 = compileYaraX(printRules(e.parsed as RuleFile));
      expect(x2.ok, e.rel).toBe(true);
      if (!x1.ok || !x2.ok) continue;
      for (const n of names) {
        const data = readFileSync(join(samples, n));
        const m1 = scanYaraX(x1.rules, data).map((m) => m.identifier);
        const m2 = scanYaraX(x2.rules, data).map((m) => m.identifier);
        expect(m2, `${e.rel} on ${n}`).toEqual(m1);
      }
    }
  }, 240_000);
});
