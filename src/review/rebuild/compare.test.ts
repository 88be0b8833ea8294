/**
 * The explanation of a BAD, on archives made by the real tools (GNU tar, gzip, Python's zipfile
 * for zip and jar): which members differ, how, and with which metadata.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listArchive } from "./archive.js";
import { compareArtifacts } from "./compare.js";

const dir = mkdtempSync(join(tmpdir(), "crosscheck-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A tarball of `members` (in that order), gzip'd with the given header time. */
function tgz(
  name: string,
  files: Record<string, string>,
  members: string[],
  options: { mtimes?: Record<string, string>; gzipTime?: number } = {},
): Buffer {
  const root = tree(name, files);
  for (const [path, time] of Object.entries(options.mtimes ?? {})) {
    execFileSync("touch", ["-d", time, join(root, path)]);
  }
  const tar = execFileSync(
    "tar",
    [
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--format=gnu",
      "-C",
      root,
      "-cf",
      "-",
      ...members,
    ],
    { maxBuffer: 1 << 26 },
  );
  const gz = execFileSync("gzip", ["-n", "-9"], { input: tar });
  // Set the header's MTIME field (bytes 4..7) as a gzip without -n would.
  gz.writeUInt32LE(options.gzipTime ?? 0, 4);
  return gz;
}

function zip(name: string, entries: [string, string, number[]][]): Buffer {
  const path = join(dir, name);
  const script = [
    "import sys, json, zipfile",
    "entries = json.loads(sys.argv[2])",
    "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:",
    "    for name, text, when in entries:",
    "        z.writestr(zipfile.ZipInfo(name, date_time=tuple(when)), text)",
  ].join("\n");
  execFileSync("python3", ["-c", script, path, JSON.stringify(entries)]);
  return readFileSync(path);
}

const FILES = {
  "package/package.json": '{"name":"agent","version":"1.0.0"}\n',
  "package/lib/main.js": "export const answer = 42;\n",
  "package/lib/util.js": "export const util = 1;\n",
};
const ORDER = ["package/package.json", "package/lib/main.js", "package/lib/util.js"];
const T0 = "1985-10-26 08:15:00 UTC";

describe("explaining a BAD", () => {
  it("lists a tarball's members with their metadata, gzip header included", () => {
    const listing = listArchive(
      tgz("list", FILES, ORDER, { mtimes: { "package/lib/main.js": T0 }, gzipTime: 499162500 }),
    );
    expect(listing?.format).toBe("tar+gzip");
    expect(listing?.container["gzip mtime"]).toBe("1985-10-26T08:15:00Z (499162500)");
    const main = listing?.members.find((m) => m.path === "package/lib/main.js");
    expect(main).toMatchObject({
      type: "file",
      size: 26,
      meta: { mode: "0644", uid: 0, gid: 0, mtime: "1985-10-26T08:15:00Z (499162500)" },
    });
  });

  it("names the npm-style tarball members whose bytes, metadata or presence differ, and the gzip time", () => {
    const mtimes = Object.fromEntries(ORDER.map((p) => [p, T0]));
    const released = tgz("released", FILES, ORDER, { mtimes });
    const rebuilt = tgz(
      "rebuilt",
      {
        ...FILES,
        "package/lib/main.js": "export const answer = 43;\n",
        "package/lib/extra.js": "backdoor();\n",
      },
      [...ORDER, "package/lib/extra.js"],
      {
        mtimes: {
          ...mtimes,
          "package/lib/util.js": "2026-11-23 10:00:00 UTC",
          "package/lib/extra.js": T0,
        },
        gzipTime: 1795428000,
      },
    );
    const differences = compareArtifacts("agent-1.0.0.tgz", released, rebuilt);
    expect(differences.map((d) => [d.kind, d.member])).toEqual([
      ["container", ""],
      ["only-rebuilt", "package/lib/extra.js"],
      ["content", "package/lib/main.js"],
      ["metadata", "package/lib/util.js"],
    ]);
    const [container, extra, content, metadata] = differences;
    expect(container?.detail).toBe(
      "tar+gzip: gzip mtime: 1970-01-01T00:00:00Z (0) → 2026-11-23T10:00:00Z (1795428000)",
    );
    expect(extra?.detail).toMatch(/^file, 12 bytes, sha256 [0-9a-f]{64}; mode 0644, uid 0, gid 0/);
    expect(content?.detail).toMatch(
      /^file; 26 → 26 bytes; sha256 [0-9a-f]{64} → [0-9a-f]{64}; first differing line 1: "export const answer = 42;" → "export const answer = 43;"$/,
    );
    expect(metadata?.detail).toBe(
      "mtime: 1985-10-26T08:15:00Z (499162500) → 2026-11-23T10:00:00Z (1795428000)",
    );
  });

  it("reports members in another order", () => {
    const mtimes = Object.fromEntries(ORDER.map((p) => [p, T0]));
    const a = tgz("order-a", FILES, ORDER, { mtimes });
    const b = tgz("order-b", FILES, [...ORDER].reverse(), { mtimes });
    expect(compareArtifacts("a.tgz", a, b)).toEqual([
      {
        artifact: "a.tgz",
        member: "",
        kind: "order",
        detail:
          "The members are in another order: position 1 holds package/package.json in the released archive and package/lib/util.js in the rebuilt one.",
      },
    ]);
  });

  it("names the jar members whose classes or zip times differ", () => {
    const manifest = "Manifest-Version: 1.0\nMain-Class: Main\n";
    const released = zip("released.jar", [
      ["META-INF/MANIFEST.MF", manifest, [2026, 11, 20, 9, 0, 0]],
      ["Main.class", "\xca\xfe\xba\xbe release", [2026, 11, 20, 9, 0, 0]],
      ["app.properties", "mode=safe\n", [2026, 11, 20, 9, 0, 0]],
    ]);
    const rebuilt = zip("rebuilt.jar", [
      ["META-INF/MANIFEST.MF", manifest, [2026, 11, 20, 9, 0, 0]],
      ["Main.class", "\xca\xfe\xba\xbe rebuilt", [2026, 11, 20, 9, 0, 0]],
      ["app.properties", "mode=safe\n", [2026, 11, 23, 14, 2, 4]],
    ]);
    const differences = compareArtifacts("agent.jar", released, rebuilt);
    expect(differences.map((d) => [d.kind, d.member])).toEqual([
      ["content", "Main.class"],
      ["metadata", "Main.class"],
      ["metadata", "app.properties"],
    ]);
    expect(differences[1]?.detail).toMatch(/^crc32: [0-9a-f]{8} → [0-9a-f]{8}/);
    expect(differences[2]?.detail).toBe("DOS time: 2026-11-20 09:00:00 → 2026-11-23 14:02:04");
  });

  it("says where two files that are no archives first differ", () => {
    const a = Buffer.from("\x7fELF binary with a build id 0123");
    const b = Buffer.from("\x7fELF binary with a build id 4567");
    expect(compareArtifacts("agent", a, b)).toEqual([
      {
        artifact: "agent",
        member: "",
        kind: "content",
        detail: "32 → 32 bytes (an ELF file); the first difference is at byte offset 28.",
      },
    ]);
    expect(compareArtifacts("agent", a, Buffer.from(a))).toEqual([]);
  });
});
