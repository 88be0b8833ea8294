/**
 * Checks out exactly the commit a release names into a fresh folder, with git run like the build
 * (sandboxed, cleaned environment, time-limited): clone without checkout, check out the commit
 * detached (fetching it by id when no branch reaches it), submodules if the commit has any, and
 * confirm HEAD is that commit. The commit's committer time becomes SOURCE_DATE_EPOCH. The network
 * is used for cloning and fetching only; `.git` stays, since builds may read it (`git describe`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runSandboxed, type SandboxOutcome } from "./sandbox.js";

export interface CheckoutInput {
  repository: string;
  commit: string;
  /** The folder to create (must not exist). */
  dir: string;
  /** Where git runs from (the rebuild's temporary folder). */
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** When the whole checkout must be done (epoch milliseconds). */
  deadline: number;
  output(chunk: Buffer): void;
}

export type CheckoutResult = { ok: true; commitTime: number } | { ok: false; reason: string };

export async function checkoutCommit(input: CheckoutInput): Promise<CheckoutResult> {
  const env = {
    ...input.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
  };
  const git = async (args: string[], network: boolean, cwd = input.dir) => {
    let stdout = "";
    input.output(Buffer.from(`$ git ${args.join(" ")}\n`));
    const outcome = await runSandboxed({
      argv: ["git", "-c", "protocol.ext.allow=never", "-c", "core.autocrlf=false", ...args],
      cwd,
      env,
      network,
      timeoutMs: Math.max(1, input.deadline - Date.now()),
      output: (chunk) => {
        stdout += chunk.toString("utf8");
        input.output(chunk);
      },
    });
    return { outcome, stdout, ok: outcome.exitCode === 0 && !outcome.timedOut };
  };
  const failed = (what: string, outcome: SandboxOutcome) =>
    ({
      ok: false,
      reason: outcome.timedOut
        ? `${what} did not finish in time; git was stopped.`
        : `${what} failed (git exited with status ${outcome.exitCode ?? outcome.signal}); see the log.`,
    }) as const;

  const clone = await git(
    ["clone", "--quiet", "--no-checkout", "--no-hardlinks", "--", input.repository, input.dir],
    true,
    input.cwd,
  );
  if (!clone.ok) return failed(`Cloning ${input.repository}`, clone.outcome);
  const detach = ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach"];
  let checkout = await git([...detach, input.commit], false);
  if (!checkout.ok) {
    // A commit no branch reaches is not cloned; ask for it by id.
    const fetch = await git(["fetch", "--quiet", "origin", input.commit], true);
    if (fetch.ok) checkout = await git([...detach, input.commit], false);
  }
  if (!checkout.ok) return failed(`Checking out commit ${input.commit}`, checkout.outcome);
  if (existsSync(join(input.dir, ".gitmodules"))) {
    const submodules = await git(["submodule", "update", "--quiet", "--init", "--recursive"], true);
    if (!submodules.ok) return failed("Checking out the submodules", submodules.outcome);
  }
  const head = await git(["rev-parse", "HEAD"], false);
  if (!head.ok || !head.stdout.split("\n").includes(input.commit)) {
    return {
      ok: false,
      reason: `The checkout's HEAD is not commit ${input.commit}; refusing to build something else.`,
    };
  }
  const time = await git(["log", "-1", "--format=%ct", "HEAD"], false);
  const commitTime = Number(/^(\d+)$/m.exec(time.stdout)?.[1]);
  if (!time.ok || !Number.isSafeInteger(commitTime)) {
    return { ok: false, reason: "The commit's time could not be read for SOURCE_DATE_EPOCH." };
  }
  return { ok: true, commitTime };
}
