/** File helpers for commands: bounded reads, durations, streamed hashes. (Writes: store's writeFileDurably.) */
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { CrosscheckError } from "../errors/index.js";

/** Reads a text file of at most `limit` bytes, with errors that name the file. */
export function readTextFile(path: string, what: string, limit = 16 << 20): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new CrosscheckError(
      "E_INPUT",
      `Cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  if (size > limit)
    throw new CrosscheckError("E_INPUT", `The ${what} ${path} is larger than ${limit} bytes.`);
  return readFileSync(path, "utf8");
}

/** Hex SHA-256 and size of a file, streamed (artifacts can be large). */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    throw new CrosscheckError(
      "E_INPUT",
      `Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  return { sha256: hash.digest("hex"), size };
}

/** Parses "24h", "90m", "30d", "3600s" or plain seconds into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) {
    throw new CrosscheckError(
      "E_USAGE",
      `${JSON.stringify(text)} is not a duration; write e.g. 90m, 24h or 30d.`,
    );
  }
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
