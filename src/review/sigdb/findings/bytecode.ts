/**
 * Bytecode: every `.cbc` file added or changed is raised for a person to review, whatever it
 * says it does — it is a program the engine runs on every file it triggers on, and no finding
 * category can vouch for code. The finding lists what the file declares (kind, author, build
 * time, trigger, the ClamAV API functions it calls), so the reviewer knows what to ask for.
 */
import { type Finding, makeFinding } from "../../finding.js";
import type { SignatureDatabase } from "../database.js";
import { type BytecodeSignature, locationOf } from "../model.js";

function describe(b: BytecodeSignature): string[] {
  return [
    `file ${b.file}: ${b.size} bytes, SHA-256 ${b.sha256}`,
    `kind: ${b.kindName}; format level ${b.formatLevel}; functionality levels ${b.minFunctionality || "any"}–${b.maxFunctionality || "any"}`,
    `built ${new Date(b.timestamp * 1000).toISOString()} by ${b.sigmaker || "(unnamed)"} with ${b.compiler || "(unnamed compiler)"}; ${b.functions} function${b.functions === 1 ? "" : "s"}`,
    `trigger: ${b.logical ?? "none (runs as a hook)"}`,
    `ClamAV API calls: ${b.apis.length > 0 ? b.apis.join(", ") : "none declared"}`,
  ];
}

export function bytecodeFindings(
  next: SignatureDatabase,
  previous: SignatureDatabase | undefined,
): Finding[] {
  const out: Finding[] = [];
  const before = new Map<string, BytecodeSignature>();
  for (const s of previous?.signatures ?? []) if (s.kind === "bytecode") before.set(s.file, s);
  const now = new Set<string>();
  for (const s of next.signatures) {
    if (s.kind !== "bytecode") continue;
    now.add(s.file);
    const old = before.get(s.file);
    if (old && old.sha256 === s.sha256) continue;
    out.push(
      makeFinding(
        "bytecode",
        "high",
        `${s.file}:${s.name}`,
        locationOf(s),
        old
          ? `The bytecode ${s.file} (${s.name}) changed: it is code the engine runs, and needs a person to review it.`
          : `The bytecode ${s.file} (${s.name}) is new: it is code the engine runs, and needs a person to review it.`,
        [...describe(s), ...(old ? [`previous SHA-256 ${old.sha256}`] : [])],
      ),
    );
  }
  for (const [file, old] of before) {
    if (now.has(file)) continue;
    out.push(
      makeFinding(
        "bytecode",
        "low",
        `${file}:${old.name}`,
        { file, line: 1, column: 1 },
        `The bytecode ${file} (${old.name}) was removed.`,
        describe(old),
      ),
    );
  }
  // A bytecode file the header reader could not read is still code: raise it too.
  for (const i of next.issues) {
    if (i.code !== "E_SIGDB_BYTECODE") continue;
    out.push(
      makeFinding(
        "bytecode",
        "high",
        i.file,
        { file: i.file, line: 1, column: 1 },
        `The bytecode ${i.file} cannot be read: ${i.message}`,
        [i.message],
      ),
    );
  }
  return out;
}
