/**
 * Helpers for witness tests: an in-process log that remembers the signed checkpoint of every size
 * it reached (so stale and forked requests can be replayed), and a witness on its own SQLite.
 */
import {
  generateNoteKey,
  NOTE_KEY_TYPE_COSIGNATURE_V1,
  openNote,
  parseNote,
  utf8Encode,
} from "../../src/crypto/index.js";
import { installNodeCrypto } from "../../src/crypto/node.js";
import { TransparencyLog } from "../../src/log/index.js";
import { cosignatureSigner, cosignatureVerifier, parseCheckpoint } from "../../src/merkle/index.js";
import { migrate, openSqlite, type SqliteDatabase } from "../../src/store/index.js";
import { formatAddCheckpoint, Witness, WitnessStore } from "../../src/witness/index.js";

installNodeCrypto();

export interface KeyPair {
  signerKey: string;
  verifierKey: string;
}

/** A log key (Ed25519) and a witness key (cosignature/v1). */
export const logKey = (origin = "log.witness-test.example"): KeyPair => generateNoteKey(origin);
export const witnessKey = (name = "w.witness-test.example"): KeyPair =>
  generateNoteKey(name, NOTE_KEY_TYPE_COSIGNATURE_V1);

export interface GrowingLog {
  log: TransparencyLog;
  /** The signed checkpoint the log published at each size it reached. */
  notes: Map<number, string>;
  size(): number;
  note(size: number): string;
  /** Adds `count` entries one by one (each its own checkpoint); `tag` makes forks differ. */
  grow(count: number): Promise<void>;
  root(size: number): Uint8Array;
  proof(from: number, to: number): Promise<Uint8Array[]>;
  close(): Promise<void>;
}

/** An in-process log on an in-memory database; forks share a key and differ by `tag`. */
export async function growingLog(signerKey: string, tag: string): Promise<GrowingLog> {
  const database = openSqlite(":memory:");
  const log = await TransparencyLog.open({ database, signer: signerKey });
  const notes = new Map<number, string>([[0, log.checkpoint()]]);
  let counter = 0;
  const self: GrowingLog = {
    log,
    notes,
    size: () => log.state.size,
    note(size) {
      const note = notes.get(size);
      if (!note) throw new Error(`no checkpoint of size ${size} recorded`);
      return note;
    },
    async grow(count) {
      for (let i = 0; i < count; i++) {
        await log.add(utf8Encode(`${tag} entry ${counter++} ${Math.random()}`));
        notes.set(log.state.size, log.checkpoint());
      }
    },
    root: (size) => sizeAndRoot(self.note(size)).root,
    proof: (from, to) => log.consistencyProof(from, to),
    async close() {
      await log.close();
      await database.close();
    },
  };
  return self;
}

export function sizeAndRoot(note: string): { size: number; root: Uint8Array } {
  const cp = parseCheckpoint(parseNote(note).text);
  return { size: cp.size, root: cp.root };
}

/** The add-checkpoint body for `note`, with a correct proof from `old` taken from `from`. */
export async function addBody(from: GrowingLog, old: number, note: string): Promise<string> {
  const { size } = sizeAndRoot(note);
  const proof = old > 0 && old < size ? await from.proof(old, size) : [];
  return formatAddCheckpoint({ oldSize: old, proof, checkpoint: note });
}

export interface WitnessKit {
  key: KeyPair;
  witness: Witness;
  store: WitnessStore;
  database: SqliteDatabase;
  close(): Promise<void>;
}

/** A witness of `logs` on the SQLite file `path` (or in memory), migrated. */
export async function openWitness(
  logs: string[],
  key: KeyPair = witnessKey(),
  path = ":memory:",
): Promise<WitnessKit> {
  const database = openSqlite(path);
  await migrate(database);
  const store = new WitnessStore(database);
  const witness = new Witness({ signer: cosignatureSigner(key.signerKey), logs, store });
  return { key, witness, store, database, close: () => database.close() };
}

/**
 * Checks a witness's 200 body (cosignature lines) against its verifier key and the checkpoint's
 * text; returns the cosigned note (checkpoint text plus the cosignature line) or throws.
 */
export function checkCosignature(note: string, body: string, witnessVerifierKey: string): string {
  const { text } = parseNote(note);
  const cosigned = `${text}\n${body}`;
  openNote(cosigned, [cosignatureVerifier(witnessVerifierKey)]);
  return cosigned;
}
