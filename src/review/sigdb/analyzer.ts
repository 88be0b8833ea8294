/**
 * The release pipeline's analyzer for the `sigdb` channel. It reads the release's artifacts as one
 * signature database (a CVD/CLD/CUD container, a tar(.gz) of database files, or the files
 * themselves), diffs it against the database of the channel's previous published release when
 * there is one, runs the database findings, and maps all of it to the pipeline's findings model:
 *
 *   - one `info` finding with the diff (counts, and every added, removed and changed signature),
 *   - one finding per review finding, its severity kept, its review id in the evidence,
 *   - `medium` for every malformed line (ClamAV refuses the database over it), `low` for
 *     signatures ClamAV would skip and files this review does not read,
 *   - a `.cdiff` artifact is applied to the previous database, as freshclam would; when the same
 *     release also carries the full database, the two must be identical (`critical` otherwise),
 *   - `critical` when the database itself is refused (a member escaping its folder, a bomb, a
 *     corrupt container): returned as a finding, not thrown, so the reviewer sees why.
 *
 * The pipeline's types are restated structurally (review does not import the release service),
 * as the rules analyzer does; the service registers this object as one of its analyzers.
 */
import { readFileSync } from "node:fs";
import type { ReleasePredicate } from "../../attest/index.js";
import { isCrosscheckError } from "../../errors/index.js";
import {
  FindingList,
  type PipelineFinding,
  type PreviousArtifacts,
  type ReleaseArtifactFile,
} from "../rules/analyzer.js";
import {
  applyCdiffToDatabase,
  databaseFromFiles,
  openDatabaseWithFiles,
  type ReadOptions,
  type SignatureDatabase,
} from "./database.js";
import { diffDatabases, type SigdbDiff } from "./diff.js";
import { analyzeDatabase } from "./findings/index.js";

export const SIGDB_ANALYZER = "clamav-sigdb";
export const SIGDB_ANALYZER_VERSION = "0.1.0";

export interface SigdbAnalyzerOptions {
  previous?: PreviousArtifacts;
  read?: Omit<ReadOptions, "name">;
}

interface Loaded {
  db: SignatureDatabase;
  members: Map<string, Buffer>;
  artifactOf: (file: string) => string;
}

function isCdiff(name: string): boolean {
  return name.toLowerCase().endsWith(".cdiff");
}

/** The artifacts (cdiffs aside) as one database, with its files' bytes. */
function load(
  artifacts: readonly ReleaseArtifactFile[],
  name: string,
  options: SigdbAnalyzerOptions,
): Loaded | undefined {
  const full = artifacts.filter((a) => !isCdiff(a.name));
  if (full.length === 0) return undefined;
  const read = options.read ?? {};
  if (full.length === 1) {
    const a = full[0] as ReleaseArtifactFile;
    // The artifact's own name says CVD, CLD or CUD; the database is shown as the release.
    const { db, files } = openDatabaseWithFiles(a.name, readFileSync(a.path), read);
    db.name = name;
    return { db, members: files, artifactOf: () => a.name };
  }
  const files = full.map((a) => ({ name: a.name, bytes: readFileSync(a.path) }));
  const db = databaseFromFiles(name, files, read);
  return { db, members: new Map(files.map((f) => [f.name, f.bytes])), artifactOf: (file) => file };
}

function diffMessage(d: SigdbDiff): string {
  return `Compared with the previous published database: ${d.added.length} signatures added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged.`;
}

