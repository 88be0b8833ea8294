/**
 * diffoscope (https://diffoscope.org, Debian package `diffoscope`), when installed: the reference
 * tool of the Reproducible Builds project for *why* two files differ, down into ELF sections,
 * nested archives and bytecode. Its text report is kept beside the build log. It reads the
 * vendor's untrusted file, so it runs sandboxed like the build (no network, time limit, group
 * killed), with a bounded report.
 */
import { spawnSync } from "node:child_process";
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runSandboxed } from "./sandbox.js";

export interface DiffoscopeReport {
  /** The report's text, cut at the bound. */
  text: string;
  truncated: boolean;
  /** diffoscope's exit status: 1 when the files differ, 0 when it sees no difference. */
  exitCode: number | null;
  timedOut: boolean;
}

const MAX_REPORT = 4 << 20;

/** The diffoscope on PATH, or undefined. */
export function findDiffoscope(path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const candidate = join(dir, "diffoscope");
    const probe = spawnSync(candidate, ["--version"], { stdio: "ignore", timeout: 30_000 });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Runs diffoscope on a copy of both files, named `released/<name>` and `rebuilt/<name>` so the
 * report reads as such. `workDir` is a private temporary folder, removed afterwards.
 */
export async function runDiffoscope(input: {
  diffoscope: string;
  name: string;
  released: string;
  rebuilt: string;
  workDir: string;
  env: Readonly<Record<string, string>>;
  user?: { uid: number; gid: number };
  timeoutMs: number;
  maxReport?: number;
}): Promise<DiffoscopeReport> {
  const max = input.maxReport ?? MAX_REPORT;
  const dir = mkdtempSync(join(input.workDir, "diffoscope-"));
  try {
    for (const side of ["released", "rebuilt"] as const) {
      mkdirSync(join(dir, side));
      copyFileSync(input[side], join(dir, side, input.name));
    }
    if (input.user) {
      const { uid, gid } = input.user;
      for (const path of [dir, join(dir, "released"), join(dir, "rebuilt")])
        chownSync(path, uid, gid);
      for (const side of ["released", "rebuilt"]) chownSync(join(dir, side, input.name), uid, gid);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const outcome = await runSandboxed({
      argv: [
        input.diffoscope,
        "--no-progress",
        "--text",
        "-",
        "--max-report-size",
        String(max),
        "--max-page-size",
        String(max),
        join("released", input.name),
        join("rebuilt", input.name),
      ],
      cwd: dir,
      env: { ...input.env, HOME: dir, TMPDIR: dir },
      network: false,
      user: input.user,
      timeoutMs: input.timeoutMs,
      output: (chunk) => {
        if (size >= max) {
          truncated = true;
          return;
        }
        chunks.push(chunk.subarray(0, max - size));
        size += Math.min(chunk.length, max - size);
      },
    });
    return {
      text: Buffer.concat(chunks).toString("utf8"),
      truncated: truncated || outcome.timedOut,
      exitCode: outcome.exitCode,
      timedOut: outcome.timedOut,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
