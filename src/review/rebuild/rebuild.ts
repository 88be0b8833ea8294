/**
 * One rebuild, start to end: the release's recipe → a fresh temporary folder → the named commit
 * checked out → the recipe's command run in the normalised environment (see ./recipe.ts) under
 * its time limit (see ./sandbox.ts) → every artifact the recipe lists hashed and compared with the
 * released digest → on a difference, the explanation (./compare.ts) and a diffoscope report
 * (./diffoscope.ts) → the temporary folder removed, whatever happened. The build log is kept at
 * `logPath` (and its digest goes into the attestation).
 *
 * Status, as rebuilderd reports it: GOOD every artifact is bit for bit the released one; BAD it
 * built, and some artifact differs; FAIL the checkout or build failed, ran out of time, or did not
 * leave an artifact where the recipe says; UNKNOWN the recipe cannot be used at all.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { arch, release as kernelRelease, platform, tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import type {
  RebuildDifference,
  RebuildEnvironment,
  RebuildStatus,
  ReleasePredicate,
} from "../../attest/index.js";
import { CrosscheckError, isCrosscheckError } from "../../errors/index.js";
import { checkoutCommit } from "./checkout.js";
import { compareArtifacts, MAX_EXPLAINED_SIZE } from "./compare.js";
import { type DiffoscopeReport, findDiffoscope, runDiffoscope } from "./diffoscope.js";
import { parseRecipe, type Recipe } from "./recipe.js";
import { namespaceSupport, runSandboxed } from "./sandbox.js";

/** The system path every build gets; the directory of the running Node is added if elsewhere. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const NORMALISED = { TZ: "UTC", LC_ALL: "C.UTF-8", LANG: "C.UTF-8", umask: "0022" };

/** The most build output the log keeps; the rest is counted, not written. */
const MAX_LOG = 64 << 20;

export interface RebuildProgress {
  phase: "checkout" | "build" | "compare" | "diffoscope" | "done";
  elapsedMs: number;
  /** Bytes the build wrote so far. */
  outputBytes: number;
  message: string;
}

export interface RebuildRequest {
  release: ReleasePredicate;
  /** The release envelope's digest, when known (the attestation names it; the log shows it). */
  releaseSha256?: string;
  /** Paths of the released files by artifact name: needed to explain a BAD, not to decide it. */
  releasedFiles?: Readonly<Record<string, string>>;
  /** Where the build log is written (kept). */
  logPath: string;
  /** The parent of the rebuild's temporary folder; the system's by default. */
  workDir?: string;
  /** The rebuilder's cap on the recipe's time limit, in seconds. */
  maxTimeoutSeconds?: number;
  /** Time limit of the checkout, in seconds (600 by default). */
  checkoutTimeoutSeconds?: number;
  /** diffoscope's path; false to skip it; by default the one on PATH, if any. */
  diffoscope?: string | false;
  diffoscopeTimeoutSeconds?: number;
  /**
   * The user the build (and diffoscope) runs as, given the checkout and fresh HOME; the caller must
   * be root. The service runs vendors' recipes as `nobody` this way.
   */
  buildUser?: { uid: number; gid: number };
  /** A folder to copy the rebuilt artifacts into before the temporary folder goes. */
  keepRebuilt?: string;
  progress?: (progress: RebuildProgress) => void;
  /** How often progress is reported while the build runs (10 s by default). */
  progressIntervalMs?: number;
}

export interface RebuiltArtifact {
  name: string;
  /** The released digest. */
  sha256: string;
  /** The rebuilt file's digest, or null when none was built. */
  rebuiltSha256: string | null;
  rebuiltSize: number | null;
}

export interface RebuildResult {
  status: RebuildStatus;
  /** Why the status is what it is, in one paragraph ("" when GOOD). */
  reason: string;
  release: {
    envelopeSha256: string | undefined;
    channel: ReleasePredicate["channel"];
    version: string;
  };
  source: { repository: string; commit: string };
  recipeSha256: string;
  artifacts: RebuiltArtifact[];
  differences: RebuildDifference[];
  diffoscope: { artifact: string; report: DiffoscopeReport; path: string }[];
  environment: RebuildEnvironment;
  log: { path: string; sha256: string; size: number };
  timeFinished: string;
  /** The temporary folder the rebuild used; it no longer exists when `cleaned`. */
  workFolder: string;
  cleaned: boolean;
}

