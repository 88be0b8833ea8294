/**
 * Quality and speed of the PII scanner (Decision 27).
 *
 *   npm run eval:pii -- [--synth PATH] [--records 200000] [--seed 20261123]
 *
 * Datasets:
 * - `presidio-synth`: presidio-research's synth_dataset_v2 (1,500 sentences), read from
 *   `../shared/corpora/pii/` relative to the working directory (the repository), never copied.
 *   Its labels map to ours: EMAIL_ADDRESS→EMAIL, PHONE_NUMBER→PHONE, IP_ADDRESS→IPV4 or IPV6 (by
 *   form), CREDIT_CARD, IBAN_CODE→IBAN, US_SSN, PERSON. Ignored, because we do not look for them
 *   or they are labelled differently: STREET_ADDRESS, GPE, ORGANIZATION, DATE_TIME, TITLE, AGE,
 *   NRP, ZIP_CODE, US_DRIVER_LICENSE, and DOMAIN_NAME (labelled as whole URLs, we report hosts).
 *   Our entities the set does not label (MAC, NATIONAL_ID, PATH_USER, HOSTNAME, DOMAIN_ACCOUNT,
 *   SECRET) are not scored on it. Each sentence is scanned as free text (all entities).
 * - `telemetry`: `generateTelemetry` with a fixed seed, ≥ 50,000 records; free-text fields
 *   scanned with all entities, path fields with PATH_USER, `signer` and `rule` with all entities
 *   (they hold no planted data: anything found there is a false positive).
 *
 * Scoring follows presidio-research's SpanEvaluator: per entity type, predicted and gold spans
 * are matched one to one by character-level IoU (intersection over union), a match needing
 * IoU ≥ 0.75; unmatched predictions are false positives, unmatched gold spans false negatives.
 * Like its normalisation, spans are compared after trimming whitespace and punctuation at both
 * ends. Intervals are Wilson 95% score intervals.
 *
 * Speed: MB/s of field values through `scanText` (UTF-16 length as bytes; the corpus is ASCII),
 * with the field-type entity sets above: once for the clean corpus (piiRate 0) and once for the
 * labelled one. Output: one JSON object per line on stdout; progress on stderr.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { ENTITIES, type Entity, type PiiFinding, scanText } from "../src/gateway/pii/index.js";
import { generateTelemetry, type Label } from "./telemetry-corpus.js";

interface Options {
  synth: string;
  records: number;
  seed: number;
}

function options(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  return {
    synth: resolve(
      value("--synth") ?? "../shared/corpora/pii/presidio-research-synth_dataset_v2.json",
    ),
    // ~1,000 labels per entity: with no error, the 95% interval's lower bound passes 0.99.
    records: Number(value("--records") ?? 200_000),
    seed: Number(value("--seed") ?? 20261123),
  };
}

interface GoldSpan {
  doc: string;
  entity: Entity;
  start: number;
  end: number;
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

const IOU_THRESHOLD = 0.75;
const TRIM = /[\s.,;:!?"'()[\]{}]/;

function trimmed(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && TRIM.test(text.charAt(s))) s++;
  while (e > s && TRIM.test(text.charAt(e - 1))) e--;
  return [s, e];
}

function iou(a: [number, number], b: [number, number]): number {
  const inter = Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
  const union = Math.max(a[1], b[1]) - Math.min(a[0], b[0]);
  return union === 0 ? 0 : inter / union;
}

/** Matches one document's spans of one entity: best IoU pairs first, each span used once. */
function scoreDocument(
  text: string,
  gold: [number, number][],
  predicted: [number, number][],
  counts: Counts,
): void {
  const g = gold.map(([s, e]) => trimmed(text, s, e));
  const p = predicted.map(([s, e]) => trimmed(text, s, e));
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < g.length; i++) {
    for (let j = 0; j < p.length; j++) {
      const v = iou(g[i] as [number, number], p[j] as [number, number]);
      if (v >= IOU_THRESHOLD) pairs.push([v, i, j]);
    }
  }
  pairs.sort((a, b) => b[0] - a[0]);
  const usedG = new Set<number>();
  const usedP = new Set<number>();
  for (const [, i, j] of pairs) {
    if (usedG.has(i) || usedP.has(j)) continue;
    usedG.add(i);
    usedP.add(j);
    counts.tp++;
  }
  counts.fn += g.length - usedG.size;
  counts.fp += p.length - usedP.size;
}

function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959964;
  const phat = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (phat + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + (z * z) / (4 * n * n))) / denom;
  return [round(Math.max(0, centre - half)), round(Math.min(1, centre + half))];
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** One line per dataset × entity; `system` is set only for the peer's lines. */
function report(dataset: string, entity: Entity, c: Counts, system?: string): void {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  console.log(
    JSON.stringify({
      eval: "pii",
      dataset,
      ...(system === undefined ? {} : { system }),
      entity,
      tp: c.tp,
      fp: c.fp,
      fn: c.fn,
      precision: round(precision),
      recall: round(recall),
      f1: round(f1),
      support: c.tp + c.fn,
      precision95: wilson(c.tp, c.tp + c.fp),
      recall95: wilson(c.tp, c.tp + c.fn),
    }),
  );
}

