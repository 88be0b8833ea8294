/**
 * `scanText`: every detector asked for runs over the plain text; then each encoded token is
 * peeled and its decoded text scanned the same way, one level deeper, until `maxDepth`. A finding
 * inside a token is reported with the token's span in the original text and the layers peeled.
 * Overlaps are resolved so the result is sorted and non-overlapping: the longer span wins, and
 * between equal spans the more specific entity (see `ENTITY_PRECEDENCE`).
 */
import { domainAccountDetector, pathUserDetector } from "./accounts.js";
import { type Detector, type Span, TextFeatures, textFeatures } from "./detector.js";
import { type DecodeBudget, type DecodedToken, findEncodedTokens } from "./encodings.js";
import { ENTITIES, type Encoding, type Entity } from "./entities.js";
import {
  emailDetector,
  hostnameDetector,
  ipv4Detector,
  ipv6Detector,
  macDetector,
} from "./network.js";
import {
  creditCardDetector,
  ibanDetector,
  nationalIdDetector,
  phoneDetector,
  usSsnDetector,
} from "./numbers.js";
import { personDetector } from "./person.js";
import { secretDetector } from "./secrets.js";

export interface PiiFinding {
  entity: Entity;
  /** UTF-16 offsets in the ORIGINAL text. For a finding inside an encoded token, the span of the whole encoded token. */
  start: number;
  end: number;
  /** Encodings peeled to reach it, outermost first; [] when plain. */
  encoding: readonly Encoding[];
}

export interface ScanLimits {
  /** Encoding layers peeled at most (gzip counts as one). Default 3. */
  maxDepth?: number;
  /** Decoded bytes per scanText call, all tokens and layers together. Default 1 MiB. */
  maxDecodedBytes?: number;
  /** gunzip output per compressed byte at most. Default 100. */
  maxRatio?: number;
}

export interface ScanOptions {
  /** Entities to look for; default all. */
  entities?: ReadonlySet<Entity>;
  /** Look through encodings; default true. */
  decode?: boolean;
  limits?: ScanLimits;
}

/** Which entity a span is reported as when several detectors claim exactly the same text. */
const ENTITY_PRECEDENCE: readonly Entity[] = [
  "SECRET",
  "CREDIT_CARD",
  "IBAN",
  "US_SSN",
  "NATIONAL_ID",
  "EMAIL",
  "IPV6",
  "IPV4",
  "MAC",
  "PHONE",
  "PATH_USER",
  "DOMAIN_ACCOUNT",
  "PERSON",
  "HOSTNAME",
];
const RANK = new Map<Entity, number>(ENTITY_PRECEDENCE.map((e, i) => [e, i]));

/** In precedence order, so the cheap, specific detectors run first. */
const DETECTORS: readonly Detector[] = [
  secretDetector,
  creditCardDetector,
  ibanDetector,
  usSsnDetector,
  nationalIdDetector,
  emailDetector,
  ipv6Detector,
  ipv4Detector,
  macDetector,
  phoneDetector,
  pathUserDetector,
  domainAccountDetector,
  personDetector,
  hostnameDetector,
];

const ALL: ReadonlySet<Entity> = new Set(ENTITIES);
const NO_ENCODING: readonly Encoding[] = Object.freeze([]);

interface Candidate extends Span {
  encoding: readonly Encoding[];
}

interface ScanContext {
  detectors: readonly Detector[];
  decode: boolean;
  maxDepth: number;
  budget: DecodeBudget;
}

function rank(e: Entity): number {
  return RANK.get(e) ?? ENTITY_PRECEDENCE.length;
}

/** A plain finding of this entity lies inside the token: it is the more precise report. */
function foundPlainInside(
  plain: readonly Span[],
  entity: Entity,
  start: number,
  end: number,
): boolean {
  return plain.some((s) => s.entity === entity && s.start >= start && s.end <= end);
}

/** One features object per depth: a level's detectors are done before the next level starts. */
const FEATURES: TextFeatures[] = [];

