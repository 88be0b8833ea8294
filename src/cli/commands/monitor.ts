/**
 * `crosscheck monitor`: tail a log and check it against the trust policy; `monitor compare` for
 * checkpoints endpoints gossip; `monitor check-evidence` for a split-view evidence file.
 *
 * Exit codes: 0 nothing critical; 1 an error (printed); 2 critical alerts (with --once);
 * 3 a split view, after writing the evidence file.
 */
import { existsSync, readFileSync } from "node:fs";
import { Command } from "commander";
import { parseEnvelope } from "../../attest/index.js";
import { CrosscheckError } from "../../errors/index.js";
import { LogClient } from "../../log/index.js";
import {
  type Alert,
  compareCheckpoints,
  formatAlert,
  Monitor,
  type MonitorState,
  parseMonitorState,
  serializeMonitorState,
} from "../../monitor/index.js";
import { openPolicy } from "../../policy/index.js";
import { writeFileDurably } from "../../store/index.js";
import {
  parseSplitViewEvidence,
  type SplitViewEvidence,
  verifySplitViewEvidence,
} from "../../witness/index.js";
import { parseDuration, readTextFile } from "../files.js";
import { parseCount } from "../options.js";

export const EXIT_CRITICAL = 2;
export const EXIT_SPLIT_VIEW = 3;
const DEFAULT_EVIDENCE = "split-view-evidence.json";

interface MonitorOptions {
  log: string;
  policy: string;
  state?: string;
  interval: string;
  once?: boolean;
  json?: boolean;
  evidence?: string;
  maxEntries?: number;
}

export function monitorCommand(): Command {
  const command = new Command("monitor")
    .description(
      "Tail a log: prove every new checkpoint consistent and check every entry against the trust policy.",
    )
    // Options after `compare` / `check-evidence` belong to them, not to `monitor`.
    .enablePositionalOptions()
    .option("--log <url>", "the log's URL prefix, e.g. http://127.0.0.1:8080/log")
    .option("--policy <file>", "the signed trust policy")
    .option("--state <file>", "where the monitor keeps what it has seen (continues from it)")
    .option("--interval <duration>", "time between polls, e.g. 5s or 1m", "5s")
    .option("--once", "poll once (reading at most --max-entries entries) and exit")
    .option("--json", "print alerts as JSON lines")
    .option("--evidence <file>", "where to write split-view evidence", DEFAULT_EVIDENCE)
    .option("--max-entries <n>", "entries read per poll", parseCount("--max-entries"))
    .action(async (opts: MonitorOptions) => {
      if (!opts.log || !opts.policy) {
        throw new CrosscheckError(
          "E_USAGE",
          "crosscheck monitor needs --log URL and --policy FILE.",
        );
      }
      process.exitCode = await runMonitor(opts);
    });
  command.addCommand(compareCommand());
  command.addCommand(checkEvidenceCommand());
  return command;
}

