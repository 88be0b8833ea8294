/**
 * Person names in free text, without a language model: runs of capitalised words (joined by single
 * spaces, name particles like `van der`, and initials `J.`) are read against name lists. A run is a
 * person when it holds a known given name, a known surname next to another name-like word, follows
 * a title (`Dr.`, `Mrs`), or follows a phrase that introduces a name (`my name is`, `Dear`).
 * Titles are not part of the span; suffixes (`Jr`, `II`, `MD`) are.
 */
import type { Detector, Span, TextFeatures } from "./detector.js";
import { AMBIGUOUS_GIVEN, GIVEN_NAMES, SURNAME_SET } from "./names.js";

const CAPITALISED =
  /(?<![\p{L}\p{M}\p{Nd}_@.\\/+=-])\p{Lu}[\p{L}\p{M}]*(?:['’][\p{L}\p{M}]+)*(?:-\p{Lu}[\p{L}\p{M}]*(?:['’][\p{L}\p{M}]+)*)?(?![\p{L}\p{M}\p{Nd}_+/=])\.?/gu;
const HAS_CAPITAL_THEN_LOWER = /[A-Z\u00C0-\u024F][a-z\u00DF-\u024F]/;

const TITLES = new Set(
  "mr mrs ms miss mx dr prof sir madam dame lord lady rev herr frau mme mlle sr sra srta dott ing".split(
    " ",
  ),
);
const SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv", "md", "phd", "dds", "dvm", "esq"]);
const PARTICLE_GAP =
  /^ (?:(?:van|von|de|der|den|da|di|del|della|dos|das|du|le|la|ten|ter|bin|ibn|al|el|y) )*$/;

/** Capitalised words that are never part of a name here: they split runs. */
const NOT_NAMES = new Set(
  `the a an this that these those my your our their his her its i we you he she it they me us them please
hello hi hey dear thanks thank yes no ok okay and or but if then so as at by for from in into of on to up
with about after before what when where which who why how is are was were be been do does did have has had
can could would should will shall may might must not also just only very all any some each every other
monday tuesday wednesday thursday friday saturday sunday january february march july september october
november december street st road rd avenue ave apt suite unit floor inc ltd llc corp co company group bank
university college school hospital hotel city county state north south east west new old saint san santa
los las mount lake port fort windows microsoft google apple amazon program files system user users
documents desktop downloads appdata local roaming temp get set write invoke start stop remove add process
service host error warning info debug true false null none director manager engineer doctor professor
officer agent team support admin administrator security update defender chrome edge firefox office word
excel outlook teams zoom slack powershell notepad explorer file folder path data account card number
address phone email name last first full birth date age credit social payment customer client order
my dr mr mrs ms hola bonjour hallo ciao hej salut welcome union orchestra pass bypass extension
extensions terrace hill hills day investments cove coves mall forge forges tale tales vue stripes crossing
square plaza gardens heights ridge station parkway trail view villas rue rua calle via ul str avenida
lane drive way court place park inc corporation capital global insurance partners technologies weekly
street song album band novel concert tour records music news magazine radio tv`.split(/\s+/),
);