function collect(text: string, ctx: ScanContext, depth: number, out: Candidate[]): void {
  const plain: Span[] = [];
  const features = textFeatures(text, FEATURES[depth] ?? new TextFeatures());
  FEATURES[depth] = features;
  const detectors = ctx.detectors;
  for (let i = 0; i < detectors.length; i++) (detectors[i] as Detector).find(text, plain, features);
  for (let i = 0; i < plain.length; i++) {
    const s = plain[i] as Span;
    out.push({ entity: s.entity, start: s.start, end: s.end, encoding: NO_ENCODING });
  }
  if (!ctx.decode || depth + 1 > ctx.maxDepth) return;
  const tokens = findEncodedTokens(text, ctx.budget);
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t] as DecodedToken;
    const layersUsed = depth + token.encoding.length;
    if (layersUsed > ctx.maxDepth) continue;
    // One finding per token (its span is the token's): the most specific entity inside it.
    let best: Candidate | undefined;
    for (const inner of token.texts) {
      const found: Candidate[] = [];
      collect(inner, ctx, layersUsed, found);
      // Overlaps inside the decoded text are settled first (a card number inside an IBAN).
      for (const f of resolveOverlaps(found, inner.length)) {
        if (best === undefined || rank(f.entity) < rank(best.entity)) best = f;
      }
    }
    if (best !== undefined && !foundPlainInside(plain, best.entity, token.start, token.end)) {
      out.push({
        entity: best.entity,
        start: token.start,
        end: token.end,
        encoding: [...token.encoding, ...best.encoding],
      });
    }
  }
}

/** Longest first, then precedence; keep each candidate that overlaps nothing kept so far. */
function resolveOverlaps(candidates: Candidate[], textLength: number): Candidate[] {
  if (candidates.length === 0) return [];
  candidates.sort(
    (a, b) =>
      b.end - b.start - (a.end - a.start) || rank(a.entity) - rank(b.entity) || a.start - b.start,
  );
  const kept: Candidate[] = [];
  if (candidates.length <= 64) {
    for (const c of candidates) {
      if (kept.every((k) => c.end <= k.start || c.start >= k.end)) kept.push(c);
    }
  } else {
    // Many candidates (hostile input): a coverage map keeps this linear in the spans' lengths.
    const covered = new Uint8Array(textLength);
    for (const c of candidates) {
      let free = true;
      for (let i = c.start; i < c.end; i++) {
        if (covered[i] === 1) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      covered.fill(1, c.start, c.end);
      kept.push(c);
    }
  }
  kept.sort((a, b) => a.start - b.start);
  return kept;
}

interface Selection {
  detectors: readonly Detector[];
  /** Values recently scanned clean with default limits: without, then with decoding. */
  clean: [Set<string>, Set<string>];
}

const selections = new WeakMap<ReadonlySet<Entity>, Selection>();

function select(entities: ReadonlySet<Entity>): Selection {
  let selected = selections.get(entities);
  if (selected === undefined) {
    selected = {
      detectors: DETECTORS.filter((d) => entities.has(d.entity)),
      clean: [new Set(), new Set()],
    };
    selections.set(entities, selected);
  }
  return selected;
}

/**
 * Telemetry repeats itself: the same image paths, the same scheduled command lines, thousands of
 * times an hour. A value found clean is remembered (per entity set and decode setting) and not
 * scanned again. Only clean values are kept, so the memo holds no personal data the scanner
 * recognises; values are short ones only, and the memo is emptied when full, which bounds it to
 * `CLEAN_MEMO_SIZE` × `CLEAN_MEMO_MAX_LENGTH` characters per entity set. Results are the same
 * with or without it: a scan with default limits depends on the value alone.
 */
const CLEAN_MEMO_SIZE = 4096;
const CLEAN_MEMO_MAX_LENGTH = 512;

/** Personal data in one string value: sorted by start, non-overlapping. */
export function scanText(text: string, options: ScanOptions = {}): PiiFinding[] {
  const selected = select(options.entities ?? ALL);
  const detectors = selected.detectors;
  if (detectors.length === 0 || text.length === 0) return [];
  const limits = options.limits;
  const decode = options.decode ?? true;
  const memo =
    limits === undefined && text.length <= CLEAN_MEMO_MAX_LENGTH
      ? selected.clean[decode ? 1 : 0]
      : undefined;
  if (memo?.has(text)) return [];
  const ctx: ScanContext = {
    detectors,
    decode,
    maxDepth: limits?.maxDepth ?? 3,
    budget: {
      remainingBytes: limits?.maxDecodedBytes ?? 1 << 20,
      maxRatio: limits?.maxRatio ?? 100,
    },
  };
  const candidates: Candidate[] = [];
  collect(text, ctx, 0, candidates);
  if (candidates.length === 0) {
    if (memo !== undefined) {
      if (memo.size >= CLEAN_MEMO_SIZE) memo.clear();
      memo.add(text);
    }
    return [];
  }
  const kept = resolveOverlaps(candidates, text.length);
  const result: PiiFinding[] = new Array(kept.length);
  for (let i = 0; i < kept.length; i++) {
    const c = kept[i] as Candidate;
    result[i] = { entity: c.entity, start: c.start, end: c.end, encoding: c.encoding };
  }
  return result;
}