const SYNTH_LABELS: Readonly<Record<string, Entity | "IP">> = {
  EMAIL_ADDRESS: "EMAIL",
  PHONE_NUMBER: "PHONE",
  IP_ADDRESS: "IP",
  CREDIT_CARD: "CREDIT_CARD",
  IBAN_CODE: "IBAN",
  US_SSN: "US_SSN",
  PERSON: "PERSON",
};
const SYNTH_SCORED: readonly Entity[] = [
  "EMAIL",
  "PHONE",
  "IPV4",
  "IPV6",
  "CREDIT_CARD",
  "IBAN",
  "US_SSN",
  "PERSON",
];

interface SynthRecord {
  full_text: string;
  spans: {
    entity_type: string;
    entity_value: string;
    start_position: number;
    end_position: number;
  }[];
}

/**
 * The peer in the same run: redact-pii (npm), which returns redacted text, not spans. Its spans
 * are recovered by aligning the output with the input: the literal text between its placeholders
 * must match the input exactly, and each placeholder stands for what lies between. Its labels map
 * to ours as below (it has no IBAN); everything else it redacts is not scored.
 */
const PEER_LABELS: Readonly<Record<string, Entity | "IP">> = {
  EMAIL_ADDRESS: "EMAIL",
  PHONE_NUMBER: "PHONE",
  IP_ADDRESS: "IP",
  CREDIT_CARD_NUMBER: "CREDIT_CARD",
  US_SOCIAL_SECURITY_NUMBER: "US_SSN",
  PERSON_NAME: "PERSON",
};
const PEER_PLACEHOLDER =
  /CREDIT_CARD_NUMBER|STREET_ADDRESS|ZIPCODE|PHONE_NUMBER|IP_ADDRESS|US_SOCIAL_SECURITY_NUMBER|EMAIL_ADDRESS|USERNAME|PASSWORD|CREDENTIALS|DIGITS|URL|PERSON_NAME/g;

interface Redactor {
  redact(text: string): string;
}

/** redact-pii is a dev dependency; a bundle run from outside the repository goes without it. */
async function loadPeer(): Promise<Redactor | undefined> {
  try {
    const { SyncRedactor } = await import("redact-pii");
    return new SyncRedactor();
  } catch {
    process.stderr.write("redact-pii not found: no peer figures in this run\n");
    return undefined;
  }
}

function peerSpans(redactor: Redactor, text: string): PiiFinding[] {
  const redacted = redactor.redact(text);
  const placeholders = [...redacted.matchAll(PEER_PLACEHOLDER)];
  if (placeholders.length === 0 || placeholders.length > 16) return [];
  const literals = redacted
    .split(PEER_PLACEHOLDER)
    .map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const aligned = new RegExp(`^${literals.join("([\\s\\S]+?)")}$`, "d").exec(text);
  if (aligned?.indices === undefined) return [];
  const spans: PiiFinding[] = [];
  placeholders.forEach((p, i) => {
    const mapped = PEER_LABELS[p[0]];
    const at = aligned.indices?.[i + 1];
    if (mapped === undefined || at === undefined) return;
    const value = text.slice(at[0], at[1]);
    const entity: Entity = mapped === "IP" ? (value.includes(":") ? "IPV6" : "IPV4") : mapped;
    spans.push({ entity, start: at[0], end: at[1], encoding: [] });
  });
  return spans;
}

function evalSynth(path: string, redactor: Redactor | undefined): void {
  const data = JSON.parse(readFileSync(path, "utf8")) as SynthRecord[];
  const counts = new Map<Entity, Counts>(SYNTH_SCORED.map((e) => [e, { tp: 0, fp: 0, fn: 0 }]));
  const peerCounts = new Map<Entity, Counts>(SYNTH_SCORED.map((e) => [e, { tp: 0, fp: 0, fn: 0 }]));
  for (const doc of data) {
    const text = doc.full_text;
    const gold: GoldSpan[] = [];
    for (const s of doc.spans) {
      const mapped = SYNTH_LABELS[s.entity_type];
      if (mapped === undefined) continue;
      const entity: Entity =
        mapped === "IP" ? (s.entity_value.includes(":") ? "IPV6" : "IPV4") : mapped;
      gold.push({ doc: "", entity, start: s.start_position, end: s.end_position });
    }
    const found = scanText(text);
    const peer = redactor === undefined ? [] : peerSpans(redactor, text);
    for (const entity of SYNTH_SCORED) {
      if (entity !== "IBAN") {
        scoreDocument(
          text,
          gold.filter((g) => g.entity === entity).map((g) => [g.start, g.end]),
          peer.filter((f) => f.entity === entity).map((f) => [f.start, f.end]),
          peerCounts.get(entity) as Counts,
        );
      }
      scoreDocument(
        text,
        gold.filter((g) => g.entity === entity).map((g) => [g.start, g.end]),
        found.filter((f) => f.entity === entity).map((f) => [f.start, f.end]),
        counts.get(entity) as Counts,
      );
    }
  }
  for (const entity of SYNTH_SCORED) report("presidio-synth", entity, counts.get(entity) as Counts);
  for (const entity of SYNTH_SCORED) {
    if (entity !== "IBAN")
      report("presidio-synth", entity, peerCounts.get(entity) as Counts, "redact-pii");
  }
}

