/**
 * The release pipeline as one service object: what the HTTP routes call. Each lifecycle lives in
 * its own file (submit, analyze, review, publish); this wires them to one context.
 */
import { join } from "node:path";
import type { Envelope, EnvelopeSigner } from "../attest/index.js";
import type { TransparencyLog } from "../log/index.js";
import type { TrustedPolicy } from "../policy/index.js";
import {
  dictionaryAnalyzer,
  publishedPredecessor,
  rulesAnalyzer,
  sigdbAnalyzer,
} from "../review/index.js";
// Its own path: the rebuild analyzer is Node-only and not (yet) on review's public face.
import { rebuildAnalyzer } from "../review/rebuild/index.js";
import { AnalysisWorker, type AnalysisWorkerOptions } from "./analyze.js";
import { artifactInventory } from "./analyzers/artifact-inventory.js";
import type { ArtifactStore } from "./artifacts.js";
import { keyedSerializer, type ReleaseContext } from "./context.js";
import type { Analyzer } from "./findings.js";
import { channelBundle, latestRelease } from "./publish.js";
import { submitRebuild } from "./rebuild.js";
import { submitReview } from "./review.js";
import type { ReleaseStore } from "./storage/index.js";
import { submitHead, submitRelease } from "./submit.js";

export const DEFAULT_ANALYZERS: readonly Analyzer[] = [artifactInventory];

export interface ReleaseServiceOptions {
  store: ReleaseStore;
  log: TransparencyLog;
  policy: TrustedPolicy;
  artifacts: ArtifactStore;
  analyzers?: readonly Analyzer[];
  /**
   * Where the rebuild analyzer keeps its build logs and diffoscope reports; beside the artifacts
   * (`<artifacts>/rebuild-logs`) by default.
   */
  rebuildLogs?: string;
  /** The cap on a product recipe's time limit for the service's own rebuild, in seconds. */
  rebuildTimeoutSeconds?: number;
  /**
   * Whether product releases may name a git repository on this machine's disk for the service's
   * own rebuild (off: only https:// and git:// URLs are fetched).
   */
  rebuildLocalRepositories?: boolean;
  /** Demo only: the vendor key, used solely to refresh channel heads (Decision 17). */
  headSigner?: EnvelopeSigner;
  now?: () => Date;
  /** How analysis jobs are claimed: leases, and polling when several replicas share the queue. */
  jobs?: AnalysisWorkerOptions;
  /** Where problems the service survives are reported; standard error by default. */
  warn?: (message: string) => void;
}

export class ReleaseService {
  readonly ctx: ReleaseContext;
  readonly worker: AnalysisWorker;

  constructor(options: ReleaseServiceOptions) {
    let worker: AnalysisWorker | undefined;
    this.ctx = {
      store: options.store,
      log: options.log,
      policy: options.policy,
      artifacts: options.artifacts,
      analyzers: options.analyzers ?? [
        ...DEFAULT_ANALYZERS,
        rulesAnalyzer({ previous: publishedPredecessor(options.store, options.artifacts) }),
        sigdbAnalyzer({ previous: publishedPredecessor(options.store, options.artifacts) }),
        dictionaryAnalyzer({ previous: publishedPredecessor(options.store, options.artifacts) }),
        rebuildAnalyzer({
          logDir: options.rebuildLogs ?? join(options.artifacts.root, "rebuild-logs"),
          maxTimeoutSeconds: options.rebuildTimeoutSeconds,
          allowLocalRepositories: options.rebuildLocalRepositories,
        }),
      ],
      headSigner: options.headSigner,
      now: options.now ?? (() => new Date()),
      serialize: keyedSerializer(),
      kick: () => worker?.kick(),
      warn: options.warn ?? ((message) => process.stderr.write(`${message}\n`)),
    };
    worker = new AnalysisWorker(this.ctx, undefined, options.jobs);
    this.worker = worker;
  }

  get store(): ReleaseStore {
    return this.ctx.store;
  }

  get demo(): boolean {
    return this.ctx.headSigner !== undefined;
  }

  /** Starts the analysis worker (re-queuing jobs a dead process left running). */
  start(): Promise<number> {
    return this.worker.start();
  }

  close(): Promise<void> {
    return this.worker.close();
  }

  submit(release: Envelope, head?: Envelope) {
    return submitRelease(this.ctx, { release, head });
  }

  submitHead(head: Envelope) {
    return submitHead(this.ctx, head);
  }

  review(releaseSha256: string, review: Envelope) {
    return submitReview(this.ctx, releaseSha256, review);
  }

  rebuild(releaseSha256: string, rebuild: Envelope) {
    return submitRebuild(this.ctx, releaseSha256, rebuild);
  }

  latest(channel: string) {
    return latestRelease(this.ctx, channel);
  }

  bundle(channel: string) {
    return channelBundle(this.ctx, channel);
  }
}
