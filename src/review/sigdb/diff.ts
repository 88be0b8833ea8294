/**
 * The diff of two database versions by signature name and content: a signature is keyed by the
 * file it is in and its name (ClamAV names repeat across files and, for hash lists, within one);
 * it is *added* or *removed* when its key is on one side only, and *changed* when the lines under
 * its key differ (compared as multisets, so reordering a file is not a change). Files are compared
 * by SHA-256 as well, which catches what has no signature names (COPYING, bytecode, the index).
 *
 * One pass over each side with a map from key to line text: linear in the database size.
 */
import type { SignatureDatabase } from "./database.js";
import type { Signature, SignatureKind } from "./model.js";

export interface DiffEntry {
  kind: SignatureKind;
  file: string;
  line: number;
  name: string;
  text: string;
}

export interface DiffChange {
  kind: SignatureKind;
  file: string;
  name: string;
  /** The new side's first line. */
  line: number;
  /** Lines only the old side has, then lines only the new side has. */
  old: string[];
  new: string[];
}

export interface SigdbDiff {
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: DiffChange[];
  unchanged: number;
  files: { added: string[]; removed: string[]; changed: string[] };
}

interface Group {
  first: Signature;
  /** Further signatures under the same key (a name that repeats in its file). */
  rest?: Signature[];
}

/** Signatures by file, then by name: no key strings built, one map per file. */
type Groups = Map<string, Map<string, Group>>;

function group(signatures: readonly Signature[]): Groups {
  const out: Groups = new Map();
  let file = "";
  let byName: Map<string, Group> | undefined;
  for (const s of signatures) {
    if (s.file !== file || !byName) {
      file = s.file;
      byName = out.get(file);
      if (!byName) {
        byName = new Map();
        out.set(file, byName);
      }
    }
    const g = byName.get(s.name);
    if (!g) byName.set(s.name, { first: s });
    else if (g.rest) g.rest.push(s);
    else g.rest = [s];
  }
  return out;
}

function entry(s: Signature): DiffEntry {
  return { kind: s.kind, file: s.file, line: s.line, name: s.name, text: s.text };
}

/** Lines of `a` not matched by a line of `b` (multiset difference). */
function minus(a: readonly string[], b: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const t of b) count.set(t, (count.get(t) ?? 0) + 1);
  const out: string[] = [];
  for (const t of a) {
    const n = count.get(t) ?? 0;
    if (n > 0) count.set(t, n - 1);
    else out.push(t);
  }
  return out;
}

export function diffDatabases(old: SignatureDatabase, next: SignatureDatabase): SigdbDiff {
  const before = group(old.signatures);
  const after = group(next.signatures);
  const diff: SigdbDiff = {
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
    files: { added: [], removed: [], changed: [] },
  };
  const all = (g: Group) => [g.first, ...(g.rest ?? [])];
  const texts = (g: Group) => all(g).map((s) => s.text);
  for (const [file, names] of after) {
    const oldNames = before.get(file);
    for (const [name, g] of names) {
      const o = oldNames?.get(name);
      if (!o) {
        for (const s of all(g)) diff.added.push(entry(s));
        continue;
      }
      if (!g.rest && !o.rest) {
        if (g.first.text === o.first.text) diff.unchanged++;
        else diff.changed.push(change(g.first, [o.first.text], [g.first.text]));
        continue;
      }
      const a = texts(o);
      const b = texts(g);
      const gone = minus(a, b);
      const come = minus(b, a);
      if (gone.length === 0 && come.length === 0) diff.unchanged++;
      else diff.changed.push(change(g.first, gone, come));
    }
  }
  for (const [file, names] of before) {
    const newNames = after.get(file);
    for (const [name, g] of names) {
      if (!newNames?.has(name)) for (const s of all(g)) diff.removed.push(entry(s));
    }
  }
  const oldFiles = new Map(old.files.map((f) => [f.name, f.sha256]));
  const newFiles = new Map(next.files.map((f) => [f.name, f.sha256]));
  for (const [name, sha] of newFiles) {
    const o = oldFiles.get(name);
    if (o === undefined) diff.files.added.push(name);
    else if (o !== sha) diff.files.changed.push(name);
  }
  for (const name of oldFiles.keys()) if (!newFiles.has(name)) diff.files.removed.push(name);
  return diff;
}

function change(s: Signature, old: string[], next: string[]): DiffChange {
  return { kind: s.kind, file: s.file, name: s.name, line: s.line, old, new: next };
}

export function isEmptyDiff(d: SigdbDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
