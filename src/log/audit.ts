/**
 * Audits a remote log through the C2SP read API only, trusting nothing but its verifier key:
 *
 * 1. the checkpoint is signed by the key, and names the key's origin;
 * 2. every level-0 tile (and, optionally, every entry bundle, re-hashed) is fetched and the leaves
 *    are folded into the tree: the result must be the checkpoint's root, and every higher tile must
 *    hold exactly the subtree roots the leaves produce;
 * 3. inclusion proofs built from the served tiles verify for sampled leaves (first, last, random);
 * 4. given a checkpoint saved by an earlier run, the served tiles prove the two consistent — the
 *    log never rewrote what it had shown.
 */
import { bytesEqual, openNote, parseVerifierKey } from "../crypto/index.js";
import { CrosscheckError } from "../errors/index.js";
import {
  type Checkpoint,
  CompactRange,
  leafHash,
  parseCheckpoint,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileWidth,
  verifyConsistency,
  verifyInclusion,
} from "../merkle/index.js";
import type { LogClient } from "./client.js";
import { proveConsistency, proveInclusion, readLeafHash } from "./proofs.js";

export interface AuditOptions {
  /** The log's verifier key (`name+hash+key`). */
  verifierKey: string;
  /** A checkpoint note saved by an earlier audit of the same log. */
  previousCheckpoint?: string;
  /** Re-hash every entry from the entry bundles. */
  entries?: boolean;
  samples?: number;
  /** Tiles fetched at once. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  random?: () => number;
}

export interface AuditReport {
  origin: string;
  size: number;
  root: Uint8Array;
  checkpoint: string;
  tilesChecked: number;
  entriesChecked: number;
  inclusionProofsChecked: number;
  /** Size of the earlier checkpoint proved consistent, if one was given. */
  consistentWith?: number;
}

export function openCheckpoint(note: string, verifierKey: string): Checkpoint {
  const verifier = parseVerifierKey(verifierKey);
  const opened = openNote(note, [verifier]);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== verifier.name) {
    throw new CrosscheckError(
      "E_CHECKPOINT_ORIGIN",
      `The checkpoint is for ${JSON.stringify(checkpoint.origin)}, but the key is for ${JSON.stringify(verifier.name)}.`,
    );
  }
  return checkpoint;
}

