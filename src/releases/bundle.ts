/**
 * Assembling a bundle: each envelope is appended to the log (a duplicate keeps its index), then
 * every one is proved against ONE checkpoint — the newest — so the bundle is self-consistent and
 * fresh (Decision 7: bundles are re-proved whenever they are served).
 */
import { type Envelope, envelopeLogEntry } from "../attest/index.js";
import { parseNote, toBase64 } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import { proveInclusion, type TileSource } from "../log/index.js";
import { parseCheckpoint } from "../merkle/index.js";
import { BUNDLE_MEDIA_TYPE, type Bundle, type LoggedEnvelope } from "../verify/index.js";

export interface BundleParts {
  release: Envelope;
  head: Envelope;
  reviews: Envelope[];
  /** Rebuilders' statements of the release; a bundle without any leaves the field out. */
  rebuilds?: Envelope[];
}

/** Where a bundle's envelopes are logged and proved: a log, local or remote. */
export interface BundleLog {
  /** Appends an entry (idempotent) and resolves with its index once integrated. */
  add(entry: Uint8Array): Promise<number>;
  /** The newest checkpoint to prove against (cosigned, where the log has witnesses). */
  checkpoint(): Promise<string>;
  tiles: TileSource;
}

export async function logBundleParts(
  parts: BundleParts,
  log: BundleLog,
): Promise<Map<Envelope, number>> {
  const indexes = new Map<Envelope, number>();
  for (const envelope of [parts.release, parts.head, ...parts.reviews, ...(parts.rebuilds ?? [])]) {
    indexes.set(envelope, await log.add(envelopeLogEntry(envelope)));
  }
  return indexes;
}

/** Proves every part against `checkpoint` (a signed note) and assembles the bundle. */
export async function proveBundle(
  parts: BundleParts,
  indexes: ReadonlyMap<Envelope, number>,
  checkpoint: string,
  tiles: TileSource,
): Promise<Bundle> {
  const { size } = parseCheckpoint(parseNote(checkpoint).text);
  const prove = async (envelope: Envelope): Promise<LoggedEnvelope> => {
    const index = indexes.get(envelope);
    if (index === undefined || index >= size) {
      throw new CrosscheckError(
        "E_UNLOGGED",
        "An envelope of the bundle is not covered by the log's checkpoint yet; retry once it is integrated.",
      );
    }
    const proof = await proveInclusion(tiles, index, size);
    return { envelope, index, proof: proof.map(toBase64) };
  };
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    release: await prove(parts.release),
    head: await prove(parts.head),
    reviews: await Promise.all(parts.reviews.map(prove)),
    ...(parts.rebuilds?.length ? { rebuilds: await Promise.all(parts.rebuilds.map(prove)) } : {}),
    checkpoint,
  };
}

/** Logs the parts, then proves them against the log's newest checkpoint. */
export async function assembleBundle(parts: BundleParts, log: BundleLog): Promise<Bundle> {
  const indexes = await logBundleParts(parts, log);
  return proveBundle(parts, indexes, await log.checkpoint(), log.tiles);
}
