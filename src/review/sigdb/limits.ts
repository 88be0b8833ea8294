/**
 * Size bounds for everything a signature database review reads (Decision 20): the input file, the
 * gzip stream inside a container (absolute size and expansion ratio: no compression bombs), tar
 * members, and single lines. A database past a bound is refused with a sentence saying which
 * bound, never half-read.
 */
import { gunzipSync } from "node:zlib";
import { CrosscheckError } from "../../errors/index.js";

export interface SigdbLimits {
  /** Bytes of one input file (container, cdiff or signature file) as stored. */
  maxInputBytes: number;
  /** Bytes of one tar member or database file. */
  maxMemberBytes: number;
  /** Bytes of all database files together, after decompression. */
  maxTotalBytes: number;
  /** Files in one database. */
  maxMembers: number;
  /** Decompressed bytes per compressed byte, applied once the output passes `ratioFloor`. */
  maxRatio: number;
  ratioFloor: number;
  /** Characters of one signature line (ClamAV's own buffer for logical signatures is 64 KiB). */
  maxLineLength: number;
}

/** ClamAV's official main.cvd is ~170 MB packed; these bounds leave room and stop bombs. */
export const DEFAULT_SIGDB_LIMITS: SigdbLimits = {
  maxInputBytes: 1024 * 1024 * 1024,
  maxMemberBytes: 1024 * 1024 * 1024,
  maxTotalBytes: 1536 * 1024 * 1024,
  maxMembers: 10_000,
  maxRatio: 50,
  ratioFloor: 16 * 1024 * 1024,
  maxLineLength: 1024 * 1024,
};

export function limitsOf(partial: Partial<SigdbLimits> | undefined): SigdbLimits {
  return { ...DEFAULT_SIGDB_LIMITS, ...partial };
}

export function limitError(message: string): CrosscheckError {
  return new CrosscheckError("E_SIGDB_LIMIT", message);
}

export function formatError(message: string): CrosscheckError {
  return new CrosscheckError("E_SIGDB_FORMAT", message);
}

/** Gunzips within the bounds: the output may not pass the total bound nor the ratio. */
export function gunzipBounded(what: string, bytes: Uint8Array, limits: SigdbLimits): Buffer {
  const max = Math.min(
    limits.maxTotalBytes,
    Math.max(limits.ratioFloor, bytes.length * limits.maxRatio),
  );
  try {
    return gunzipSync(bytes, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw limitError(
        `The gzip stream of ${what} unpacks to more than ${max} bytes (${bytes.length} bytes packed): refused as a compression bomb.`,
      );
    }
    throw formatError(`The gzip stream of ${what} is corrupt: ${(err as Error).message}.`);
  }
}
