/**
 * The `.info` index of a container (libclamav readdb.c cli_loadinfo): its first line repeats the
 * container header, then one `file:size:sha256` line per database file, then (in signed
 * containers) `DSIG:` with ClamAV's `.info` key over the SHA-256 of every line before it.
 * libclamav refuses a database file that the index does not list or whose size or SHA-256
 * differ; we check the same, and also report what the index lists but the container lacks.
 */
import { createHash } from "node:crypto";
import { type ClamavKeys, verifySha256Signature } from "../dsig.js";
import type { LineIssue } from "../model.js";
import { lineIssue } from "./fields.js";

export interface InfoEntry {
  file: string;
  size: number;
  sha256: string;
  line: number;
}

export interface InfoIndex {
  file: string;
  /** The `ClamAV-VDB:` line, when present. */
  header?: string;
  entries: InfoEntry[];
  signature: "valid" | "invalid" | "absent";
  key?: string;
  issues: LineIssue[];
}

export function parseInfo(file: string, bytes: Buffer, keys: ClamavKeys): InfoIndex {
  const text = bytes.toString("latin1");
  const out: InfoIndex = { file, entries: [], signature: "absent", issues: [] };
  const hash = createHash("sha256");
  let at = 0;
  let no = 0;
  while (at < text.length) {
    let to = text.indexOf("\n", at);
    if (to < 0) to = text.length;
    no++;
    const raw = text.slice(at, to);
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("DSIG:")) {
      const ok = verifySha256Signature(hash.digest(), line.slice(5), keys.info);
      out.signature = ok ? "valid" : "invalid";
      if (ok) out.key = keys.info.name;
      break;
    }
    hash.update(`${raw}\n`, "latin1");
    at = to + 1;
    if (line.startsWith("ClamAV-VDB:")) {
      out.header = line;
      continue;
    }
    if (line === "" && at >= text.length) break;
    const f = line.split(":");
    if (
      f.length !== 3 ||
      !/^\d+$/.test(f[1] as string) ||
      !/^[0-9a-fA-F]{64}$/.test(f[2] as string)
    ) {
      out.issues.push(lineIssue(file, no, "E_SIGDB_INFO", "an index line is file:size:sha256"));
      continue;
    }
    out.entries.push({
      file: f[0] as string,
      size: Number(f[1]),
      sha256: (f[2] as string).toLowerCase(),
      line: no,
    });
  }
  return out;
}

/** Extensions of files libclamav loads from a container, which its `.info` must list. */
const LOADED =
  /\.(?:db|hdb|hdu|fp|mdb|mdu|hsb|hsu|sfp|msb|msu|ndb|ndu|ldb|ldu|sdb|zmd|rmd|pdb|gdb|wdb|cbc|ftm|cfg|cdb|cat|crb|idb|ioc|yar|yara|pwdb|ign|ign2|imp)$/i;

/** Differences between the index and the files: each one a reason ClamAV refuses, or a gap. */
export function checkInfo(
  info: InfoIndex,
  files: readonly { name: string; size: number; sha256: string }[],
): LineIssue[] {
  const problems: LineIssue[] = [...info.issues];
  const listed = new Map(info.entries.map((e) => [e.file, e]));
  for (const f of files) {
    if (!LOADED.test(f.name)) continue;
    const e = listed.get(f.name);
    if (!e) {
      problems.push(
        lineIssue(
          info.file,
          0,
          "E_SIGDB_INFO_MISSING",
          `${f.name} is in the database but not in the index; ClamAV refuses it`,
        ),
      );
    } else if (e.size !== f.size || e.sha256 !== f.sha256) {
      problems.push(
        lineIssue(
          info.file,
          e.line,
          "E_SIGDB_INFO_MISMATCH",
          `the index lists ${f.name} with ${e.size} bytes and SHA-256 ${e.sha256}, but the file has ${f.size} bytes and SHA-256 ${f.sha256}; ClamAV refuses it`,
        ),
      );
    }
  }
  const present = new Set(files.map((f) => f.name));
  for (const e of info.entries) {
    if (!present.has(e.file)) {
      problems.push(
        lineIssue(
          info.file,
          e.line,
          "E_SIGDB_INFO_EXTRA",
          `the index lists ${e.file}, which the database does not hold`,
        ),
      );
    }
  }
  return problems;
}
