import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Envelope, openRelease, parseEnvelope } from "../attest/index.js";
import { parseNote } from "../crypto/index.js";
import {
  type CompiledDictionary,
  compileDictionary,
  MAX_DICTIONARY_SIZE,
  parseDictionary,
} from "../dictionary/index.js";
import { CrosscheckError, isCrosscheckError } from "../errors/index.js";
import { LogClient, proveConsistency, readLimited, type TileSource } from "../log/index.js";
import { parseCheckpoint } from "../merkle/index.js";
import { loadTrustedPolicy, openPolicy, type TrustedPolicy } from "../policy/index.js";
import { writeFileDurably } from "../store/index.js";
import {
  type Bundle,
  EMPTY_STATE,
  type EndpointState,
  MAX_BUNDLE_SIZE,
  parseBundle,
  parseEndpointState,
  verifyRelease,
} from "../verify/index.js";

export interface DictionarySource {
  /** False only for the development file source: its dictionary is not reviewed. */
  readonly verified: boolean;
  current(): CompiledDictionary | undefined;
  /** The current dictionary's version (its release's). */
  version(): string | undefined;
  /** Looks for a newer dictionary; true when the current one changed. Never throws. */
  refresh(): Promise<boolean>;
  /** Refreshes every `intervalMs` until closed. */
  start(intervalMs: number): void;
  close(): void;
  /** Why the last refresh refused or failed, if it did. */
  lastRefusal(): { code: string; message: string } | undefined;
}

const CHANNEL = "dictionary";

/** What a verified source fetches from a service: its newest release, bundle and artifact. */
interface ChannelFetcher {
  /** The newest published release, or undefined when none is published yet. */
  latest(): Promise<{ envelopeSha256: string; version: string } | undefined>;
  bundle(): Promise<Bundle>;
  /** The artifact's bytes, at most `size` of them. */
  artifact(sha256: string, size: number): Promise<Uint8Array>;
  tiles: TileSource;
}

interface Loaded {
  compiled: CompiledDictionary;
  releaseSha256: string;
  version: string;
}

/** The parts of the release service the in-process source reads (structurally, for tests). */
export interface DictionaryReleaseService {
  latest(channel: string): Promise<{ envelopeSha256: string; version: string }>;
  bundle(channel: string): Promise<Bundle>;
  ctx: {
    policy: TrustedPolicy;
    artifacts: { path(sha256: string): string };
    log: { tileSource: TileSource };
  };
}

export interface ServiceDictionarySourceOptions {
  service: DictionaryReleaseService;
  /** The policy bundles are verified against; the service's own by default. */
  policy?: TrustedPolicy;
  /** Saves the accepted state and dictionary here, so a restart never goes back. */
  stateDir?: string;
  now?: () => Date;
  warn?: (message: string) => void;
}

export function serviceDictionarySource(options: ServiceDictionarySourceOptions): DictionarySource {
  const { service } = options;
  const fetcher: ChannelFetcher = {
    async latest() {
      try {
        return await service.latest(CHANNEL);
      } catch (err) {
        if (isCrosscheckError(err, "E_NOT_PUBLISHED")) return undefined;
        throw err;
      }
    },
    bundle: () => service.bundle(CHANNEL),
    async artifact(sha256, size) {
      const path = service.ctx.artifacts.path(sha256);
      if (statSync(path).size > size) throw artifactTooLong(size);
      return new Uint8Array(await readFile(path));
    },
    tiles: service.ctx.log.tileSource,
  };
  const policy = options.policy ?? service.ctx.policy;
  return new VerifiedDictionarySource(
    fetcher,
    memory(options.stateDir, () => policy),
    options,
  );
}

export interface RemoteDictionarySourceOptions {
  /** Base URL of the Crosscheck service (`crosscheck serve`), e.g. http://10.0.0.5:8080. */
  server: string;
  /** The signed trust policy, pinned in `stateDir` on first use (rotations must chain from it)… */
  policyFile?: string;
  /** …or a policy already opened by the caller. */
  policy?: TrustedPolicy;
  stateDir?: string;
  now?: () => Date;
  warn?: (message: string) => void;
  timeoutMs?: number;
}