export function sigdbAnalyzer(options: SigdbAnalyzerOptions = {}) {
  return {
    name: SIGDB_ANALYZER,
    version: SIGDB_ANALYZER_VERSION,
    channels: ["sigdb"] as const,
    async analyze(
      release: ReleasePredicate,
      artifacts: readonly ReleaseArtifactFile[],
    ): Promise<PipelineFinding[]> {
      const out = new FindingList(SIGDB_ANALYZER);
      const all = artifacts.length === 1 ? (artifacts[0] as ReleaseArtifactFile).name : "*";
      let previous: Loaded | undefined;
      const previousArtifacts = await options.previous?.(release);
      if (previousArtifacts) {
        try {
          previous = load(previousArtifacts, "previous", options);
        } catch (err) {
          // A previous database that cannot be read is only a missing diff, not a finding here.
          if (!isCrosscheckError(err)) throw err;
        }
      }
      let next: Loaded | undefined;
      const name = `sigdb ${release.version}`;
      try {
        next = load(artifacts, name, options);
        for (const c of artifacts.filter((a) => isCdiff(a.name))) {
          if (!previous) {
            out.push(
              "high",
              c.name,
              `The update ${c.name} cannot be checked: there is no previous published database to apply it to.`,
              {},
            );
            continue;
          }
          const updated = applyCdiffToDatabase(previous.members, c.name, readFileSync(c.path), {
            ...(options.read ?? {}),
            name,
          });
          if (!next) {
            next = { db: updated, members: new Map(), artifactOf: () => c.name };
            continue;
          }
          const mismatch = compareFiles(updated, next.db);
          if (mismatch.length > 0) {
            out.push(
              "critical",
              c.name,
              `Applying ${c.name} to the previous database does not give the full database of this release: ${mismatch.join("; ")}. Endpoints updating by cdiff and by full download would run different signatures.`,
              { differences: mismatch },
            );
          } else {
            out.push(
              "info",
              c.name,
              `Applying ${c.name} to the previous database gives exactly the full database of this release.`,
              {},
            );
          }
        }
      } catch (err) {
        if (!isCrosscheckError(err)) throw err;
        out.push("critical", all, `The signature database is refused: ${err.message}`, {
          code: err.code,
        });
        return out.findings;
      }
      if (!next) {
        out.push("high", all, "The release holds no signature database.", {});
        return out.findings;
      }
      const db = next.db;
      const diff = previous ? diffDatabases(previous.db, db) : undefined;
      if (diff) out.push("info", all, diffMessage(diff), { diff });
      else {
        out.push(
          "info",
          all,
          `No previous published database to compare with: all ${db.signatures.length} signatures are new.`,
          { signatures: db.signatures.length },
        );
      }
      for (const i of db.issues) {
        const minor =
          i.code === "E_SIGDB_NOT_LOADED" ||
          i.code === "E_SIGDB_NOT_REVIEWED" ||
          i.code === "E_SIGDB_UNKNOWN_FILE";
        if (i.code.startsWith("E_SIGDB_INFO")) continue; // integrity findings below say these
        out.push(
          minor ? "low" : "medium",
          next.artifactOf(i.file),
          minor ? i.message : `A malformed line: ClamAV refuses the database over it. ${i.message}`,
          { code: i.code, file: i.file, line: i.line },
          `${i.file}:${i.line}`,
        );
      }
      const findings = analyzeDatabase(db, {
        ...(previous ? { previous: previous.db } : {}),
        ...(diff ? { diff } : {}),
      });
      for (const f of findings) {
        out.push(
          f.severity,
          next.artifactOf(f.location.file),
          f.message,
          {
            findingId: f.id,
            category: f.category,
            signature: f.rule,
            line: f.location.line,
            evidence: f.evidence,
          },
          `${f.location.file}:${f.location.line}`,
        );
      }
      return out.findings;
    },
  };
}

/** Files that differ between two databases (names and SHA-256), COPYING and indexes included. */
function compareFiles(a: SignatureDatabase, b: SignatureDatabase): string[] {
  const left = new Map(a.files.map((f) => [f.name, f.sha256]));
  const right = new Map(b.files.map((f) => [f.name, f.sha256]));
  const out: string[] = [];
  for (const [n, sha] of right) {
    const o = left.get(n);
    if (o === undefined) out.push(`${n} is only in the full database`);
    else if (o !== sha) out.push(`${n} differs`);
  }
  for (const n of left.keys()) if (!right.has(n)) out.push(`${n} is only in the updated one`);
  return out;
}