const STRONG_CONTEXT =
  /(?:name(?: is|:|\?|'s)?|named|called|i am|i'm|call me|this is|dear|hi|hello|hey|thanks|regards,?|sincerely,?|signed|directed by:?|written by:?|author:?|contact:?|attn:?)\s{1,3}$/i;

/** `\s` as regexes read it (ASCII and Unicode spaces). */
function isRegexSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * `STRONG_CONTEXT` on the 24 characters before `start`. Every phrase it knows is followed by
 * whitespace, so a word with none right before it (most words in telemetry) is settled without
 * a slice and a regex.
 */
function strongContextBefore(text: string, start: number): boolean {
  if (start === 0 || !isRegexSpace(text.charCodeAt(start - 1))) return false;
  return STRONG_CONTEXT.test(text.slice(Math.max(0, start - 24), start));
}

/** What people (not places or firms) do right after their name. */
const PERSON_VERB_AFTER =
  /^(?:'s|’s)? (?:lives|lived|said|says|told|wrote|explained|shouted|will|had|has|was|is|who|and his|and her)\b/;

const FOLD_SPECIAL: Readonly<Record<string, string>> = {
  ł: "l",
  ø: "o",
  ð: "d",
  þ: "th",
  ß: "ss",
  æ: "ae",
  œ: "oe",
  đ: "d",
  ı: "i",
};
const NON_ASCII_CHAR = /[^ -~\t\n\r]/;
const COMBINING_MARKS = /\p{M}/gu;
const SPECIAL_LETTERS = /[łøðþßæœđı]/g;
const APOSTROPHE_S = /['’]s$/;

/** Lower case without diacritics, as the name lists are written. */
export function foldName(word: string): string {
  const lower = word.toLowerCase();
  // ASCII fast path: nothing to strip.
  if (!NON_ASCII_CHAR.test(lower)) return lower;
  return lower
    .normalize("NFD")
    .replace(COMBINING_MARKS, "")
    .replace(SPECIAL_LETTERS, (c) => FOLD_SPECIAL[c] ?? c);
}

type Kind = "given" | "weak" | "surname" | "initial" | "suffix" | "title" | "stop" | "unknown";

interface Token {
  start: number;
  end: number;
  kind: Kind;
}

const KIND_CACHE = new Map<string, Kind>();
const KIND_CACHE_LIMIT = 50_000;

/** Telemetry repeats the same capitalised words (`Program`, `Windows`): remember their kind. */
function kindOf(raw: string): Kind {
  let kind = KIND_CACHE.get(raw);
  if (kind === undefined) {
    kind = classify(raw);
    if (KIND_CACHE.size >= KIND_CACHE_LIMIT) KIND_CACHE.clear();
    KIND_CACHE.set(raw, kind);
  }
  return kind;
}

function classify(raw: string): Kind {
  const word = raw.endsWith(".") ? raw.slice(0, -1) : raw;
  const folded = foldName(word.replace(APOSTROPHE_S, ""));
  if (TITLES.has(folded)) return "title";
  if (SUFFIXES.has(folded) && (word === word.toUpperCase() || folded === "jr" || folded === "sr")) {
    return "suffix";
  }
  if (word.length === 1) return "initial";
  if (NOT_NAMES.has(folded)) return "stop";
  // ALL-CAPS words are acronyms and product names (`EXE`, `HKLM`), not names in running text.
  if (word.length > 1 && word === word.toUpperCase()) return "stop";
  if (GIVEN_NAMES.has(folded)) return AMBIGUOUS_GIVEN.has(folded) ? "weak" : "given";
  if (SURNAME_SET.has(folded)) return AMBIGUOUS_GIVEN.has(folded) ? "weak" : "surname";
  if (folded.length >= 5 && SURNAME_ENDING.test(folded)) return "surname";
  return "unknown";
}

/**
 * Endings that mark a word as a surname in many languages (`-sson`, `-dóttir`, `-ova`, `-ski`,
 * `-vić`, `-escu`, `-poulos`, `-inen`, …): unknown capitalised words with one count as surnames.
 */
const SURNAME_ENDING =
  /(?:sson|sen|dottir|ov|ova|ev|eva|ovich|ovna|ski|ska|sky|cki|cka|wicz|vic|vich|ic|escu|poulos|opoulou|idis|akis|oglu|yan|ian|enko|shvili|dze|inen|nen|berg|stein|mann|ova|ek|czyk|iak|aitis|iene|ez)$/;

function isNameLike(kind: Kind): boolean {
  return kind === "given" || kind === "weak" || kind === "surname" || kind === "unknown";
}

/** Decides one run of adjacent capitalised words (no stop words in it) and reports its span. */
function judgeRun(text: string, run: Token[], titled: boolean, out: Span[]): void {
  // Trailing and leading initials/suffixes belong to a name only around name words.
  while (run.length > 0 && (run[0] as Token).kind === "suffix") run.shift();
  if (run.length === 0) return;
  let given = 0;
  let weak = 0;
  let surname = 0;
  let unknown = 0;
  for (const t of run) {
    if (t.kind === "given") given++;
    else if (t.kind === "weak") weak++;
    else if (t.kind === "surname") surname++;
    else if (t.kind === "unknown") unknown++;
  }
  const nameWords = given + weak + surname + unknown;
  if (nameWords === 0 || nameWords > 4) return;
  const first = run[0] as Token;
  const context = titled || strongContextBefore(text, first.start);
  // `Faina D. Yefremova`, `Ravil G Yefimov`: word, initial, word is how people are written.
  const middleInitial = run.some(
    (t, i) =>
      t.kind === "initial" &&
      i > 0 &&
      i < run.length - 1 &&
      isNameLike((run[i - 1] as Token).kind) &&
      isNameLike((run[i + 1] as Token).kind),
  );
  const last = run[run.length - 1] as Token;
  const followedByPersonVerb =
    nameWords >= 2 && PERSON_VERB_AFTER.test(text.slice(last.end, last.end + 16));
  const person =
    given > 0 ||
    context ||
    middleInitial ||
    followedByPersonVerb ||
    (surname > 0 && nameWords >= 2) ||
    (weak > 0 && nameWords >= 2 && surname + unknown + weak >= 2 && unknown < nameWords);
  if (!person) return;
  // A lone initial at either end without a name word next to it is not part of the name; unknown
  // capitalised words before the first given name are a greeting or a heading, not the name.
  let from = 0;
  const firstGiven = run.findIndex((t) => t.kind === "given");
  if (
    firstGiven > 0 &&
    firstGiven < run.length - 1 &&
    run.slice(0, firstGiven).every((t) => t.kind === "unknown")
  ) {
    from = firstGiven;
  }
  let to = run.length - 1;
  while (
    from < to &&
    (run[from] as Token).kind === "initial" &&
    !isNameLike((run[from + 1] as Token).kind)
  )
    from++;
  while (to > from && (run[to] as Token).kind === "initial") to--;
  const start = (run[from] as Token).start;
  let end = (run[to] as Token).end;
  // `Smith.` at a sentence end: the dot is not part of the name (an initial's is).
  if (text.charCodeAt(end - 1) === 46 && (run[to] as Token).kind !== "initial") end--;
  const raw = text.slice(start, end);
  const possessive = APOSTROPHE_S.exec(raw);
  if (possessive) end -= 2;
  out.push({ entity: "PERSON", start, end });
}

// ASCII-only twin of CAPITALISED for the common case; the capital comes first so the regex engine
// can skip to capitals, and the lookbehind then checks the character before it.
// Neither side may touch base64 or identifier characters (`x+Anna1/`), so blobs stay quiet.
const CAPITALISED_ASCII =
  /[A-Z](?<![A-Za-z0-9_@.\\/+=-].)[A-Za-z]*(?:'[A-Za-z]+)*(?:-[A-Z][A-Za-z]*(?:'[A-Za-z]+)*)?(?![A-Za-z0-9_+/=])\.?/g;

export const personDetector: Detector = {
  entity: "PERSON",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (!HAS_CAPITAL_THEN_LOWER.test(text)) return;
    let run: Token[] = [];
    let titled = false;
    let previousEnd = -1;
    const flush = (): void => {
      if (run.length > 0) judgeRun(text, run, titled, out);
      run = [];
      titled = false;
    };
    const pattern = features.nonAscii ? CAPITALISED : CAPITALISED_ASCII;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const raw = m[0];
      const start = m.index;
      const end = start + raw.length;
      const kind = kindOf(raw);
      const gapLength = start - previousEnd;
      const adjacent =
        previousEnd >= 0 &&
        text.charCodeAt(previousEnd) === 32 &&
        (gapLength === 1 || (gapLength <= 16 && PARTICLE_GAP.test(text.slice(previousEnd, start))));
      previousEnd = end;
      if (!adjacent) flush();
      if (kind === "title") {
        flush();
        titled = true;
        continue;
      }
      if (kind === "stop") {
        flush();
        continue;
      }
      run.push({ start, end, kind });
      // A word ending in a full stop ends the run unless it is an initial.
      if (raw.endsWith(".") && kind !== "initial") {
        flush();
        previousEnd = -1;
      }
    }
    pattern.lastIndex = 0;
    flush();
  },
};
