/**
 * Network identifiers: email addresses, IPv4, IPv6, MAC addresses and hostnames (FQDNs).
 * A user principal name (`alice@corp.local`) is reported as EMAIL: it has the same shape and
 * identifies a person the same way.
 */
import {
  type Detector,
  F_AT,
  F_COLONS,
  F_DOT,
  isWordChar,
  type Span,
  type TextFeatures,
} from "./detector.js";
import { FILE_EXTENSION_TLDS, TLDS } from "./tlds.js";

function isLocalPartChar(c: number): boolean {
  // letters, digits and . _ % + - '
  return isWordChar(c) || c === 46 || c === 37 || c === 43 || c === 45 || c === 39;
}

function isDomainChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46
  );
}

/**
 * Emails are found from each '@' outwards rather than by one regex: a regex starting at every
 * character of a long local-part-like run would be quadratic. Both sides are bounded (RFC 5321:
 * 64 and 255 characters), and expansion stops at the next '@'.
 */
export const emailDetector: Detector = {
  entity: "EMAIL",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (!features.has(F_AT)) return;
    let at = text.indexOf("@");
    while (at !== -1) {
      let start = at;
      while (start > 0 && at - start < 64 && isLocalPartChar(text.charCodeAt(start - 1))) start--;
      while (start < at && (text.charCodeAt(start) === 46 || text.charCodeAt(start) === 39))
        start++;
      let end = at + 1;
      while (end < text.length && end - at <= 255 && isDomainChar(text.charCodeAt(end))) end++;
      while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) {
        end--;
      }
      if (start < at && validEmailDomain(text.slice(at + 1, end))) {
        out.push({ entity: "EMAIL", start, end });
      }
      at = text.indexOf("@", at + 1);
    }
  },
};

function validEmailDomain(domain: string): boolean {
  const dot = domain.lastIndexOf(".");
  if (dot <= 0) return false;
  const tld = domain.slice(dot + 1);
  return /^[A-Za-z]{2,24}$/.test(tld) && !domain.includes("..");
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
// Not preceded by a word character or dot (so `v1.2.3.4` and the tail of `10.0.19041.1` are
// skipped), not followed by more dotted digits.
const IPV4 = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?![\\w]|\\.\\d)`, "g");

export const ipv4Detector: Detector = {
  entity: "IPV4",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (features.digitRun < 4 || !features.has(F_DOT)) return;
    IPV4.lastIndex = 0;
    for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
      out.push({ entity: "IPV4", start: m.index, end: m.index + m[0].length });
    }
    IPV4.lastIndex = 0;
  },
};

// Candidates: a run of hex digits, colons and dots holding a colon, not inside a word; the parser
// below decides. `std::map` and `12:30:45` are rejected there.
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{2,44}(?![\w:])/g;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const IPV4_TAIL = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`);

/** RFC 4291 text form: eight groups, or fewer with one `::`, optionally ending in IPv4. */
export function ipv6Valid(candidate: string): boolean {
  const halves = candidate.split("::");
  if (halves.length > 2) return false;
  let groups = 0;
  let hexDigits = 0;
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h] as string;
    if (half === "") continue;
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const last = h === halves.length - 1 && i === parts.length - 1;
      if (last && part.includes(".")) {
        if (!IPV4_TAIL.test(part)) return false;
        groups += 2;
      } else if (HEX_GROUP.test(part)) {
        groups += 1;
        hexDigits += part.length;
      } else {
        return false;
      }
    }
  }
  if (halves.length === 2) return groups <= 7 && (groups >= 2 || candidate === "::1");
  return groups === 8 && hexDigits > 0;
}

export const ipv6Detector: Detector = {
  entity: "IPV6",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (!features.has(F_COLONS)) return;
    // A candidate holds a colon and starts at most four hex digits before it.
    IPV6_CANDIDATE.lastIndex = Math.max(0, features.firstColon - 4);
    for (let m = IPV6_CANDIDATE.exec(text); m !== null; m = IPV6_CANDIDATE.exec(text)) {
      let candidate = m[0];
      while (candidate.endsWith(".")) candidate = candidate.slice(0, -1);
      if (candidate.length >= 6 && ipv6Valid(candidate)) {
        out.push({ entity: "IPV6", start: m.index, end: m.index + candidate.length });
      }
    }
    IPV6_CANDIDATE.lastIndex = 0;
  },
};

const MAC_DOTTED = /(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])/y;
const MAC_NOT_PERSONAL = /^(?:0{12}|f{12})$/i;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** `hh:hh:` or `hh-hh-` just before `at`: the only places a separated MAC can start. */
function macStartAt(text: string, sep: number): number {
  const start = sep - 2;
  if (start < 0) return -1;
  const c = text.charCodeAt(sep);
  if (
    isHex(text.charCodeAt(start)) &&
    isHex(text.charCodeAt(start + 1)) &&
    isHex(text.charCodeAt(sep + 1)) &&
    isHex(text.charCodeAt(sep + 2)) &&
    text.charCodeAt(sep + 3) === c
  ) {
    return start;
  }
  return -1;
}

const MAC_AT = /(?<![\w:.-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])/y;

