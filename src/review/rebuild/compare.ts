/**
 * Explains why a rebuilt artifact is not the released one, in terms a reviewer can check: for
 * archives (tar, tgz and npm tarballs, gzip, zip and jar) the members only one side has, members
 * whose bytes differ (with the first differing line of text members), members whose metadata
 * differs (mode, owner, mtime, zip times and attributes…, each field with both values), a member
 * order that differs, and the wrapper's own fields (a gzip header's mtime); nested archives are
 * opened once more. For any other file: the sizes and the first differing byte. Released values
 * come first, rebuilt second.
 */
import type { RebuildDifference } from "../../attest/index.js";
import {
  type ArchiveListing,
  type ArchiveMember,
  ArchiveUnreadable,
  listArchive,
} from "./archive.js";

/** Files larger than this are compared by digest only. */
export const MAX_EXPLAINED_SIZE = 256 << 20;
const MAX_TEXT_DIFF = 1 << 20;
const NESTED_DEPTH = 1;

export function compareArtifacts(
  artifact: string,
  released: Buffer,
  rebuilt: Buffer,
): RebuildDifference[] {
  if (released.equals(rebuilt)) return [];
  let a: ArchiveListing | undefined;
  let b: ArchiveListing | undefined;
  try {
    a = listArchive(released);
    b = listArchive(rebuilt);
  } catch (err) {
    if (!(err instanceof ArchiveUnreadable)) throw err;
    return [
      ...wholeFile(artifact, "", released, rebuilt),
      {
        artifact,
        member: "",
        kind: "container",
        detail: `One side is an archive that cannot be read member by member: ${err.message}.`,
      },
    ];
  }
  if (a && b && a.format === b.format) return compareListings(artifact, "", a, b, 0);
  const differences = wholeFile(artifact, "", released, rebuilt);
  if (a || b) {
    differences.push({
      artifact,
      member: "",
      kind: "container",
      detail: `The released file is ${a ? `a ${a.format} archive` : "no archive"}; the rebuilt one is ${b ? `a ${b.format} archive` : "no archive"}.`,
    });
  }
  return differences;
}

function compareListings(
  artifact: string,
  prefix: string,
  a: ArchiveListing,
  b: ArchiveListing,
  depth: number,
): RebuildDifference[] {
  const out: RebuildDifference[] = [];
  const container = fieldChanges(a.container, b.container);
  if (container) {
    out.push({ artifact, member: prefix, kind: "container", detail: `${a.format}: ${container}` });
  }
  const before = new Map(a.members.map((m) => [m.path, m]));
  const after = new Map(b.members.map((m) => [m.path, m]));
  for (const m of a.members) {
    if (!after.has(m.path)) {
      out.push({ artifact, member: prefix + m.path, kind: "only-released", detail: describe(m) });
    }
  }
  for (const m of b.members) {
    if (!before.has(m.path)) {
      out.push({ artifact, member: prefix + m.path, kind: "only-rebuilt", detail: describe(m) });
    }
  }
  for (const m of a.members) {
    const n = after.get(m.path);
    if (!n) continue;
    const member = prefix + m.path;
    if (m.type !== n.type || m.size !== n.size || m.sha256 !== n.sha256) {
      out.push({ artifact, member, kind: "content", detail: contentDetail(m, n) });
      const nested = nestedListings(m, n, depth);
      if (nested)
        out.push(...compareListings(artifact, `${member}!`, nested[0], nested[1], depth + 1));
    }
    const meta = fieldChanges(m.meta, n.meta);
    if (meta) out.push({ artifact, member, kind: "metadata", detail: meta });
  }
  const common = (list: ArchiveMember[], other: Map<string, ArchiveMember>) =>
    list.map((m) => m.path).filter((p) => other.has(p));
  const orderA = common(a.members, after);
  const orderB = common(b.members, before);
  const at = orderA.findIndex((p, i) => orderB[i] !== p);
  if (at >= 0) {
    out.push({
      artifact,
      member: prefix,
      kind: "order",
      detail: `The members are in another order: position ${at + 1} holds ${orderA[at]} in the released archive and ${orderB[at]} in the rebuilt one.`,
    });
  }
  return out;
}

function nestedListings(
  m: ArchiveMember,
  n: ArchiveMember,
  depth: number,
): [ArchiveListing, ArchiveListing] | undefined {
  if (depth >= NESTED_DEPTH || !m.data || !n.data) return undefined;
  try {
    const a = listArchive(m.data);
    const b = listArchive(n.data);
    return a && b && a.format === b.format ? [a, b] : undefined;
  } catch {
    return undefined;
  }
}

function describe(m: ArchiveMember): string {
  const fields = Object.entries(m.meta).map(([k, v]) => `${k} ${v}`);
  return `${m.type}, ${m.size} bytes${m.sha256 ? `, sha256 ${m.sha256}` : ""}; ${fields.join(", ")}`;
}

/** "field: released → rebuilt; …" for the fields that differ, or "" when none does. */
function fieldChanges(
  a: Record<string, string | number>,
  b: Record<string, string | number>,
): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys
    .filter((k) => a[k] !== b[k])
    .map((k) => `${k}: ${a[k] ?? "(none)"} → ${b[k] ?? "(none)"}`)
    .join("; ");
}

function contentDetail(m: ArchiveMember, n: ArchiveMember): string {
  const parts = [
    m.type === n.type ? `${m.type}` : `${m.type} → ${n.type}`,
    `${m.size} → ${n.size} bytes`,
    `sha256 ${m.sha256 ?? "-"} → ${n.sha256 ?? "-"}`,
  ];
  const line = m.data && n.data ? firstDifferingLine(m.data, n.data) : undefined;
  if (line) parts.push(line);
  return parts.join("; ");
}

/** For two UTF-8 texts: the first line that differs, both versions (shortened). */
function firstDifferingLine(a: Buffer, b: Buffer): string | undefined {
  if (a.length > MAX_TEXT_DIFF || b.length > MAX_TEXT_DIFF) return undefined;
  if (a.includes(0) || b.includes(0)) return undefined;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let left: string[];
  let right: string[];
  try {
    left = decoder.decode(a).split("\n");
    right = decoder.decode(b).split("\n");
  } catch {
    return undefined;
  }
  const at = left.findIndex((l, i) => right[i] !== l);
  const line = at < 0 ? left.length : at;
  const show = (text: string | undefined) =>
    text === undefined
      ? "(no line)"
      : JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return `first differing line ${line + 1}: ${show(left[line])} → ${show(right[line])}`;
}

function wholeFile(
  artifact: string,
  member: string,
  released: Buffer,
  rebuilt: Buffer,
): RebuildDifference[] {
  const length = Math.min(released.length, rebuilt.length);
  let at = 0;
  while (at < length && released[at] === rebuilt[at]) at++;
  const elf = released.subarray(0, 4).toString("latin1") === "\x7fELF" ? " (an ELF file)" : "";
  return [
    {
      artifact,
      member,
      kind: "content",
      detail: `${released.length} → ${rebuilt.length} bytes${elf}; the first difference is at byte offset ${at}.`,
    },
  ];
}