const sha256Text = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function buildPath(): string {
  const node = dirname(process.execPath);
  return SYSTEM_PATH.split(":").includes(node) ? SYSTEM_PATH : `${SYSTEM_PATH}:${node}`;
}

/** The build log: bounded, hashed as written, closed once. */
class BuildLog {
  private readonly fd: number;
  private readonly hash = createHash("sha256");
  size = 0;
  dropped = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "w", 0o644);
  }

  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    const room = MAX_LOG - this.size;
    if (room <= 0) {
      this.dropped += bytes.length;
      return;
    }
    const kept = bytes.subarray(0, room);
    this.dropped += bytes.length - kept.length;
    writeSync(this.fd, kept);
    this.hash.update(kept);
    this.size += kept.length;
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  close(): { path: string; sha256: string; size: number } {
    if (this.dropped > 0) {
      const note = Buffer.from(`[${this.dropped} more bytes of output were not kept]\n`, "utf8");
      writeSync(this.fd, note);
      this.hash.update(note);
      this.size += note.length;
    }
    closeSync(this.fd);
    return { path: this.path, sha256: this.hash.digest("hex"), size: this.size };
  }
}

/**
 * Rebuilds the release. Throws only when there is nothing to rebuild (no source or no recipe:
 * `E_NOT_REBUILDABLE`); every other outcome is a result, its log kept.
 */