async function runMonitor(opts: MonitorOptions): Promise<number> {
  const interval = parseDuration(opts.interval);
  if (interval < 1) throw new CrosscheckError("E_USAGE", "--interval must be at least 1s.");
  const policy = openPolicy(parseEnvelope(readTextFile(opts.policy, "trust policy", 1 << 20)), {
    now: new Date(),
  });
  let state: MonitorState | undefined;
  if (opts.state && existsSync(opts.state)) {
    state = parseMonitorState(readTextFile(opts.state, "monitor state", 64 << 20));
  }
  const monitor = new Monitor({
    client: new LogClient(opts.log),
    policy,
    state,
    maxEntriesPerPoll: opts.maxEntries,
  });
  const print = (a: Alert) =>
    process.stdout.write(`${opts.json ? JSON.stringify(a) : formatAlert(a)}\n`);
  const save = () => {
    if (opts.state) writeFileDurably(opts.state, serializeMonitorState(monitor.state));
  };

  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  if (!opts.once) {
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
  try {
    for (;;) {
      let critical = false;
      try {
        const result = await monitor.poll();
        for (const a of result.alerts) print(a);
        critical = result.alerts.some((a) => a.severity === "critical");
        if (result.evidence) {
          writeEvidence(opts.evidence ?? DEFAULT_EVIDENCE, result.evidence);
          save();
          return EXIT_SPLIT_VIEW;
        }
        save();
        progress(
          opts,
          `checkpoint ${result.servedSize ?? "?"}, checked entries up to ${result.next}${
            result.cosignedBy.length ? `, cosigned by ${result.cosignedBy.join(", ")}` : ""
          }`,
        );
        if (opts.once) return critical ? EXIT_CRITICAL : 0;
        // Catch up without waiting while entries remain.
        if (!result.caughtUp && result.entriesChecked > 0) continue;
      } catch (err) {
        if (opts.once || !(err instanceof CrosscheckError)) throw err;
        const a: Alert = {
          severity: "warning",
          code: "M_LOG_UNAVAILABLE",
          message: `The poll failed: ${err.message} (${err.code}); retrying.`,
        };
        print(a);
      }
      if (stopped) return 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) return 0;
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

function progress(opts: MonitorOptions, line: string): void {
  if (!opts.json) process.stderr.write(`monitor: ${line}\n`);
}

function writeEvidence(path: string, evidence: SplitViewEvidence): void {
  writeFileDurably(path, `${JSON.stringify(evidence, null, 2)}\n`);
  process.stderr.write(`monitor: split-view evidence written to ${path}\n`);
}

/** A verifier key given as text, or a file holding it (first line). */
function readVerifierKey(value: string): string {
  if (!value.includes("+") && existsSync(value)) {
    const line = readFileSync(value, "utf8").split("\n")[0]?.trim() ?? "";
    if (line) return line;
  }
  return value.trim();
}

/** A signed checkpoint note from a file: the note itself, or JSON carrying it (`checkpoint`). */
function readCheckpointFile(path: string): string {
  const text = readTextFile(path, "checkpoint", 1 << 20);
  if (text.trimStart().startsWith("{")) {
    try {
      const value = JSON.parse(text) as { checkpoint?: unknown };
      if (typeof value.checkpoint === "string") return value.checkpoint;
    } catch {
      // Not JSON after all: read it as a note.
    }
    throw new CrosscheckError(
      "E_INPUT",
      `${path} is JSON without a "checkpoint" field; give a signed checkpoint note or an endpoint state file.`,
    );
  }
  return text;
}

function compareCommand(): Command {
  return new Command("compare")
    .description(
      "Prove two checkpoints of one log consistent, or write the evidence of a split view.",
    )
    .argument("<a>", "a signed checkpoint (note, or an endpoint's state.json)")
    .argument("<b>", "another signed checkpoint")
    .requiredOption("--vkey <key>", "the log's verifier key (or a file holding it)")
    .option("--log <url>", "the log to read a consistency proof from (needed when sizes differ)")
    .option("--evidence <file>", "where to write split-view evidence", DEFAULT_EVIDENCE)
    .option("--json", "print the result as JSON")
    .action(
      async (
        a: string,
        b: string,
        opts: { vkey: string; log?: string; evidence: string; json?: boolean },
      ) => {
        const result = await compareCheckpoints(readCheckpointFile(a), readCheckpointFile(b), {
          verifierKey: readVerifierKey(opts.vkey),
          client: opts.log ? new LogClient(opts.log) : undefined,
        });
        if (result.status === "split-view") {
          writeFileDurably(opts.evidence, `${JSON.stringify(result.evidence, null, 2)}\n`);
        }
        if (result.status === "unproven" && !opts.json) {
          throw new CrosscheckError("E_NOT_CONCLUSIVE", result.message);
        }
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({
              status: result.status,
              sizes: result.sizes,
              message: result.message,
              ...(result.status === "split-view" ? { evidence: opts.evidence } : {}),
            })}\n`,
          );
        } else {
          process.stdout.write(`${result.message}\n`);
          if (result.status === "split-view") {
            process.stdout.write(`Evidence written to ${opts.evidence}.\n`);
          }
        }
        if (result.status === "split-view") process.exitCode = EXIT_SPLIT_VIEW;
        else if (result.status === "unproven") process.exitCode = 1;
        else process.exitCode = 0;
      },
    );
}

function checkEvidenceCommand(): Command {
  return new Command("check-evidence")
    .description("Check a split-view evidence file with the log's verifier key.")
    .argument("<file>", "the evidence file")
    .requiredOption("--vkey <key>", "the log's verifier key (or a file holding it)")
    .action((file: string, opts: { vkey: string }) => {
      const evidence = parseSplitViewEvidence(readTextFile(file, "evidence file", 1 << 20));
      const proves = verifySplitViewEvidence(evidence, readVerifierKey(opts.vkey));
      process.stdout.write(`${proves}\n`);
      process.exitCode = 0;
    });
}
