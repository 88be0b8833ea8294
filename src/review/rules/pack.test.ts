import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import { loadRulePack, memberPath, readArchiveOrFile } from "./pack.js";

/** A ustar archive of the given members, names written as given (even hostile ones). */
function tarOf(members: { name: string; data?: string; type?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const data = Buffer.from(m.data ?? "", "utf8");
    const header = Buffer.alloc(512);
    header.write(m.name, 0, 100, "utf8");
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header.write("        ", 148);
    header.write(m.type ?? "0", 156);
    header.write("ustar\0" + "00", 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A zip archive of deflated members (CRCs left zero: the reader does not need them). */
function zipOf(members: { name: string; data: string | Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const raw = typeof m.data === "string" ? Buffer.from(m.data) : m.data;
    const packed = deflateRawSync(raw);
    const name = Buffer.from(m.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(packed.length, 20);
    cd.writeUInt32LE(raw.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    central.push(cd, name);
    offset += 30 + name.length + packed.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cdBytes, end]);
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isCrosscheckError(err)) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

const COMMON = "private rule is_pe { condition: uint16(0) == 0x5A4D }\n";
const USES =
  'include "../common.yar"\nrule dropper { strings: $a = "x" condition: is_pe and $a }\n';

function packDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pack-"));
  mkdirSync(join(dir, "malware"));
  writeFileSync(join(dir, "common.yar"), COMMON);
  writeFileSync(join(dir, "malware", "dropper.yar"), USES);
  writeFileSync(join(dir, "malware", "broken.yara"), "rule broken {\n  condition: $nope\n}\n");
  writeFileSync(
    join(dir, "index.yar"),
    '/* index */\ninclude "./common.yar"\ninclude "./malware/dropper.yar"\ninclude "./missing.yar"\n',
  );
  writeFileSync(join(dir, "README.md"), "not a rule file");
  return dir;
}

describe("loadRulePack", () => {
  it("reads a folder: includes resolved in the pack, each rule once, index files not reparsed", () => {
    const pack = loadRulePack(packDir());
    expect(pack.files).toEqual(["common.yar", "malware/broken.yara", "malware/dropper.yar"]);
    expect(pack.indexes).toEqual(["index.yar"]);
    expect(pack.rules.map((r) => `${r.loc.file}:${r.name}`)).toEqual([
      "common.yar:is_pe",
      "malware/dropper.yar:dropper",
    ]);
    expect(pack.ruleFiles.map((f) => [f.file, f.rules.length])).toEqual([
      ["common.yar", 1],
      ["malware/dropper.yar", 1],
    ]);
    const errors = pack.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.code}`);
    expect(errors).toEqual([
      "index.yar:4:1 E_YARA_SYNTAX",
      expect.stringMatching(/^malware\/broken\.yara:2:\d+ E_YARA_SYNTAX$/),
    ]);
    expect(pack.errors[0]?.message).toContain('cannot read included file "./missing.yar"');
  });

  it("does not follow a symlink out of the folder", () => {
    const dir = packDir();
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    writeFileSync(join(outside, "secret.yar"), "rule outside { condition: true }");
    symlinkSync(join(outside, "secret.yar"), join(dir, "linked.yar"));
    const pack = loadRulePack(dir);
    expect(pack.rules.map((r) => r.name)).not.toContain("outside");
  });

  it("refuses an include that climbs out of the pack", () => {
    const dir = mkdtempSync(join(tmpdir(), "pack-"));
    mkdirSync(join(dir, "inner"));
    writeFileSync(join(dir, "outside.yar"), "rule outside { condition: true }");
    writeFileSync(
      join(dir, "inner", "a.yar"),
      'include "../../outside.yar"\nrule a { condition: true }',
    );
    const pack = loadRulePack(join(dir, "inner"));
    expect(pack.rules).toEqual([]);
    expect(pack.errors[0]?.message).toContain("cannot read included file");
  });

  it("reads the same pack from .tar, .tar.gz and .zip", () => {
    const members = [
      { name: "pack/common.yar", data: COMMON },
      { name: "pack/malware/dropper.yar", data: USES },
    ];
    const dir = mkdtempSync(join(tmpdir(), "archives-"));
    writeFileSync(join(dir, "r.tar"), tarOf(members));
    writeFileSync(join(dir, "r.tar.gz"), gzipSync(tarOf(members)));
    writeFileSync(join(dir, "r.zip"), zipOf(members));
    for (const name of ["r.tar", "r.tar.gz", "r.zip"]) {
      const pack = loadRulePack(join(dir, name));
      expect(pack.errors, name).toEqual([]);
      expect(
        pack.rules.map((r) => `${r.loc.file}:${r.name}`),
        name,
      ).toEqual(["pack/common.yar:is_pe", "pack/malware/dropper.yar:dropper"]);
    }
  });

  it("reads a long tar member name from a pax header", () => {
    const long = `${"d".repeat(120)}/rules.yar`;
    const bytes = tarOf([
      { name: "PaxHeader", type: "x", data: `${long.length + 10} path=${long}\n` },
      { name: "short.yar", data: "rule r { condition: true }" },
    ]);
    expect(readArchiveOrFile("r.tar", bytes).map((m) => m.path)).toEqual([long]);
  });

  it("refuses an archive member whose path leaves the pack", () => {
    for (const name of ["../evil.yar", "a/../../evil.yar", "/etc/evil.yar", "C:\\evil.yar"]) {
      const tar = tarOf([{ name: "ok.yar", data: "rule ok { condition: true }" }, { name }]);
      expect(
        refusal(() => readArchiveOrFile("r.tar", tar)),
        name,
      ).toBe("E_PACK_PATH");
      expect(
        refusal(() => readArchiveOrFile("r.tgz", gzipSync(tar))),
        name,
      ).toBe("E_PACK_PATH");
      const zip = zipOf([{ name, data: "rule evil { condition: true }" }]);
      expect(
        refusal(() => readArchiveOrFile("r.zip", zip)),
        name,
      ).toBe("E_PACK_PATH");
    }
    // Even as a link or a directory: the path alone refuses the pack.
    const link = tarOf([{ name: "../up", type: "2" }]);
    expect(refusal(() => readArchiveOrFile("r.tar", link))).toBe("E_PACK_PATH");
    expect(memberPath("a/./b/../c.yar")).toBe("a/c.yar");
  });

  it("refuses compression bombs and oversized packs", () => {
    const zeros = Buffer.alloc(8 << 20);
    const limits = { ratioFloor: 64 * 1024, maxRatio: 50 };
    const bomb = gzipSync(tarOf([{ name: "a.yar", data: zeros.toString("latin1") }]));
    expect(refusal(() => readArchiveOrFile("bomb.tar.gz", bomb, limits))).toBe("E_PACK_LIMIT");
    const zipBomb = zipOf([{ name: "a.yar", data: zeros }]);
    expect(refusal(() => readArchiveOrFile("bomb.zip", zipBomb, limits))).toBe("E_PACK_LIMIT");
    const many = tarOf(Array.from({ length: 11 }, (_, i) => ({ name: `r${i}.yar`, data: "" })));
    expect(refusal(() => readArchiveOrFile("many.tar", many, { maxMembers: 10 }))).toBe(
      "E_PACK_LIMIT",
    );
    const big = tarOf([{ name: "big.yar", data: "x".repeat(5000) }]);
    expect(refusal(() => readArchiveOrFile("big.tar", big, { maxMemberBytes: 4096 }))).toBe(
      "E_PACK_LIMIT",
    );
  });

  it("reads a file shorter than any magic number as a rule file, not a crash", () => {
    for (const text of ["", "r", "ru", "rul"]) {
      expect(readArchiveOrFile("tiny.yar", Buffer.from(text)), JSON.stringify(text)).toEqual([
        { path: "tiny.yar", bytes: Buffer.from(text) },
      ]);
    }
    // Two bytes of gzip magic and nothing after: a corrupt stream, said so.
    expect(refusal(() => readArchiveOrFile("r.gz", Buffer.from([0x1f, 0x8b])))).toBe(
      "E_PACK_FORMAT",
    );
  });

  it("refuses a corrupt archive with a reason", () => {
    const tar = tarOf([{ name: "a.yar", data: "rule a { condition: true }" }]);
    tar[100] = 0x39; // mode digit '9': the checksum no longer adds up
    expect(refusal(() => readArchiveOrFile("r.tar", tar))).toBe("E_PACK_FORMAT");
    const truncated = tarOf([{ name: "a.yar", data: "x".repeat(2000) }]).subarray(0, 1024);
    expect(refusal(() => readArchiveOrFile("r.tar", truncated))).toBe("E_PACK_FORMAT");
    const gz = gzipSync(Buffer.from("rule a { condition: true }")).subarray(0, 12);
    expect(refusal(() => readArchiveOrFile("r.yar.gz", gz))).toBe("E_PACK_FORMAT");
  });
});
