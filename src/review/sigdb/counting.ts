/**
 * Two ways ClamAV's own tools count a database, reproduced so ours can be checked against them:
 *
 * - `listedNames`: the names `sigtool --list-sigs` prints (sigtool.c listdb): hash files' name
 *   field, body, logical and container signatures' names, a bytecode's logical signature name,
 *   and certificate lines whole. Allow lists, ignore lists, phishing lists, file types, icons and
 *   configuration are not listed.
 * - `loadedCount`: the count `sigtool --build` writes into the header, which is what libclamav's
 *   loader reports at that functionality level: every signature whose level range includes it
 *   and that ClamAV does not skip, counting hash and allow-list entries, body, logical, container
 *   and icon signatures, phishing domain lists (.pdb, .gdb), YARA rules and bytecode logical
 *   signatures; not ignore lists, .wdb, .ftm, .crb or .cfg. Signatures the database's own ignore
 *   lists switch off are not loaded, so not counted (libclamav reads ignore lists first).
 */
import { createHash } from "node:crypto";
import type { Signature } from "./model.js";

export function listedNames(signatures: readonly Signature[]): string[] {
  const out: string[] = [];
  for (const s of signatures) {
    switch (s.kind) {
      case "hash":
      case "body":
      case "logical":
      case "container":
        out.push(s.name);
        break;
      case "bytecode":
        if (s.logical !== undefined) out.push(s.name);
        break;
      case "certificate":
        out.push(s.text);
        break;
      default:
        break;
    }
  }
  return out;
}

function inRange(s: Signature, level: number): boolean {
  return (s.minFl === undefined || s.minFl <= level) && (s.maxFl === undefined || s.maxFl >= level);
}

/** Whether libclamav at `level` loads and counts this signature. */
export function countedAt(s: Signature, level: number): boolean {
  if (s.skipped || !inRange(s, level)) return false;
  switch (s.kind) {
    case "hash":
    case "allow":
    case "body":
    case "logical":
    case "container":
    case "icon":
    case "yara":
      return true;
    case "phishing":
      return s.list !== "wdb";
    case "bytecode":
      return s.logical !== undefined;
    default:
      return false;
  }
}

/** `cli_signorm`: a signature name as an ignore list compares it. */
export function ignoreName(name: string): string {
  if (name.endsWith("}")) {
    const brace = name.indexOf(".{");
    if (brace >= 0) return name.slice(0, brace);
  }
  return name.endsWith(".UNOFFICIAL") ? name.slice(0, -".UNOFFICIAL".length) : name;
}

/** Whether the ignore entries (name → line MD5s, "" for any line) switch this signature off. */
export function ignored(s: Signature, entries: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const md5s = entries.get(ignoreName(s.name));
  if (!md5s) return false;
  if (md5s.has("")) return true;
  const line = s.kind === "yara" ? s.name : s.text;
  return md5s.has(createHash("md5").update(line, "latin1").digest("hex"));
}

export function ignoreEntries(signatures: readonly Signature[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of signatures) {
    if (s.kind !== "ignore") continue;
    let set = out.get(s.ignored);
    if (!set) {
      set = new Set();
      out.set(s.ignored, set);
    }
    set.add(s.lineMd5 ?? "");
  }
  return out;
}

export function loadedCount(signatures: readonly Signature[], level: number): number {
  const entries = ignoreEntries(signatures);
  let n = 0;
  for (const s of signatures) {
    if (countedAt(s, level) && (entries.size === 0 || !ignored(s, entries))) n++;
  }
  return n;
}
