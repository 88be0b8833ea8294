/**
 * The release pipeline as one service object: what the HTTP routes call. Each lifecycle lives in
 * its own file (submit, analyze, review, publish); this wires them to one context.
 */
import type { Envelope, EnvelopeSigner } from "../attest/index.js";
import type { TransparencyLog } from "../log/index.js";
import type { TrustedPolicy } from "../policy/index.js";
import { dictionaryAnalyzer, publishedPredecessor, rulesAnalyzer } from "../review/index.js";
import { AnalysisWorker } from "./analyze.js";
import { artifactInventory } from "./analyzers/artifact-inventory.js";
import type { ArtifactStore } from "./artifacts.js";
import { keyedSerializer, type ReleaseContext } from "./context.js";
import type { Analyzer } from "./findings.js";
import { channelBundle, latestRelease } from "./publish.js";
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
  /** Demo only: the vendor key, used solely to refresh channel heads (Decision 17). */
  headSigner?: EnvelopeSigner;
  now?: () => Date;
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
        dictionaryAnalyzer({ previous: publishedPredecessor(options.store, options.artifacts) }),
      ],
      headSigner: options.headSigner,
      now: options.now ?? (() => new Date()),
      serialize: keyedSerializer(),
      kick: () => worker?.kick(),
      warn: options.warn ?? ((message) => process.stderr.write(`${message}\n`)),
    };
    worker = new AnalysisWorker(this.ctx);
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

  latest(channel: string) {
    return latestRelease(this.ctx, channel);
  }

  bundle(channel: string) {
    return channelBundle(this.ctx, channel);
  }
}