const FREE_TEXT = ["command_line", "description", "script", "signer", "rule"];
const PATHS = ["image_path", "path", "file_path", "process.image_path"];
const ALL_ENTITIES: ReadonlySet<Entity> = new Set(ENTITIES);
const PATH_ENTITIES: ReadonlySet<Entity> = new Set<Entity>(["PATH_USER"]);

function fieldValue(record: object, field: string): string | undefined {
  let v: unknown = record;
  for (const key of field.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === "string" ? v : undefined;
}

interface FieldJob {
  record: number;
  field: string;
  text: string;
  entities: ReadonlySet<Entity>;
}

function fieldJobs(records: object[]): FieldJob[] {
  const jobs: FieldJob[] = [];
  records.forEach((record, i) => {
    for (const field of FREE_TEXT) {
      const text = fieldValue(record, field);
      if (text !== undefined) jobs.push({ record: i, field, text, entities: ALL_ENTITIES });
    }
    for (const field of PATHS) {
      const text = fieldValue(record, field);
      if (text !== undefined) jobs.push({ record: i, field, text, entities: PATH_ENTITIES });
    }
  });
  return jobs;
}

/** Scans every job once (timed); returns the findings per job and MB/s. */
function scanJobs(jobs: FieldJob[]): { findings: PiiFinding[][]; mbPerSecond: number } {
  let bytes = 0;
  for (const j of jobs) bytes += j.text.length;
  // Warm-up so the figure is the steady state a long-running gateway sees.
  for (let i = 0; i < Math.min(jobs.length, 5000); i++) {
    const j = jobs[i] as FieldJob;
    scanText(j.text, { entities: j.entities });
  }
  const t0 = performance.now();
  const findings = jobs.map((j) => scanText(j.text, { entities: j.entities }));
  const seconds = (performance.now() - t0) / 1000;
  return { findings, mbPerSecond: bytes / 1e6 / seconds };
}

function evalTelemetry(opts: Options): void {
  // The generator takes a size in bytes; grow it from the last attempt until it holds enough.
  let bytes = opts.records * 330;
  let corpus = generateTelemetry({ seed: opts.seed, bytes });
  while (corpus.records.length < opts.records) {
    bytes = Math.ceil(bytes * (opts.records / Math.max(corpus.records.length, 1)) * 1.05);
    corpus = generateTelemetry({ seed: opts.seed, bytes });
  }
  process.stderr.write(
    `telemetry: ${corpus.records.length} records, ${corpus.labels.length} labels\n`,
  );
  const jobs = fieldJobs(corpus.records);
  const { findings, mbPerSecond } = scanJobs(jobs);

  const byField = new Map<string, Label[]>();
  for (const l of corpus.labels) {
    const key = `${l.record}\u0000${l.field}`;
    const list = byField.get(key);
    if (list === undefined) byField.set(key, [l]);
    else list.push(l);
  }
  const counts = new Map<Entity, Counts>(ENTITIES.map((e) => [e, { tp: 0, fp: 0, fn: 0 }]));
  jobs.forEach((job, i) => {
    const labels = byField.get(`${job.record}\u0000${job.field}`) ?? [];
    const found = findings[i] as PiiFinding[];
    if (labels.length === 0 && found.length === 0) return;
    for (const entity of ENTITIES) {
      const gold = labels.filter((l) => l.entity === entity);
      const pred = found.filter((f) => f.entity === entity);
      if (gold.length === 0 && pred.length === 0) continue;
      scoreDocument(
        job.text,
        gold.map((l) => [l.start, l.end]),
        pred.map((f) => [f.start, f.end]),
        counts.get(entity) as Counts,
      );
    }
  });
  for (const entity of ENTITIES) report("telemetry", entity, counts.get(entity) as Counts);

  const clean = generateTelemetry({ seed: opts.seed + 1, bytes: 20e6, piiRate: 0 });
  const cleanJobs = fieldJobs(clean.records);
  const speed = (value: number, corpus: string, fields: string): void => {
    console.log(
      JSON.stringify({ eval: "pii.speed", value: round(value), unit: "MB/s", corpus, fields }),
    );
  };
  speed(scanJobs(cleanJobs).mbPerSecond, "clean", "all scanned");
  speed(mbPerSecond, "telemetry", "all scanned");
  // The two field kinds apart: free text runs every detector, paths only PATH_USER.
  speed(
    scanJobs(cleanJobs.filter((j) => j.entities === ALL_ENTITIES)).mbPerSecond,
    "clean",
    "free text",
  );
  speed(
    scanJobs(cleanJobs.filter((j) => j.entities === PATH_ENTITIES)).mbPerSecond,
    "clean",
    "paths",
  );
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  process.stderr.write(`presidio-synth: ${opts.synth}\n`);
  evalSynth(opts.synth, await loadPeer());
  evalTelemetry(opts);
}

await main();
