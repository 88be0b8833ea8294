/**
 * The container as a whole: integrity (signatures over it verify, its index matches its files)
 * and header sanity (the version goes up by exactly one, the signature count is what ClamAV's
 * loader counts, the functionality level is plausible, time moves forward).
 *
 * Integrity failures are `critical`: ClamAV refuses such a database, or it was changed after it
 * was signed. Header inconsistencies are `medium` to `high`: ClamAV loads the database, but what
 * it says about itself is not true, and freshclam decides updates on it.
 */
import { type Finding, makeFinding, type Severity } from "../../finding.js";
import { type ContainerHeader, parseHeader } from "../container.js";
import { loadedCount } from "../counting.js";
import type { SignatureDatabase } from "../database.js";
import { CURRENT_FL } from "../formats/body.js";

/** Levels above the reference engine's by more than this are beyond any released engine. */
const FUTURE_MARGIN = 100;

function at(db: SignatureDatabase, file?: string) {
  return { file: file ?? db.name, line: 1, column: 1 };
}

export function integrityFindings(db: SignatureDatabase): Finding[] {
  const out: Finding[] = [];
  const push = (severity: Severity, message: string, evidence: string[], file?: string, line = 1) =>
    out.push(
      makeFinding(
        "integrity",
        severity,
        file ?? db.name,
        { ...at(db, file), line },
        message,
        evidence,
      ),
    );
  const v = db.verification;
  if (v && db.header) {
    if (v.md5 === "mismatch" && db.source !== "cud") {
      push(
        "critical",
        `The container's content does not have the MD5 its header states: it was changed after it was built.`,
        [`header MD5 ${db.header.md5}`, `content MD5 ${v.computedMd5}`],
      );
    }
    if (v.signature === "invalid") {
      push(
        "critical",
        "The container header's digital signature does not verify with ClamAV's CVD key: ClamAV did not sign this content, or it was changed since (sigtool --info would refuse it).",
        [`signature ${db.header.digitalSignature.slice(0, 40)}…`, `MD5 ${db.header.md5}`],
      );
    } else if (v.signature === "absent" && db.source === "cvd") {
      push(
        "high",
        "The CVD's header carries no digital signature; ClamAV refuses an unsigned .cvd.",
        [db.header.raw],
      );
    } else if (db.source === "cud") {
      push(
        "info",
        "The container is unsigned (a .cud from sigtool --build --unsigned): only the release's own signature vouches for it.",
        [db.header.raw],
      );
    }
  }
  const info = db.info;
  if (info) {
    if (info.signature === "invalid") {
      push(
        "critical",
        `The index ${info.file} has a DSIG that does not verify with ClamAV's .info key.`,
        [info.file],
        info.file,
      );
    } else if (info.signature === "absent" && (db.source === "cvd" || db.source === "cld")) {
      push(
        "high",
        `The index ${info.file} of a signed container has no DSIG line; ClamAV refuses it.`,
        [info.file],
        info.file,
      );
    }
    if (db.header && info.header) {
      try {
        const h = parseHeader(Buffer.from(info.header, "latin1"), info.file);
        const differ = (
          ["version", "signatures", "functionalityLevel", "builder", "buildSeconds"] as const
        ).filter((k) => h[k] !== db.header?.[k]);
        if (differ.length > 0 && db.header !== undefined && db.verification) {
          push(
            "medium",
            `The index ${info.file} and the container header disagree on ${differ.join(", ")}.`,
            [`header: ${db.header.raw}`, `index:  ${info.header}`],
            info.file,
          );
        }
      } catch (err) {
        push(
          "high",
          `The index ${info.file} does not start with a ClamAV header: ${(err as Error).message}`,
          [info.header],
          info.file,
        );
      }
    }
  }
  for (const i of db.issues) {
    if (i.code === "E_SIGDB_INFO_MISSING" || i.code === "E_SIGDB_INFO_MISMATCH") {
      push("critical", i.message, [i.message], i.file, i.line || 1);
    } else if (i.code === "E_SIGDB_INFO_EXTRA") {
      push("medium", i.message, [i.message], i.file, i.line || 1);
    } else if (i.code === "E_SIGDB_INFO") {
      push("high", i.message, [i.message], i.file, i.line || 1);
    }
  }
  if (db.cdiff) {
    if (db.cdiff.signature === "invalid") {
      push(
        "critical",
        `The update ${db.cdiff.name} has a signature that does not verify with ClamAV's .cdiff key.`,
        [db.cdiff.name],
        db.cdiff.name,
      );
    } else if (db.cdiff.signature === "absent") {
      push(
        "high",
        `The update ${db.cdiff.name} is not signed; freshclam refuses unsigned cdiffs.`,
        [db.cdiff.name],
        db.cdiff.name,
      );
    }
  }
  return out;
}

export function headerFindings(
  db: SignatureDatabase,
  previous: SignatureDatabase | undefined,
): Finding[] {
  const out: Finding[] = [];
  const h = db.header;
  if (!h) return out;
  const push = (severity: Severity, message: string, evidence: string[]) =>
    out.push(makeFinding("header", severity, db.name, at(db), message, evidence));
  const counted = loadedCount(db.signatures, h.functionalityLevel);
  if (counted !== h.signatures) {
    push(
      "medium",
      `The header says ${h.signatures} signatures; ClamAV's loader at functionality level ${h.functionalityLevel} counts ${counted}.`,
      [h.raw, `signatures counted: ${counted}`],
    );
  }
  if (h.functionalityLevel < 1 || h.functionalityLevel > CURRENT_FL + FUTURE_MARGIN) {
    push(
      "medium",
      `The functionality level ${h.functionalityLevel} is implausible: released engines range from 1 to about ${CURRENT_FL}.`,
      [h.raw],
    );
  }
  const p: ContainerHeader | undefined = previous?.header;
  if (p) {
    if (h.version !== p.version + 1) {
      push(
        "high",
        h.version <= p.version
          ? `The version goes from ${p.version} to ${h.version}: not forward, so freshclam would not install it, or it replays an old database.`
          : `The version goes from ${p.version} to ${h.version}: it skips ${h.version - p.version - 1} version${h.version - p.version - 1 === 1 ? "" : "s"} that were never reviewed.`,
        [`previous: ${p.raw}`, `this: ${h.raw}`],
      );
    }
    if (h.functionalityLevel < p.functionalityLevel) {
      push(
        "medium",
        `The functionality level goes down from ${p.functionalityLevel} to ${h.functionalityLevel}.`,
        [`previous: ${p.raw}`, `this: ${h.raw}`],
      );
    }
    if (h.buildSeconds !== 0 && p.buildSeconds !== 0 && h.buildSeconds < p.buildSeconds) {
      push("medium", "The build time goes back compared with the previous database.", [
        `previous: ${p.raw}`,
        `this: ${h.raw}`,
      ]);
    }
    if (h.builder !== p.builder) {
      push("info", `The builder changed from ${p.builder} to ${h.builder}.`, [
        `previous: ${p.raw}`,
        `this: ${h.raw}`,
      ]);
    }
  }
  return out;
}
