/**
 * A sample upload, streamed to disk: never held in memory whole, hashed on the way, bounded in
 * size. The file is private to the gateway (0600) and removed again if the upload fails, so a
 * refused sample leaves nothing behind.
 */
import { createHash, randomUUID } from "node:crypto";
import { open, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { CrosscheckError, isCrosscheckError } from "../../errors/index.js";

export interface ReceivedSample {
  path: string;
  /** Lowercase hex SHA-256 of the bytes written. */
  sha256: string;
  size: number;
}

export async function receiveSample(
  stream: NodeJS.ReadableStream,
  opts: { dir: string; maxBytes: number },
): Promise<ReceivedSample> {
  const path = join(opts.dir, `sample-${randomUUID()}.bin`);
  // "wx": a fresh name, never an existing file (or a link planted in its place).
  const file = await open(path, "wx", 0o600);
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of chunksOf(stream)) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > opts.maxBytes) {
        throw new CrosscheckError(
          "E_SAMPLE_TOO_LARGE",
          `The sample is larger than ${opts.maxBytes} bytes, the most this gateway accepts; send a smaller file or ask the operator to raise the limit.`,
        );
      }
      hash.update(bytes);
      await file.write(bytes);
    }
    if (size === 0) {
      throw new CrosscheckError(
        "E_SAMPLE_EMPTY",
        "The sample is empty; send the file's bytes as the request body.",
      );
    }
    await file.sync();
    await file.close();
    return { path, sha256: hash.digest("hex"), size };
  } catch (err) {
    await file.close().catch(() => {});
    await unlink(path).catch(() => {});
    if (isCrosscheckError(err)) throw err;
    throw new CrosscheckError(
      "E_SAMPLE_INCOMPLETE",
      `The sample upload broke off before it was complete (${err instanceof Error ? err.message : String(err)}); send it again.`,
      { cause: err },
    );
  }
}

/**
 * The stream's chunks, without destroying it when we stop early: destroying an HTTP request resets
 * the connection, and the sender should get the 413 answer instead.
 */
function chunksOf(stream: NodeJS.ReadableStream): AsyncIterable<Buffer | string> {
  const readable = stream as Partial<Readable>;
  return typeof readable.iterator === "function"
    ? readable.iterator.call(stream, { destroyOnReturn: false })
    : stream;
}
