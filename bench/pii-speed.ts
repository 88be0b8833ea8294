/**
 * Speed of `scanText` alone over the scanned fields of the generated telemetry corpus, with the
 * entity sets and decode settings the gateway uses (see `src/gateway/pipeline.ts`): free text
 * (`command_line`, `script`, `description`) with every entity and decoding; paths (`image_path`,
 * `path`, `file_path`, `process.image_path`) with PATH_USER, EMAIL and SECRET, no decoding.
 *
 *   npm run bench:pii -- [--mb 10] [--seed 7] [--rounds 5] [--distinct]
 *
 * `--distinct` keeps each field value once, so repeated values (which `scanText` remembers when
 * they are clean) do not count: the figure for a stream without repetition.
 *
 * Single-threaded, tight loop after warm-up; the best of `rounds` passes is reported. One JSON
 * object per line: `{"bench":"pii.scan","value":…,"unit":"MB/s","fields":"text"|"path"|"all"}`.
 */
import { performance } from "node:perf_hooks";
import { ENTITIES, type Entity, scanText } from "../src/gateway/pii/index.js";
import { FREE_TEXT_FIELDS, generateTelemetry, PATH_FIELDS } from "./telemetry-corpus.js";

function arg(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

interface Job {
  text: string;
  entities: ReadonlySet<Entity>;
  decode: boolean;
}

const TEXT: ReadonlySet<Entity> = new Set(ENTITIES);
const PATH: ReadonlySet<Entity> = new Set<Entity>(["PATH_USER", "EMAIL", "SECRET"]);

function fieldValue(record: object, field: string): string | undefined {
  let v: unknown = record;
  for (const key of field.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === "string" ? v : undefined;
}

function run(jobs: readonly Job[]): number {
  let found = 0;
  for (const j of jobs)
    found += scanText(j.text, { entities: j.entities, decode: j.decode }).length;
  return found;
}

function mbPerSecond(jobs: readonly Job[], rounds: number): number {
  let bytes = 0;
  for (const j of jobs) bytes += j.text.length;
  run(jobs); // warm-up
  run(jobs);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    run(jobs);
    best = Math.min(best, performance.now() - t0);
  }
  return bytes / 1e6 / (best / 1000);
}

const corpus = generateTelemetry({ seed: arg("--seed", 7), bytes: arg("--mb", 10) * 1e6 });
const distinct = process.argv.includes("--distinct");
const seen = new Set<string>();
const text: Job[] = [];
const path: Job[] = [];
const all: Job[] = [];
for (const record of corpus.records) {
  for (const field of FREE_TEXT_FIELDS) {
    const value = fieldValue(record, field);
    if (value === undefined || (distinct && seen.has(`t${value}`))) continue;
    seen.add(`t${value}`);
    const job = { text: value, entities: TEXT, decode: true };
    text.push(job);
    all.push(job);
  }
  for (const field of PATH_FIELDS) {
    const value = fieldValue(record, field);
    if (value === undefined || (distinct && seen.has(`p${value}`))) continue;
    seen.add(`p${value}`);
    const job = { text: value, entities: PATH, decode: false };
    path.push(job);
    all.push(job);
  }
}
const rounds = arg("--rounds", 5);
for (const [fields, jobs] of [
  ["text", text],
  ["path", path],
  ["all", all],
] as const) {
  const value = Math.round(mbPerSecond(jobs, rounds) * 10) / 10;
  console.log(
    JSON.stringify({
      bench: "pii.scan",
      value,
      unit: "MB/s",
      fields,
      ...(distinct ? { values: "distinct" } : {}),
    }),
  );
}