function acceptMac(m: RegExpExecArray, out: Span[]): void {
  if (MAC_NOT_PERSONAL.test(m[0].replace(/[:.-]/g, ""))) return;
  out.push({ entity: "MAC", start: m.index, end: m.index + m[0].length });
}

/** Separated forms, looked for only where `hh:hh:` (or with dashes) occurs, from `first` on. */
function findSeparatedMacs(text: string, sep: string, first: number, out: Span[]): void {
  let from = first;
  for (let at = text.indexOf(sep, from); at !== -1; at = text.indexOf(sep, from)) {
    from = at + 1;
    const start = macStartAt(text, at);
    if (start === -1) continue;
    MAC_AT.lastIndex = start;
    const m = MAC_AT.exec(text);
    if (m !== null) {
      acceptMac(m, out);
      from = start + m[0].length;
    }
  }
}

export const macDetector: Detector = {
  entity: "MAC",
  find(text: string, out: Span[], features: TextFeatures): void {
    // Colon- and dot-separated forms need two colons or a dot.
    if (features.has(F_COLONS)) findSeparatedMacs(text, ":", features.firstColon, out);
    findSeparatedMacs(text, "-", 0, out);
    if (!features.has(F_DOT)) return;
    let from = 0;
    for (let dot = text.indexOf(".", from); dot !== -1; dot = text.indexOf(".", from)) {
      from = dot + 1;
      const start = dot - 4;
      if (start < 0 || text.charCodeAt(dot + 5) !== 46) continue;
      if (!isHex(text.charCodeAt(start)) || !isHex(text.charCodeAt(dot + 1))) continue;
      MAC_DOTTED.lastIndex = start;
      const m = MAC_DOTTED.exec(text);
      if (m !== null) {
        acceptMac(m, out);
        from = start + m[0].length;
      }
    }
  },
};

/**
 * TLDs that are also words or members in code (`user.name`, `process.id`, `item.info`): a
 * two-label name ending in one is not reported.
 */
const WEAK_TLDS: ReadonlySet<string> = new Set([
  ...FILE_EXTENSION_TLDS,
  ..."name id info at be by no us my re so is it in to me do as am an go tel int pro jobs cat page link host server store site top".split(
    " ",
  ),
]);

function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A bucket per (length, first letter, last letter) of lower-case TLDs up to 24 letters. */
function tldShape(length: number, first: number, last: number): number {
  return (length * 26 + (first - 97)) * 26 + (last - 97);
}

const TLD_SHAPES = new Uint8Array(25 * 26 * 26);
for (const tld of TLDS) {
  if (/^[a-z]{2,24}$/.test(tld)) {
    TLD_SHAPES[tldShape(tld.length, tld.charCodeAt(0), tld.charCodeAt(tld.length - 1))] = 1;
  }
}

/**
 * The hostname whose TLD starts after the dot at `dot`, or undefined. The TLD must be lower case
 * (a capitalised last label, `System.IO.File` or `ASP.NET`, is code), end the name, and be known.
 */
function hostnameAt(text: string, dot: number): Span | undefined {
  let end = dot + 1;
  while (end < text.length && isLower(text.charCodeAt(end))) end++;
  const tldLength = end - dot - 1;
  if (tldLength < 2 || tldLength > 24) return undefined;
  const after = text.charCodeAt(end);
  if (isWordChar(after) || after === 45 || after === 40) return undefined;
  if (after === 46 && isAlnum(text.charCodeAt(end + 1))) return undefined;
  // Length, first and last letter rule out most words before a slice and a set look-up.
  if (TLD_SHAPES[tldShape(tldLength, text.charCodeAt(dot + 1), text.charCodeAt(end - 1))] !== 1)
    return undefined;
  const tld = text.slice(dot + 1, end);
  if (!TLDS.has(tld)) return undefined;
  let start = dot;
  while (start > 0 && dot - start < 253) {
    const c = text.charCodeAt(start - 1);
    if (!isAlnum(c) && c !== 45 && c !== 46) break;
    start--;
  }
  const before = text.charCodeAt(start - 1);
  if (
    start > 0 &&
    (isWordChar(before) ||
      before === 64 ||
      before === 36 ||
      before === 37 ||
      before === 46 ||
      before === 45)
  ) {
    return undefined;
  }
  const name = text.slice(start, end);
  const labels = name.split(".");
  if (labels.length > 11 || !labels.every((l) => LABEL.test(l))) return undefined;
  if (labels.length === 2 && WEAK_TLDS.has(tld)) return undefined;
  // All-numeric leading labels with a TLD are rare hosts and common in versions (`1.2.net`).
  if (/^[\d.]+\.[a-z]+$/.test(name)) return undefined;
  return { entity: "HOSTNAME", start, end };
}

/** Driven by dots: only a dot followed by a known TLD costs more than a character test. */
export const hostnameDetector: Detector = {
  entity: "HOSTNAME",
  find(text: string, out: Span[], features: TextFeatures): void {
    if (!features.has(F_DOT)) return;
    let from = 0;
    for (let dot = text.indexOf(".", from); dot !== -1; dot = text.indexOf(".", from)) {
      from = dot + 1;
      if (!isLower(text.charCodeAt(dot + 1))) continue;
      const span = hostnameAt(text, dot);
      if (span !== undefined) {
        out.push(span);
        from = span.end;
      }
    }
  },
};