export function remoteDictionarySource(options: RemoteDictionarySourceOptions): DictionarySource {
  const base = options.server.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const get = (path: string, limit: number) =>
    fetchLimited(`${base}/api/v1${path}`, limit, timeoutMs);
  const log = new LogClient(`${base}/log`, { timeoutMs });
  const fetcher: ChannelFetcher = {
    async latest() {
      try {
        const body = await get(`/channels/${CHANNEL}/latest`, 64 << 10);
        const latest = JSON.parse(new TextDecoder().decode(body)) as {
          envelopeSha256?: unknown;
          version?: unknown;
        };
        if (typeof latest.envelopeSha256 !== "string" || typeof latest.version !== "string") {
          throw new CrosscheckError("E_SERVICE", `${base} answered an unexpected latest release.`);
        }
        return { envelopeSha256: latest.envelopeSha256, version: latest.version };
      } catch (err) {
        if (isCrosscheckError(err, "E_NOT_PUBLISHED")) return undefined;
        if (err instanceof SyntaxError) {
          throw new CrosscheckError(
            "E_SERVICE",
            `${base} answered invalid JSON for the latest release.`,
          );
        }
        throw err;
      }
    },
    async bundle() {
      const body = await get(`/channels/${CHANNEL}/bundle`, MAX_BUNDLE_SIZE);
      return parseBundle(new TextDecoder().decode(body));
    },
    artifact: (sha256, size) => get(`/artifacts/${sha256}`, size),
    tiles: log.tileSource,
  };
  const policy = options.policy;
  const policyFile = options.policyFile;
  if (!policy && !policyFile) {
    throw new CrosscheckError(
      "E_USAGE",
      "A remote dictionary source needs the trust policy its bundles are verified against.",
    );
  }
  const now = options.now ?? (() => new Date());
  const pinned = memory(options.stateDir, (saved) => {
    if (policy) return policy;
    const offered = parseEnvelope(readBounded(policyFile as string, "trust policy"));
    return openPolicy(
      offered,
      saved ? { trusted: loadTrustedPolicy(saved), now: now() } : { now: now() },
    );
  });
  return new VerifiedDictionarySource(fetcher, pinned, options);
}

/**
 * DEVELOPMENT ONLY: a dictionary read from a file, not reviewed, not verified. Reloaded when the
 * file changes; a file that does not parse keeps the previous dictionary.
 */