export async function auditLog(client: LogClient, options: AuditOptions): Promise<AuditReport> {
  const note = await client.checkpoint();
  const checkpoint = openCheckpoint(note, options.verifierKey);
  const { size, root } = checkpoint;
  const report: AuditReport = {
    origin: checkpoint.origin,
    size,
    root,
    checkpoint: note,
    tilesChecked: 0,
    entriesChecked: 0,
    inclusionProofsChecked: 0,
  };

  // 2. Fold every leaf, in order, keeping the subtree roots that higher tiles must hold.
  const range = new CompactRange();
  const higher: Uint8Array[][] = [];
  const leafTiles = Math.ceil(size / TILE_WIDTH);
  const upperTiles = countUpperTiles(size);
  const total = leafTiles + upperTiles;
  let done = 0;
  const progress = () => options.onProgress?.(++done, total);

  await inOrder(
    leafTiles,
    options.concurrency ?? 8,
    async (t) => {
      const width = tileWidth(size, 0, t);
      const [tile, entries] = await Promise.all([
        client.tileSource(0, t, width),
        options.entries ? client.entries(t, width) : undefined,
      ]);
      return { t, width, tile, entries };
    },
    ({ t, width, tile, entries }) => {
      for (let i = 0; i < width; i++) {
        const hash = tile.subarray(i * 32, i * 32 + 32);
        const index = t * TILE_WIDTH + i;
        if (entries && !bytesEqual(leafHash(entries[i] as Uint8Array), hash)) {
          throw auditFailure(`entry ${index} does not hash to the leaf hash in its tile`);
        }
        range.append(hash, (level, nodeIndex, node) => {
          if (level > 0 && level % TILE_HEIGHT === 0) {
            const k = level / TILE_HEIGHT;
            higher[k] ??= [];
            higher[k][nodeIndex] = node;
          }
        });
      }
      report.tilesChecked++;
      if (entries) report.entriesChecked += width;
      progress();
    },
  );
  if (!bytesEqual(range.root(), root)) {
    throw auditFailure(`the tiles hash to a root other than the checkpoint's at size ${size}`);
  }

  for (let k = 1; k < higher.length; k++) {
    const nodes = higher[k] ?? [];
    for (let t = 0; t * TILE_WIDTH < nodes.length; t++) {
      const width = tileWidth(size, k, t);
      const tile = await client.tileSource(k, t, width);
      for (let i = 0; i < width; i++) {
        if (
          !bytesEqual(tile.subarray(i * 32, i * 32 + 32), nodes[t * TILE_WIDTH + i] as Uint8Array)
        ) {
          throw auditFailure(`tile ${k}/${t} holds a hash the leaves below it do not produce`);
        }
      }
      report.tilesChecked++;
      progress();
    }
  }

  // 3. Sampled inclusion proofs, built from the served tiles.
  if (size > 0) {
    const random = options.random ?? Math.random;
    const sample = new Set<number>([0, size - 1]);
    for (let i = 0; i < (options.samples ?? 64); i++) sample.add(Math.floor(random() * size));
    for (const index of sample) {
      const proof = await proveInclusion(client.tileSource, index, size);
      const leaf = await readLeafHash(client.tileSource, index, size);
      verifyInclusion(leaf, index, size, proof, root);
      report.inclusionProofsChecked++;
    }
  }

  // 4. Consistency with what an earlier run saw.
  if (options.previousCheckpoint) {
    const previous = openCheckpoint(options.previousCheckpoint, options.verifierKey);
    if (previous.size > size) {
      throw new CrosscheckError(
        "E_LOG_SHRANK",
        `The log shrank: an earlier checkpoint has size ${previous.size}, the log now serves ${size}. Keep both checkpoints as evidence.`,
      );
    }
    if (previous.size === size && !bytesEqual(previous.root, root)) {
      throw new CrosscheckError(
        "E_SPLIT_VIEW",
        `The log signed two different roots for size ${size}. Keep both checkpoints as evidence.`,
      );
    }
    if (previous.size > 0 && previous.size < size) {
      const proof = await proveConsistency(client.tileSource, previous.size, size);
      try {
        verifyConsistency(previous.size, size, proof, previous.root, root);
      } catch (err) {
        throw new CrosscheckError(
          "E_LOG_INCONSISTENT",
          `The log's tree at size ${size} does not extend the tree it showed at size ${previous.size}. Keep both checkpoints as evidence.`,
          { cause: err },
        );
      }
    }
    report.consistentWith = previous.size;
  }
  return report;
}

function countUpperTiles(size: number): number {
  let count = 0;
  for (
    let nodes = Math.floor(size / TILE_WIDTH);
    nodes > 0;
    nodes = Math.floor(nodes / TILE_WIDTH)
  ) {
    count += Math.ceil(nodes / TILE_WIDTH);
  }
  return count;
}

/** Runs `fetch` for 0..n-1 with bounded concurrency, handing results to `consume` in order. */
async function inOrder<T>(
  n: number,
  concurrency: number,
  fetch: (i: number) => Promise<T>,
  consume: (value: T) => void,
): Promise<void> {
  const inFlight: Promise<T>[] = [];
  let next = 0;
  const start = (i: number) => {
    const p = fetch(i);
    // Awaited in order below; until then a rejection must not count as unhandled.
    p.catch(() => {});
    inFlight.push(p);
  };
  while (next < n && inFlight.length < concurrency) start(next++);
  while (inFlight.length > 0) {
    const value = await (inFlight.shift() as Promise<T>);
    if (next < n) start(next++);
    consume(value);
  }
}

function auditFailure(what: string): CrosscheckError {
  return new CrosscheckError("E_AUDIT_FAILED", `The log failed its audit: ${what}.`);
}
