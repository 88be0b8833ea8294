/**
 * Our reading of ClamAV's own test databases (../shared/corpora/clamav, read in place) against
 * Debian's sigtool: header fields and verification as `sigtool --info` prints them, signature
 * names as `--list-sigs` lists them, files and bytes as `--unpack` writes them; every cdiff
 * applied to version N gives version N+1's content; every header and index signature verifies;
 * and a changed byte is caught where sigtool catches it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrosscheckError } from "../src/errors/index.js";
import {
  applyCdiff,
  CLAMAV_KEYS,
  DEFAULT_SIGDB_LIMITS,
  databaseMembers,
  listedNames,
  loadedCount,
  readCdiff,
  readDatabase,
  readUpdatedDatabase,
  reviewDatabases,
} from "../src/review/sigdb/index.js";
import {
  requireSigtoolUnderCi,
  SIGTOOL,
  sigtoolInfo,
  sigtoolListSigs,
  tempRoot,
} from "./support/sigtool.js";

const CORPUS = new URL("../../shared/corpora/clamav/", import.meta.url).pathname;
const TEST = join(CORPUS, "freshclam_testfiles");
const CVDS = [1, 2, 3, 4, 5, 6].map((i) => join(TEST, `test-${i}.cvd`));
const CONTAINERS = [...CVDS, join(CORPUS, "bytecode_sigs", "bytecode.cvd")];
const SIGNATURE_FILES = [
  join(CORPUS, "clamav.hdb"),
  ...readdirSync(join(CORPUS, "other_sigs")).map((f) => join(CORPUS, "other_sigs", f)),
  ...readdirSync(join(CORPUS, "embedded_testfiles", "signatures")).map((f) =>
    join(CORPUS, "embedded_testfiles", "signatures", f),
  ),
].sort();

const available = requireSigtoolUnderCi();

describe.skipIf(!available)("ClamAV's test databases against sigtool", () => {
  let root = "";
  beforeAll(() => {
    root = tempRoot("crosscheck-sigdb-corpus-");
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("reads every file: no malformed line; only ClamAV's retired end-of-life notice is skipped", () => {
    let signatures = 0;
    for (const path of [...CONTAINERS, ...SIGNATURE_FILES]) {
      const db = readDatabase(path);
      signatures += db.signatures.length;
      for (const i of db.issues) {
        expect(i.code, i.message).toBe("E_SIGDB_NOT_LOADED");
        expect(i.message).toContain("Win.Trojan.EOL-1");
      }
    }
    console.log(
      `sigdb corpus: ${CONTAINERS.length} containers and ${SIGNATURE_FILES.length} signature files, ${signatures} signatures read`,
    );
    expect(signatures).toBeGreaterThan(250);
  });

  it("reads the headers sigtool --info prints, and verifies them as it does", () => {
    for (const path of CONTAINERS) {
      const db = readDatabase(path);
      const info = sigtoolInfo(path);
      const h = db.header;
      expect(info.status, info.out).toBe(0);
      expect(info.out).toContain("Verification OK.");
      // sigtool shows the build time with its first '-' as ':' ("22 Jun 2021 14:58 -0400").
      expect(info.fields.get("Build time")).toBe(h?.buildTime.replace("-", ":"));
      expect(info.fields.get("Version")).toBe(String(h?.version));
      expect(info.fields.get("Signatures")).toBe(String(h?.signatures));
      expect(info.fields.get("Functionality level")).toBe(String(h?.functionalityLevel));
      expect(info.fields.get("Builder")).toBe(h?.builder);
      expect(info.fields.get("MD5")).toBe(h?.md5);
      expect(info.fields.get("Digital signature")).toBe(h?.digitalSignature);
      expect(db.verification).toMatchObject({
        md5: "match",
        signature: "valid",
        key: CLAMAV_KEYS.cvd.name,
      });
      expect(db.info?.signature).toBe("valid");
      // The header's count is what libclamav loads at the header's level.
      expect(loadedCount(db.signatures, h?.functionalityLevel ?? 0)).toBe(h?.signatures);
      // Nothing to say about a genuine database's integrity.
      expect(
        reviewDatabases(undefined, db).findings.filter((f) => f.category === "integrity"),
      ).toEqual([]);
    }
  });

  it("lists the signature names sigtool --list-sigs lists", () => {
    let names = 0;
    for (const path of [...CONTAINERS, ...SIGNATURE_FILES]) {
      const ours = listedNames(readDatabase(path).signatures).sort();
      expect(ours, path).toEqual(sigtoolListSigs(path).sort());
      names += ours.length;
    }
    console.log(`sigdb corpus: ${names} names equal to sigtool --list-sigs`);
    expect(names).toBeGreaterThan(40);
  });

  it("unpacks the files and bytes sigtool --unpack writes", () => {
    for (const path of CONTAINERS) {
      const dir = mkdtempSync(join(root, "unpack-"));
      const r = spawnSync(SIGTOOL, [`--unpack=${path}`], { cwd: dir, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const theirs = readdirSync(dir).sort();
      const ours = databaseMembers(path);
      expect([...ours.keys()].sort()).toEqual(theirs);
      for (const name of theirs)
        expect(ours.get(name)?.equals(readFileSync(join(dir, name))), name).toBe(true);
    }
  });

  it("applies each cdiff to version N and gets version N+1, signatures verified", () => {
    for (let n = 2; n <= 6; n++) {
      const path = join(TEST, `test-${n}.cdiff`);
      const cdiff = readCdiff(
        `test-${n}.cdiff`,
        readFileSync(path),
        DEFAULT_SIGDB_LIMITS,
        CLAMAV_KEYS,
      );
      expect(cdiff.version).toBe(n);
      expect(cdiff.signature).toBe("valid");
      const updated = readUpdatedDatabase(CVDS[n - 2] as string, path);
      const full = databaseMembers(CVDS[n - 1] as string);
      const mine = new Map(updated.files.map((f) => [f.name, f.sha256]));
      const want = readDatabase(CVDS[n - 1] as string);
      expect(mine).toEqual(new Map(want.files.map((f) => [f.name, f.sha256])));
      expect(full.size).toBe(updated.files.length);
      // The updated database is what version N+1 is, header and index included.
      expect(updated.header?.version).toBe(n);
      expect(updated.info?.signature).toBe("valid");
      expect(updated.issues.filter((i) => i.code !== "E_SIGDB_NOT_LOADED")).toEqual([]);
    }
  });

  it("refuses a cdiff applied to the wrong version, naming the script line", () => {
    const cdiff = readCdiff(
      "test-4.cdiff",
      readFileSync(join(TEST, "test-4.cdiff")),
      DEFAULT_SIGDB_LIMITS,
      CLAMAV_KEYS,
    );
    const two = new Map(
      [...databaseMembers(CVDS[1] as string)].map(([k, v]) => [k, v.toString("latin1")]),
    );
    let error: unknown;
    try {
      applyCdiff("test-4.cdiff", cdiff, two);
    } catch (err) {
      error = err;
    }
    expect(isCrosscheckError(error, "E_SIGDB_CDIFF")).toBe(true);
    expect((error as Error).message).toMatch(
      /^test-4\.cdiff, script line \d+: .*XCHG of test\.info/,
    );
  });

  it("catches a changed byte where sigtool does, as a critical integrity finding", () => {
    // One character of the header's digital signature changed.
    const bytes = Buffer.from(readFileSync(CVDS[3] as string));
    const header = bytes.subarray(0, 512).toString("latin1");
    const at = header.indexOf(":", header.indexOf("2c645dd81c87e46091e0cc136ae0b217")) + 1;
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    const forgedSignature = join(root, "test-4-signature.cvd");
    writeFileSync(forgedSignature, bytes);
    expect(sigtoolInfo(forgedSignature).out).not.toContain("Verification OK.");
    const db = readDatabase(forgedSignature);
    expect(db.verification?.signature).toBe("invalid");
    const critical = reviewDatabases(undefined, db).findings.filter(
      (f) => f.severity === "critical",
    );
    expect(critical.map((f) => f.category)).toEqual(["integrity"]);
    expect(critical[0]?.message).toContain("does not verify");

    // One byte of the content changed (in the gzip trailer, so it still unpacks).
    const content = Buffer.from(readFileSync(CVDS[3] as string));
    content[content.length - 5] = (content[content.length - 5] as number) ^ 0x01;
    const changed = join(root, "test-4-changed.cvd");
    writeFileSync(changed, content);
    expect(sigtoolInfo(changed).out).not.toContain("Verification OK.");
    try {
      const findings = reviewDatabases(undefined, readDatabase(changed)).findings;
      expect(
        findings
          .filter((f) => f.severity === "critical")
          .map((f) => f.message)
          .join("\n"),
      ).toMatch(/MD5/);
    } catch (err) {
      // zlib checks the trailer's CRC too: then the container is refused outright.
      expect(isCrosscheckError(err, "E_SIGDB_FORMAT")).toBe(true);
    }

    // A forged cdiff: one byte of its script changed.
    const cdiff = Buffer.from(readFileSync(join(TEST, "test-5.cdiff")));
    const forged = Buffer.concat([
      cdiff.subarray(0, 30),
      Buffer.from([(cdiff[30] as number) ^ 1]),
      cdiff.subarray(31),
    ]);
    let verdict: string | undefined;
    try {
      verdict = readCdiff("test-5.cdiff", forged, DEFAULT_SIGDB_LIMITS, CLAMAV_KEYS).signature;
    } catch (err) {
      expect(isCrosscheckError(err)).toBe(true);
      verdict = "refused";
    }
    expect(["invalid", "refused"]).toContain(verdict);
  });
});
