/**
 * The independent Go checker of C2SP logs (../shared/tools/tlogcheck, Decision 30), built once per
 * test file into a temporary folder (Go's build cache makes later builds quick). Under CI=true a
 * missing Go toolchain fails the importing test file instead of skipping it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TOOL_DIR = fileURLToPath(new URL("../../../shared/tools/tlogcheck/", import.meta.url));
const GO_TLOG = "/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog";
const goWorks = spawnSync("go", ["version"], { stdio: "ignore" }).status === 0;

export const tlogcheckAvailable =
  goWorks && existsSync(GO_TLOG) && existsSync(join(TOOL_DIR, "build.sh"));

if (!tlogcheckAvailable && process.env.CI === "true") {
  throw new Error(
    `tlogcheck cannot be built (go on PATH: ${goWorks}; ${GO_TLOG}: ${existsSync(GO_TLOG)}): install the Debian packages golang-go and golang-golang-x-mod-dev. CI=true, so this test must run.`,
  );
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout: tlogcheck's verdict (`ok …` or `FAIL …`). */
  last: string;
}

/** Runs a program to completion (the event loop stays free), killing it after `timeoutMs`. */
export function runProgram(
  file: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const lines = stdout.trimEnd().split("\n");
      resolve({ code, stdout, stderr, last: lines[lines.length - 1] ?? "" });
    });
  });
}

/** Builds tlogcheck into `dir`; resolves to the binary's path. */
export async function buildTlogcheck(dir: string): Promise<string> {
  const binary = join(dir, "tlogcheck");
  const built = await runProgram("bash", [join(TOOL_DIR, "build.sh"), binary], 170_000, {
    ...process.env,
    GOCACHE: process.env.GOCACHE ?? join(tmpdir(), "tlogcheck-gocache"),
  });
  if (built.code !== 0) throw new Error(`building tlogcheck:\n${built.stdout}\n${built.stderr}`);
  return binary;
}

/** `tlogcheck check -url URL -vkey KEY …`: an audit of the log served at `url`. */
export function tlogcheck(binary: string, url: string, vkey: string, extra: string[]) {
  return runProgram(binary, ["check", "-url", url, "-vkey", vkey, ...extra], 150_000);
}
