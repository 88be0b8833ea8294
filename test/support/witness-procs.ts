/**
 * Real witness and log processes for end-to-end tests: `crosscheck witness serve` children, a
 * tlog-policy file that names them, and reads of a witnessed log's checkpoint with its
 * cosignatures checked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { openNote, parseNote, parseVerifierKey } from "../../src/crypto/index.js";
import { cosignatureVerifier, parseCheckpoint } from "../../src/merkle/index.js";
import { CLI, runCli, startServe, stop } from "./cli.js";

const children = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

export interface WitnessProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stderr: () => string;
}

/** Starts `crosscheck witness serve` and resolves once it listens. */
export async function startWitness(options: {
  data: string;
  keyFile: string;
  logVerifierKey: string;
  port: number;
}): Promise<WitnessProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "witness",
      "serve",
      "--data",
      options.data,
      "--key",
      options.keyFile,
      "--log",
      options.logVerifierKey,
      "--port",
      String(options.port),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  track(child);
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`witness serve did not start: ${stderr}`)),
      15_000,
    );
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (/Witness .* serving/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`witness serve exited with ${code ?? signal}: ${stderr}`));
    });
  });
  child.stderr?.removeAllListeners("data");
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return {
    child,
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    stderr: () => stderr,
  };
}

/** Starts `crosscheck log serve ARGS`, tracked for `killAll`. */
export async function startLog(args: string[]) {
  const served = await startServe(args);
  track(served.child);
  return served;
}

/** SIGKILLs every process these helpers started that still runs. */
export async function killAll(): Promise<void> {
  await Promise.all([...children].map((c) => stop(c, "SIGKILL")));
}

/** Writes the log's tlog-policy: the log, its witnesses with URLs, k of them as the quorum. */
export function writeWitnessPolicy(
  path: string,
  logVerifierKey: string,
  witnesses: { name: string; verifierKey: string; url: string }[],
  k: number,
): void {
  writeFileSync(
    path,
    [
      `log ${logVerifierKey}`,
      ...witnesses.map((w) => `witness ${w.name} ${w.verifierKey} ${w.url}`),
      `group witnesses ${k} ${witnesses.map((w) => w.name).join(" ")}`,
      "quorum witnesses",
      "",
    ].join("\n"),
  );
}

export interface ServedCheckpoint {
  status: number;
  note?: string;
  size?: number;
  root?: Uint8Array;
  /** Names (as in the policy) of witnesses whose cosignature verifies. */
  cosigners: string[];
  body: string;
}

/**
 * GET LOG/checkpoint: its status and, on 200, the checkpoint verified against the log's key with
 * the names of the policy witnesses whose cosignature verifies.
 */
export async function readCheckpoint(
  logUrl: string,
  logVerifierKey: string,
  witnesses: { name: string; verifierKey: string }[],
): Promise<ServedCheckpoint> {
  const response = await fetch(`${logUrl}/checkpoint`, { signal: AbortSignal.timeout(5000) });
  const body = await response.text();
  if (response.status !== 200) return { status: response.status, cosigners: [], body };
  const opened = openNote(body, [
    parseVerifierKey(logVerifierKey),
    ...witnesses.map((w) => cosignatureVerifier(w.verifierKey)),
  ]);
  const { text } = parseNote(body);
  const checkpoint = parseCheckpoint(text);
  const cosigners = witnesses
    .filter((w) => {
      const v = cosignatureVerifier(w.verifierKey);
      return opened.signatures.some(
        (s) => s.verified && s.name === v.name && s.keyHash === v.keyHash,
      );
    })
    .map((w) => w.name);
  const logSigned = opened.signatures.some(
    (s) => s.verified && s.name === parseVerifierKey(logVerifierKey).name,
  );
  if (!logSigned) throw new Error("the served checkpoint is not signed by the log");
  return { status: 200, note: body, size: checkpoint.size, root: checkpoint.root, cosigners, body };
}

/** Polls `check` every `every` ms until it returns a value, or fails after `ms`. */
export async function poll<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 20_000,
  every = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

export interface EvidenceRow {
  id: number;
  origin: string;
  kind: string;
  cosignedCheckpoint: string;
  request: string;
  receivedAt: string;
}

/** `crosscheck witness evidence --data DIR`, parsed. */
export async function witnessEvidence(data: string): Promise<EvidenceRow[]> {
  const result = await runCli(["witness", "evidence", "--data", data]);
  if (result.code !== 0) throw new Error(`witness evidence failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as EvidenceRow[];
}
