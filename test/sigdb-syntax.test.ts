/**
 * Line by line, our parser refuses what ClamAV refuses and accepts what it accepts: each case is
 * one signature line written here, built into a database by Debian's sigtool (which loads it with
 * libclamav and fails on a malformed line) and read by us; a refusal must come with file:line and
 * a stable code, and the rest of the file must still be read.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/review/sigdb/index.js";
import { requireSigtoolUnderCi, sigtoolAccepts, tempRoot } from "./support/sigtool.js";

const T = Buffer.from("CreateRemoteThread").toString("hex");

/** [file, line]: every kind of construct, good and bad. */
const CASES: [string, string][] = [
  // Body signatures: the hex language, targets, offsets, levels.
  ["daily.ndb", `A:0:*:${T}`],
  ["daily.ndb", "A:0:*:4d5a90"],
  ["daily.ndb", "A:0:*:4d5a"],
  ["daily.ndb", "A:1:*:4d5a"],
  ["daily.ndb", "A:0:0:4d5a"],
  ["daily.ndb", "A:1:10,20:4d5a"],
  ["daily.ndb", "A:0:*:4d??5a"],
  ["daily.ndb", "A:0:*:4d5a??90"],
  ["daily.ndb", "A:0:*:4d5a*9000"],
  ["daily.ndb", "A:0:*:4d5a*"],
  ["daily.ndb", "A:0:*:4d5a{2-3}90"],
  ["daily.ndb", "A:0:*:4d5a{5}90"],
  ["daily.ndb", "A:0:*:4d5a{-3}9000"],
  ["daily.ndb", "A:0:*:4d5a{3-}9000"],
  ["daily.ndb", "A:0:*:4d5a{3-1}9000"],
  ["daily.ndb", "A:0:*:(4d|5a)9000"],
  ["daily.ndb", "A:0:*:4d5a(90|91)"],
  ["daily.ndb", "A:0:*:4d5a!(90|91)"],
  ["daily.ndb", "A:0:*:4d5a(9091|92)"],
  ["daily.ndb", "A:0:*:4d5a!(90|9192)"],
  ["daily.ndb", "A:0:*:4d5a(90|9?)"],
  ["daily.ndb", "A:0:*:4d5a(90|(91|92)93)"],
  ["daily.ndb", "A:0:*:4d5a()90"],
  ["daily.ndb", "A:0:*:4d5a(9091"],
  ["daily.ndb", "A:0:*:4d5a[1-2]9091"],
  ["daily.ndb", "A:0:*:4d[1-2]5a9091"],
  ["daily.ndb", "A:0:*:(B)4d5a9091(B)"],
  ["daily.ndb", "A:0:*:4d5a9"],
  ["daily.ndb", "A:0:*:4d5a9x"],
  ["daily.ndb", "A:0:*:4D5A90"],
  ["daily.ndb", "A:0:EOF-10:4d5a90"],
  ["daily.ndb", "A:0:EP+10,20:4d5a90"],
  ["daily.ndb", "A:1:EP+10,20:4d5a90"],
  ["daily.ndb", "A:0:S2+4:4d5a90"],
  ["daily.ndb", "A:1:SE1:4d5a90"],
  ["daily.ndb", "A:0:XX:4d5a90"],
  ["daily.ndb", "A:x:*:4d5a90"],
  ["daily.ndb", "A:0:*:4d5a90:80"],
  ["daily.ndb", "A:0:*:4d5a90:x"],
  ["daily.ndb", "A:0:*"],
  ["daily.ndb", ":0:*:4d5a90"],
  ["daily.db", "Legacy=4d5a90000300"],
  ["daily.db", "Legacy 4d5a90000300"],
  // Logical signatures: attributes, expressions, subsignature kinds.
  ["daily.ldb", "A;Engine:51-255,Target:0;0;4d5a"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;41"],
  ["daily.ldb", "A;Target:0;0;4d5a90"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0|1;4d5a90"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0;4d5a90;414243"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0=0;4d5a90"],
  ["daily.ldb", "A;Engine:51-255,Target:0;(0|1)>2,1;4d5a90;414243"],
  ["daily.ldb", "A;Engine:51-255,Target:0;(0|1;4d5a90;414243"],
  ["daily.ldb", "A;Engine:51-255,Target:0,FileSize:10-20;0;4d5a90"],
  ["daily.ldb", "A;Target:0,FileSize:10-20;0;4d5a90"],
  ["daily.ldb", "A;Target:0,Engine:51-255;0;4d5a90"],
  ["daily.ldb", "A;Engine:51-255;0;4d5a90"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;0/abc/"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;/abc/"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;0/a;b/i"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;41424344::iw"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;41424344::x"],
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1;4d5a90;EOF-10:41424344"],
  ["daily.ldb", "A;Engine:51-255,Target:0,Container:CL_TYPE_ZIP;0;4d5a90"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a ClamAV macro subsignature, ${min-max}group$.
  ["daily.ldb", "A;Engine:51-255,Target:0;0&1&2;4d5a90;414243;${1-2}0$"],
  // Hash signatures.
  ["daily.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar"],
  ["daily.hdb", "44d88612fea8a8f36de82e1278abb02f:*:Eicar"],
  ["daily.hdb", "44d88612fea8a8f36de82e1278abb02f:*:Eicar:73"],
  ["daily.hdb", "44d88612fea8a8f36de82e1278abb02f:0:Eicar"],
  ["daily.hdb", "44d88612fea8a8f36de82e1278abb02:68:Eicar"],
  ["daily.hdb", "44d88612fea8a8f36de82e1278abb02f:68"],
  ["daily.hsb", "3395856ce81f2b7382dee72602f798b642f14140:68:Eicar-SHA1"],
  ["daily.hsb", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f:68:Eicar-SHA256"],
  ["daily.mdb", "45056:3ea7d00dedd30bcdf46191358c36ffa4:Section"],
  ["daily.mdb", "x:3ea7d00dedd30bcdf46191358c36ffa4:Section"],
  ["daily.fp", "44d88612fea8a8f36de82e1278abb02f:68:Allowed"],
  // Container metadata, file types, ignore lists.
  ["daily.cdb", "A:CL_TYPE_ZIP:*:invoice\\.exe:*:*:*:*:*:*"],
  ["daily.cdb", "A:CL_TYPE_ZIP:*:invoice\\.exe:*:*:2:*:*:*"],
  ["daily.cdb", "A:CL_TYPE_NOPE:*:invoice\\.exe:*:*:*:*:*:*"],
  ["daily.cdb", "A:CL_TYPE_ZIP:*:invoice\\.exe:*:*:*:*:*"],
  ["daily.ftm", "0:0:4d5a90:PE:CL_TYPE_ANY:CL_TYPE_MSEXE"],
  ["daily.ftm", "0:0:4d5a90:PE:CL_TYPE_ANY:CL_TYPE_NOPE"],
  ["daily.ftm", "0:x:4d5a90:PE:CL_TYPE_ANY:CL_TYPE_MSEXE"],
  ["daily.ign2", "Win.Trojan.X"],
  ["daily.ign2", "Win.Trojan.X:0123456789abcdef0123456789abcdef"],
  ["daily.ign2", "Win.Trojan.X:0123"],
  // Phishing lists, certificates, configuration.
  ["daily.pdb", "H:example.com"],
  ["daily.gdb", "S:P:4d8bef53"],
  ["daily.crb", `C;1;${"ab".repeat(20)};;00aabb;010001;1;0;0;0;comment`],
  ["daily.crb", `C;2;${"ab".repeat(20)};;00aabb;010001;1;0;0;0;comment`],
  ["daily.crb", `C;1;${"ab".repeat(19)};;00aabb;010001;1;0;0;0;comment`],
  ["daily.cfg", "DOCUMENT:0x3ff"],
  ["daily.cfg", "DOCUMENT:3ff"],
];

const available = requireSigtoolUnderCi();

describe.skipIf(!available)("signature syntax, line by line, against sigtool", () => {
  let root = "";
  beforeAll(() => {
    root = tempRoot("crosscheck-sigdb-syntax-");
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("refuses exactly the lines ClamAV refuses", () => {
    const disagree: string[] = [];
    let refused = 0;
    for (const [file, line] of CASES) {
      // A valid signature beside the case, in the database being built: sigtool refuses a
      // database whose files hold no signature lines.
      const base: Record<string, string> =
        file === "daily.hdb"
          ? {
              "daily.hsb":
                "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f:68:Base\n",
            }
          : { "daily.hdb": "44d88612fea8a8f36de82e1278abb02f:68:Base\n" };
      const files = { ...base, [file]: `${line}\n` };
      const theirs = sigtoolAccepts(root, files);
      const db = openDatabase(file, Buffer.from(`${line}\n`, "latin1"));
      const problems = db.issues.filter((i) => i.code !== "E_SIGDB_NOT_LOADED");
      const ours = problems.length === 0;
      if (!ours) {
        refused++;
        for (const p of problems) {
          expect(p.message.startsWith(`${file}:1: `), p.message).toBe(true);
          expect(p.code).toMatch(/^E_SIGDB_[A-Z_]+$/);
        }
      }
      if (theirs !== ours) {
        disagree.push(
          `${file} ${line}: sigtool ${theirs ? "accepts" : "refuses"}, we ${ours ? "accept" : `refuse (${problems.map((p) => p.message).join("; ")})`}`,
        );
      }
    }
    console.log(
      `sigdb syntax: ${CASES.length} lines, ${refused} refused by both, ${CASES.length - refused} accepted by both`,
    );
    expect(disagree).toEqual([]);
  });

  it("reads the rest of a file after a malformed line", () => {
    const text = [
      `Good.One-1:0:*:${T}`,
      "Bad.Line-1:0:*:4d5a9",
      `Good.Two-1:1:*:${T}`,
      "",
      `Good.Three-1:0:*:${T}`,
    ].join("\n");
    const db = openDatabase("daily.ndb", Buffer.from(`${text}\n`));
    expect(db.signatures.map((s) => `${s.name}@${s.line}`)).toEqual([
      "Good.One-1@1",
      "Good.Two-1@3",
      "Good.Three-1@5",
    ]);
    expect(db.issues.map((i) => `${i.file}:${i.line} ${i.code}`)).toEqual([
      "daily.ndb:2 E_SIGDB_HEX",
      "daily.ndb:4 E_SIGDB_FIELDS",
    ]);
  });
});
