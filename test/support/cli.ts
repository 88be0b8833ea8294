/**
 * Runs the built `crosscheck` command (dist/, made by `tsc` before the tests) as a user would.
 * CROSSCHECK_CLI points the tests at another build of it (e.g. `tsc --outDir /tmp/x`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const CLI =
  process.env.CROSSCHECK_CLI ??
  fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], input?: string | Uint8Array, cli = CLI): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface StartedCli {
  child: ChildProcess;
  /** What the process wrote to standard error so far. */
  stderr: () => string;
}

/**
 * Starts a long-running `crosscheck …` (a server) and resolves once its standard error says
 * `ready`; rejects with what it wrote if it exits first or takes longer than `timeoutMs`.
 */
export async function startCli(
  args: string[],
  ready: string,
  timeoutMs: number,
  cli = CLI,
): Promise<StartedCli> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const what = `crosscheck ${args.slice(0, 2).join(" ")}`;
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (stderr.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${stderr}`));
    });
  });
  return { child, stderr: () => stderr };
}

/** Starts `crosscheck log serve …` and resolves once it listens. */
export function startServe(args: string[]): Promise<StartedCli> {
  return startCli(["log", "serve", ...args], "Serving log", 15_000);
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}
