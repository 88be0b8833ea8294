/**
 * Debian's ClamAV `sigtool`, the reference for signature databases: is it here, build an unsigned
 * database (CUD) from signature files we wrote, and run its listing and info commands. Databases
 * are built in a fresh temporary folder each (sigtool loads every database file of the folder it
 * builds in).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SIGTOOL = "/usr/bin/sigtool";

export function hasSigtool(): boolean {
  return existsSync(SIGTOOL);
}

/** Under CI a missing sigtool fails the test file instead of skipping it. */
export function requireSigtoolUnderCi(): boolean {
  const available = hasSigtool();
  if (!available && process.env.CI === "true") {
    throw new Error(
      "sigtool is required for the signature database tests under CI (apt-get install clamav)",
    );
  }
  return available;
}

export interface Built {
  dir: string;
  path: string;
  /** sigtool's standard error (warnings about signature counts and the like). */
  stderr: string;
}

/**
 * Writes `files` (name → content) and a COPYING into a new folder under `root` and runs
 * `sigtool --build=<db>.cud --unsigned`, as the corpus README describes. Throws with sigtool's
 * own words when it refuses the files.
 */
export function buildCud(
  root: string,
  db: string,
  version: number,
  files: Record<string, string | Buffer>,
): Built {
  const dir = mkdtempSync(join(root, `${db}-${version}-`));
  writeFileSync(join(dir, "COPYING"), "Test signatures written for Crosscheck's tests.\n");
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = spawnSync(
    SIGTOOL,
    [`--build=${db}.cud`, "--unsigned", `--cvd-version=${version}`, "--no-cdiff", "--datadir=."],
    { cwd: dir, input: "crosscheck\n", encoding: "utf8", timeout: 60_000 },
  );
  const path = join(dir, `${db}.cud`);
  if (r.status !== 0 || !existsSync(path)) {
    throw new Error(`sigtool refused the database (${r.status}): ${r.stderr}${r.stdout}`);
  }
  return { dir, path, stderr: r.stderr };
}

/** Whether sigtool builds a database from these files (it refuses malformed lines). */
export function sigtoolAccepts(root: string, files: Record<string, string>): boolean {
  try {
    buildCud(root, "daily", 1, files);
    return true;
  } catch {
    return false;
  }
}

/** `sigtool --list-sigs=PATH` (PATH must contain a separator), one name per line. */
export function sigtoolListSigs(path: string): string[] {
  const out = execFileSync(SIGTOOL, [`--list-sigs=${path}`], {
    encoding: "latin1",
    maxBuffer: 512 << 20,
  });
  return out.split("\n").filter((l) => l !== "");
}

/** `sigtool --info=PATH` as a map of its `Field: value` lines, plus its exit status. */
export function sigtoolInfo(path: string): {
  status: number | null;
  fields: Map<string, string>;
  out: string;
} {
  const r = spawnSync(SIGTOOL, [`--info=${path}`], { encoding: "latin1" });
  const fields = new Map<string, string>();
  for (const line of `${r.stdout}${r.stderr}`.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  return { status: r.status, fields, out: `${r.stdout}${r.stderr}` };
}

export function tempRoot(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