export async function rebuildRelease(request: RebuildRequest): Promise<RebuildResult> {
  const { release } = request;
  if (!release.source || !release.build) {
    throw new CrosscheckError(
      "E_NOT_REBUILDABLE",
      `The ${release.channel} release ${release.version} names no source and build recipe, so there is nothing to rebuild.`,
    );
  }
  const source = { repository: release.source.repository, commit: release.source.commit };
  const recipeText = release.build.recipe;
  const started = Date.now();
  const support = namespaceSupport();
  const log = new BuildLog(request.logPath);
  const workFolder = mkdtempSync(join(request.workDir ?? tmpdir(), "crosscheck-rebuild-"));
  const environment: RebuildEnvironment = {
    platform: platform(),
    arch: arch(),
    kernel: kernelRelease(),
    sourceDateEpoch: null,
    timezone: NORMALISED.TZ,
    locale: NORMALISED.LC_ALL,
    umask: NORMALISED.umask,
    network: "isolated",
    processes: support.pid ? "pid-namespace" : "process-group",
    timeoutSeconds: 1,
    durationMs: 0,
    tools: [],
  };
  const artifacts: RebuiltArtifact[] = release.artifacts.map((a) => ({
    name: a.name,
    sha256: a.sha256,
    rebuiltSha256: null,
    rebuiltSize: null,
  }));
  const differences: RebuildDifference[] = [];
  const reports: RebuildResult["diffoscope"] = [];
  let outputBytes = 0;
  let phase: RebuildProgress["phase"] = "checkout";
  const report = (message: string) =>
    request.progress?.({ phase, elapsedMs: Date.now() - started, outputBytes, message });
  const enter = (next: RebuildProgress["phase"], message: string) => {
    phase = next;
    log.line(`== ${message}`);
    report(message);
  };

  let status: RebuildStatus = "UNKNOWN";
  let reason = "";
  let cleaned = false;
  try {
    log.line(
      `crosscheck rebuild of ${release.channel} ${release.version} (release envelope ${request.releaseSha256 ?? "not given"})`,
    );
    log.line(`source: ${source.repository} @ ${source.commit}`);
    log.line(`recipe sha256: ${sha256Text(recipeText)}`);
    log.line("recipe:");
    for (const line of recipeText.split("\n")) log.line(`  ${line}`);
    let recipe: Recipe;
    try {
      recipe = parseRecipe(recipeText);
      checkRecipeArtifacts(recipe, release);
    } catch (err) {
      if (!isCrosscheckError(err)) throw err;
      status = "UNKNOWN";
      reason = err.message;
      log.line(`UNKNOWN: ${reason}`);
      return await finish();
    }
    const timeoutSeconds = Math.max(
      1,
      Math.min(recipe.timeout, request.maxTimeoutSeconds ?? recipe.timeout),
    );
    environment.timeoutSeconds = timeoutSeconds;
    environment.network = recipe.network ? "allowed" : support.net ? "isolated" : "not-isolated";

    const home = join(workFolder, "home");
    const tmp = join(workFolder, "tmp");
    const checkout = join(workFolder, "source");
    mkdirSync(home, { mode: 0o755 });
    mkdirSync(tmp, { mode: 0o755 });
    const baseEnv = {
      PATH: buildPath(),
      HOME: home,
      TMPDIR: tmp,
      TZ: NORMALISED.TZ,
      LANG: NORMALISED.LANG,
      LC_ALL: NORMALISED.LC_ALL,
    };

    enter("checkout", `checking out ${source.repository} at ${source.commit}`);
    const checkoutSeconds = request.checkoutTimeoutSeconds ?? 600;
    const checked = await checkoutCommit({
      repository: source.repository,
      commit: source.commit,
      dir: checkout,
      cwd: workFolder,
      env: baseEnv,
      deadline: Date.now() + checkoutSeconds * 1000,
      output: (chunk) => log.write(chunk),
    });
    if (!checked.ok) {
      status = "FAIL";
      reason = checked.reason;
      log.line(`FAIL: ${reason}`);
      return await finish();
    }
    environment.sourceDateEpoch = checked.commitTime;
    const user = request.buildUser;
    if (user) {
      // The build's own folders become the build user's; the rest of the machine stays as it is.
      const owned = spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, workFolder], {
        stdio: "ignore",
        timeout: 120_000,
      });
      if (owned.status !== 0) {
        status = "FAIL";
        reason = `The checkout could not be handed to the build user ${user.uid}:${user.gid}.`;
        log.line(`FAIL: ${reason}`);
        return await finish();
      }
    }
    const env = {
      ...recipe.environment,
      ...baseEnv,
      SOURCE_DATE_EPOCH: String(checked.commitTime),
    };
    environment.tools = await toolVersions(recipe.tools, checkout, env, user);
    log.line("environment:");
    for (const [k, v] of Object.entries(env)) log.line(`  ${k}=${v}`);
    log.line(
      `  (umask ${NORMALISED.umask}; network ${environment.network}; processes ${environment.processes}; limit ${timeoutSeconds} s; user ${user ? `${user.uid}:${user.gid}` : "the rebuilder's"})`,
    );
    for (const t of environment.tools) log.line(`  ${t.name}: ${t.version}`);

    const cwd = recipe.directory === "." ? checkout : join(checkout, recipe.directory);
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
      status = "FAIL";
      reason = `The recipe's directory ${recipe.directory} does not exist in the commit.`;
      log.line(`FAIL: ${reason}`);
      return await finish();
    }
    enter("build", `building: ${recipe.command.join(" ")}`);
    const buildStart = Date.now();
    const ticker = setInterval(
      () => report(`building for ${Math.round((Date.now() - buildStart) / 1000)} s`),
      request.progressIntervalMs ?? 10_000,
    );
    const built = await runSandboxed({
      argv: recipe.command,
      cwd,
      env,
      network: recipe.network,
      timeoutMs: timeoutSeconds * 1000,
      user,
      output: (chunk) => {
        outputBytes += chunk.length;
        log.write(chunk);
      },
    }).finally(() => clearInterval(ticker));
    log.line(
      `== the build ended after ${built.durationMs} ms: ${built.timedOut ? "time limit reached, killed" : built.exitCode !== null ? `exit status ${built.exitCode}` : `signal ${built.signal}`}`,
    );
    if (built.timedOut) {
      status = "FAIL";
      reason = `The build did not finish within its time limit of ${timeoutSeconds} s; all its processes were killed.`;
      return await finish();
    }
    if (built.exitCode !== 0) {
      status = "FAIL";
      reason = `The build failed: ${recipe.command[0]} ended with ${built.exitCode !== null ? `exit status ${built.exitCode}` : `signal ${built.signal}`}; see the log.`;
      return await finish();
    }

    enter("compare", "comparing the rebuilt artifacts with the released ones");
    const root = realpathSync(checkout);
    const missing: string[] = [];
    for (const spec of recipe.artifacts) {
      const artifact = artifacts.find((a) => a.name === spec.name) as RebuiltArtifact;
      const path = producedFile(root, join(checkout, spec.path));
      if (!path) {
        missing.push(`${spec.name} (${spec.path})`);
        continue;
      }
      artifact.rebuiltSha256 = await sha256File(path);
      artifact.rebuiltSize = statSync(path).size;
      log.line(
        `${artifact.rebuiltSha256 === artifact.sha256 ? "same     " : "DIFFERENT"} ${spec.name}: released ${artifact.sha256}, rebuilt ${artifact.rebuiltSha256}`,
      );
      if (request.keepRebuilt) {
        mkdirSync(request.keepRebuilt, { recursive: true });
        copyFileSync(path, join(request.keepRebuilt, safeName(spec.name)));
      }
      if (artifact.rebuiltSha256 !== artifact.sha256) {
        await explain(artifact, path, env);
      }
    }
    if (missing.length > 0) {
      status = "FAIL";
      reason = `The build succeeded but left no file where the recipe says for ${missing.join(", ")}.`;
      log.line(`FAIL: ${reason}`);
      return await finish();
    }
    const differing = artifacts.filter((a) => a.rebuiltSha256 !== a.sha256);
    if (differing.length === 0) {
      status = "GOOD";
      reason = "";
    } else {
      status = "BAD";
      const members = differences.filter((d) => d.member !== "").map((d) => d.member);
      reason = `Built from ${source.commit}, ${differing.map((a) => a.name).join(", ")} ${differing.length === 1 ? "differs" : "differ"} from the released file${differing.length === 1 ? "" : "s"}${members.length > 0 ? `; differing members include ${[...new Set(members)].slice(0, 5).join(", ")}` : ""}.`;
    }
    log.line(`${status}${reason ? `: ${reason}` : ""}`);
    return await finish();
  } finally {
    if (!cleaned) removeFolder(workFolder);
  }

  async function explain(
    artifact: RebuiltArtifact,
    rebuiltPath: string,
    env: Record<string, string>,
  ) {
    const releasedPath = request.releasedFiles?.[artifact.name];
    if (!releasedPath || !existsSync(releasedPath)) {
      differences.push({
        artifact: artifact.name,
        member: "",
        kind: "content",
        detail: `sha256 ${artifact.sha256} → ${artifact.rebuiltSha256}; the released file was not available to compare member by member.`,
      });
      return;
    }
    if ((await sha256File(releasedPath)) !== artifact.sha256) {
      log.line(
        `The file given as released ${artifact.name} is not the released one; not compared.`,
      );
      differences.push({
        artifact: artifact.name,
        member: "",
        kind: "content",
        detail: `sha256 ${artifact.sha256} → ${artifact.rebuiltSha256}.`,
      });
      return;
    }
    const sizes = [statSync(releasedPath).size, statSync(rebuiltPath).size];
    const found =
      Math.max(...sizes) <= MAX_EXPLAINED_SIZE
        ? compareArtifacts(artifact.name, readFileSync(releasedPath), readFileSync(rebuiltPath))
        : [
            {
              artifact: artifact.name,
              member: "",
              kind: "content" as const,
              detail: `${sizes[0]} → ${sizes[1]} bytes; too large to compare member by member.`,
            },
          ];
    differences.push(...found);
    log.line(`${found.length} difference(s) in ${artifact.name}:`);
    for (const d of found.slice(0, 200)) {
      log.line(`  ${d.kind} ${d.member || "(the file)"}: ${d.detail}`);
    }
    const diffoscope =
      request.diffoscope === false ? undefined : (request.diffoscope ?? findDiffoscope());
    if (!diffoscope) {
      log.line("diffoscope is not installed; its report is skipped.");
      return;
    }
    phase = "diffoscope";
    report(`diffoscope on ${artifact.name}`);
    const result = await runDiffoscope({
      diffoscope,
      name: safeName(artifact.name),
      released: releasedPath,
      rebuilt: rebuiltPath,
      workDir: workFolder,
      env,
      user: request.buildUser,
      timeoutMs: (request.diffoscopeTimeoutSeconds ?? 600) * 1000,
    });
    const path = `${request.logPath}.${safeName(artifact.name)}.diffoscope.txt`;
    writeFileSync(path, result.text, { mode: 0o644 });
    reports.push({ artifact: artifact.name, report: result, path });
    log.line(`diffoscope report of ${artifact.name}: ${path}`);
  }

  async function finish(): Promise<RebuildResult> {
    environment.durationMs = Date.now() - started;
    removeFolder(workFolder);
    cleaned = !existsSync(workFolder);
    log.line(`== temporary folder ${workFolder} ${cleaned ? "removed" : "could NOT be removed"}`);
    const kept = log.close();
    phase = "done";
    report(`${status}${reason ? `: ${reason}` : ""}`);
    return {
      status,
      reason,
      release: {
        envelopeSha256: request.releaseSha256,
        channel: release.channel,
        version: release.version,
      },
      source,
      recipeSha256: sha256Text(recipeText),
      artifacts,
      differences,
      diffoscope: reports,
      environment,
      log: kept,
      timeFinished: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      workFolder,
      cleaned,
    };
  }
}