export function fileDictionarySource(
  path: string,
  options: { warn?: (message: string) => void } = {},
): DictionarySource {
  let loaded: { compiled: CompiledDictionary; text: string } | undefined;
  let refusal: { code: string; message: string } | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const warn = options.warn ?? (() => {});
  return {
    verified: false,
    current: () => loaded?.compiled,
    version: () => loaded?.compiled.dictionary.version,
    lastRefusal: () => refusal,
    async refresh() {
      try {
        const text = readBounded(path, "dictionary");
        if (text === loaded?.text) return false;
        loaded = { compiled: compileDictionary(parseDictionary(text)), text };
        refusal = undefined;
        return true;
      } catch (err) {
        refusal = describe(err);
        warn(
          `gateway: the dictionary file ${path} is refused; keeping the previous one: ${refusal.message}`,
        );
        return false;
      }
    },
    start(intervalMs) {
      timer ??= setInterval(() => void this.refresh(), intervalMs);
      timer.unref?.();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** What the source remembers between refreshes (and, with a folder, between runs). */
interface Memory {
  policy(): TrustedPolicy;
  state(): EndpointState;
  /** The dictionary saved with the state, if it is the state's release. */
  saved(): { text: string; releaseSha256: string } | undefined;
  save(state: EndpointState, dictionary: { text: string; releaseSha256: string }): void;
}

function memory(
  stateDir: string | undefined,
  policyOf: (pinned: Envelope | undefined) => TrustedPolicy,
): Memory {
  if (!stateDir) {
    let state = EMPTY_STATE;
    let policy: TrustedPolicy | undefined;
    return {
      policy: () => {
        policy ??= policyOf(undefined);
        return policy;
      },
      state: () => state,
      saved: () => undefined,
      save: (next) => {
        state = next;
      },
    };
  }
  mkdirSync(stateDir, { recursive: true });
  const policyPath = join(stateDir, "policy.json");
  const statePath = join(stateDir, "state.json");
  const dictionaryPath = join(stateDir, "dictionary.json");
  let state = existsSync(statePath)
    ? parseEndpointState(readBounded(statePath, "gateway dictionary state"))
    : EMPTY_STATE;
  let policy: TrustedPolicy | undefined;
  return {
    policy() {
      policy ??= policyOf(
        existsSync(policyPath)
          ? parseEnvelope(readBounded(policyPath, "pinned trust policy"))
          : undefined,
      );
      return policy;
    },
    state: () => state,
    saved() {
      const installed = state.channels[CHANNEL];
      if (!installed || !existsSync(dictionaryPath)) return undefined;
      const saved = JSON.parse(readBounded(dictionaryPath, "saved dictionary")) as {
        releaseSha256?: unknown;
        text?: unknown;
      };
      if (saved.releaseSha256 !== installed.releaseSha256 || typeof saved.text !== "string") {
        return undefined;
      }
      return { text: saved.text, releaseSha256: installed.releaseSha256 };
    },
    save(next, dictionary) {
      // The dictionary first: the state names the release it belongs to, and is the commit.
      writeFileDurably(dictionaryPath, JSON.stringify(dictionary));
      if (policy) writeFileDurably(policyPath, `${JSON.stringify(policy.envelope, null, 2)}\n`);
      writeFileDurably(statePath, `${JSON.stringify(next, null, 2)}\n`);
      state = next;
    },
  };
}

class VerifiedDictionarySource implements DictionarySource {
  readonly verified = true;
  private loaded: Loaded | undefined;
  private refusal: { code: string; message: string } | undefined;
  private running: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => Date;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly fetcher: ChannelFetcher,
    private readonly memory: Memory,
    options: { now?: () => Date; warn?: (message: string) => void },
  ) {
    this.now = options.now ?? (() => new Date());
    this.warn = options.warn ?? (() => {});
    this.restore();
  }

  current(): CompiledDictionary | undefined {
    return this.loaded?.compiled;
  }

  version(): string | undefined {
    return this.loaded?.version;
  }

  lastRefusal() {
    return this.refusal;
  }

  refresh(): Promise<boolean> {
    // Concurrent callers share one refresh: two would race on the state.
    this.running ??= this.update().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref?.();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The dictionary saved with the last accepted state: it was verified before it was saved. */
  private restore(): void {
    try {
      const saved = this.memory.saved();
      if (!saved) return;
      const compiled = compileDictionary(parseDictionary(saved.text));
      this.loaded = {
        compiled,
        releaseSha256: saved.releaseSha256,
        version: compiled.dictionary.version,
      };
    } catch (err) {
      this.warn(
        `gateway: the saved dictionary cannot be used; fetching it again: ${describe(err).message}`,
      );
    }
  }

  private async update(): Promise<boolean> {
    try {
      const latest = await this.fetcher.latest();
      if (!latest) {
        this.refusal = undefined;
        return false;
      }
      if (latest.envelopeSha256 === this.loaded?.releaseSha256) {
        this.refusal = undefined;
        return false;
      }
      const loaded = await this.verifyNewest();
      const changed = loaded.releaseSha256 !== this.loaded?.releaseSha256;
      this.loaded = loaded;
      this.refusal = undefined;
      return changed;
    } catch (err) {
      this.refusal = describe(err);
      const keeping = this.loaded
        ? `keeping dictionary ${this.loaded.version}`
        : "no dictionary is loaded, so records are not forwarded";
      this.warn(
        `gateway: dictionary update refused (${this.refusal.code}); ${keeping}: ${this.refusal.message}`,
      );
      return false;
    }
  }

  private async verifyNewest(): Promise<Loaded> {
    const bundle = await this.fetcher.bundle();
    // Unverified: only to know which bytes to fetch; verifyRelease judges them all.
    const release = openRelease(bundle.release.envelope, []).predicate;
    const artifact = release.artifacts[0];
    if (!artifact || release.artifacts.length !== 1) {
      throw new CrosscheckError(
        "E_DICTIONARY_ARTIFACTS",
        `A dictionary release holds exactly one dictionary file; ${release.version} holds ${release.artifacts.length}.`,
      );
    }
    if (artifact.size > MAX_DICTIONARY_SIZE) {
      throw new CrosscheckError(
        "E_DICTIONARY_INVALID",
        `The dictionary of release ${release.version} is ${artifact.size} bytes, more than ${MAX_DICTIONARY_SIZE}.`,
      );
    }
    const bytes = await this.fetcher.artifact(artifact.sha256, artifact.size);
    const state = this.memory.state();
    const verified = verifyRelease({
      bundle,
      artifact: bytes,
      policy: this.memory.policy(),
      state,
      channel: CHANNEL,
      now: this.now(),
      consistencyProof: await this.consistency(state.checkpoint, bundle.checkpoint),
    });
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new CrosscheckError(
        "E_DICTIONARY_INVALID",
        "The published dictionary is not UTF-8 text.",
      );
    }
    const dictionary = parseDictionary(text);
    if (dictionary.version !== verified.release.version) {
      throw new CrosscheckError(
        "E_DICTIONARY_VERSION",
        `The dictionary says version ${dictionary.version}, but its release is ${verified.release.version}; the vendor must publish one whose versions agree.`,
      );
    }
    const compiled = compileDictionary(dictionary);
    this.memory.save(verified.state, { text, releaseSha256: verified.releaseSha256 });
    return { compiled, releaseSha256: verified.releaseSha256, version: verified.release.version };
  }

  /** Decision 8: the consistency proof from the checkpoint last accepted to the bundle's. */
  private async consistency(
    saved: string | undefined,
    note: string,
  ): Promise<Uint8Array[] | undefined> {
    if (!saved) return undefined;
    const old = parseCheckpoint(parseNote(saved).text);
    const current = parseCheckpoint(parseNote(note).text);
    if (old.origin !== current.origin || old.size >= current.size || old.size === 0)
      return undefined;
    return proveConsistency(this.fetcher.tiles, old.size, current.size);
  }
}

async function fetchLimited(url: string, limit: number, timeoutMs: number): Promise<Uint8Array> {
  let response: Response;
  try {
    // No redirects: the service named is the one answering.
    response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new CrosscheckError(
      "E_SERVICE_UNREACHABLE",
      `Cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}.`,
    );
  }
  if (!response.ok) {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      const body = JSON.parse(new TextDecoder().decode(await readLimited(response, 64 << 10)));
      error = (body as { error?: { code?: unknown; message?: unknown } }).error;
    } catch {}
    throw new CrosscheckError(
      typeof error?.code === "string" ? error.code : `E_HTTP_${response.status}`,
      typeof error?.message === "string" ? error.message : `${url} answered ${response.status}.`,
    );
  }
  return readLimited(response, limit);
}

function readBounded(path: string, what: string, limit = MAX_DICTIONARY_SIZE * 2): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new CrosscheckError("E_FILE_NOT_FOUND", `The ${what} file ${path} cannot be read.`);
  }
  if (size > limit) {
    throw new CrosscheckError(
      "E_FILE_TOO_LARGE",
      `The ${what} file ${path} is larger than ${limit} bytes.`,
    );
  }
  return readFileSync(path, "utf8");
}

function artifactTooLong(size: number): CrosscheckError {
  return new CrosscheckError(
    "E_ARTIFACT_MISMATCH",
    `The stored dictionary is longer than the ${size} bytes its release states.`,
  );
}

function describe(err: unknown): { code: string; message: string } {
  if (isCrosscheckError(err)) return { code: err.code, message: err.message };
  return { code: "E_INTERNAL", message: (err as Error)?.message ?? String(err) };
}