/** The recipe must account for exactly the release's artifacts. */
function checkRecipeArtifacts(recipe: Recipe, release: ReleasePredicate): void {
  const listed = new Set(recipe.artifacts.map((a) => a.name));
  const released = release.artifacts.map((a) => a.name);
  const unlisted = released.filter((n) => !listed.has(n));
  const extra = [...listed].filter((n) => !released.includes(n));
  if (unlisted.length > 0 || extra.length > 0) {
    throw new CrosscheckError(
      "E_RECIPE_INVALID",
      `The build recipe is unusable: its artifacts are not the release's (${[
        unlisted.length > 0 && `not listed: ${unlisted.join(", ")}`,
        extra.length > 0 && `not released: ${extra.join(", ")}`,
      ]
        .filter(Boolean)
        .join("; ")}).`,
    );
  }
}

/** The regular file at `path`, if the build left one there inside the checkout (no escapes). */
function producedFile(root: string, path: string): string | undefined {
  try {
    lstatSync(path);
    const real = realpathSync(path);
    if (!real.startsWith(root + sep)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

async function toolVersions(
  tools: readonly string[],
  cwd: string,
  env: Record<string, string>,
  user: { uid: number; gid: number } | undefined,
): Promise<RebuildEnvironment["tools"]> {
  const out: RebuildEnvironment["tools"] = [];
  for (const name of tools) {
    let text = "";
    const outcome = await runSandboxed({
      argv: [name, "--version"],
      cwd,
      env,
      network: false,
      timeoutMs: 15_000,
      user,
      output: (chunk) => {
        if (text.length < 4096) text += chunk.toString("utf8");
      },
    });
    const first = text.split("\n").find((l) => l.trim() !== "") ?? "";
    out.push({
      name,
      version: outcome.exitCode === 0 ? first.trim().slice(0, 512) : "(not available)",
    });
  }
  return out;
}

/** A file name for a report or copy, whatever the artifact is called. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, "_").slice(0, 200) || "artifact";
}

/** Removes the folder even when the build left read-only directories in it. */
function removeFolder(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 2 });
  } catch {
    try {
      runChmod(path);
      rmSync(path, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // Reported by the caller: `cleaned` is false.
    }
  }
}

function runChmod(path: string): void {
  spawnSync("chmod", ["-R", "u+rwX", path], { stdio: "ignore", timeout: 60_000 });
}
