/**
 * Artifacts stored by digest: `DIR/sha256/<hex>`. An upload streams to a temporary file while it
 * is hashed and counted, never held in memory; only a complete upload of the announced digest and
 * size, within the limit, is renamed into place. Anything else (a truncated or aborted body, a
 * digest or size mismatch, too many bytes) removes the temporary file and leaves no trace.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CrosscheckError } from "../errors/index.js";

export const DEFAULT_MAX_ARTIFACT_SIZE = 256 * 1024 * 1024;
const SHA256 = /^[0-9a-f]{64}$/;

export class ArtifactStore {
  constructor(
    readonly root: string,
    readonly maxSize = DEFAULT_MAX_ARTIFACT_SIZE,
  ) {
    mkdirSync(join(root, "sha256"), { recursive: true });
    mkdirSync(join(root, "tmp"), { recursive: true });
  }

  path(sha256: string): string {
    if (!SHA256.test(sha256)) {
      throw new CrosscheckError(
        "E_INVALID_INPUT",
        "An artifact digest is 64 lower-case hex digits.",
      );
    }
    return join(this.root, "sha256", sha256);
  }

  /** The stored artifact's size, or undefined. */
  size(sha256: string): number | undefined {
    try {
      return statSync(this.path(sha256)).size;
    } catch {
      return undefined;
    }
  }

  open(sha256: string): { stream: Readable; size: number } {
    const size = this.size(sha256);
    if (size === undefined) {
      throw new CrosscheckError(
        "E_ARTIFACT_NOT_FOUND",
        `No artifact with sha256 ${sha256} is stored here.`,
      );
    }
    return { stream: createReadStream(this.path(sha256)), size };
  }

  /**
   * Streams `body` in as the artifact `sha256` of `size` bytes. Resolves once it is stored (or
   * was already); throws E_ARTIFACT_TOO_LARGE, E_ARTIFACT_TRUNCATED or E_ARTIFACT_DIGEST.
   */
  async put(sha256: string, size: number, body: Readable): Promise<{ stored: boolean }> {
    const target = this.path(sha256);
    if (size > this.maxSize) {
      body.resume();
      throw tooLarge(this.maxSize);
    }
    const temp = join(this.root, "tmp", `${sha256}.${randomBytes(6).toString("hex")}`);
    const hash = createHash("sha256");
    let received = 0;
    const limit = this.maxSize;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > limit) return done(tooLarge(limit));
        if (received > size) {
          return done(
            new CrosscheckError(
              "E_ARTIFACT_SIZE",
              `The upload is longer than the announced ${size} bytes.`,
            ),
          );
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(temp, { flags: "wx", mode: 0o644 }));
      if (received !== size) {
        throw new CrosscheckError(
          "E_ARTIFACT_TRUNCATED",
          `The upload ended after ${received} of ${size} bytes; nothing was stored. Upload the whole file again.`,
        );
      }
      const actual = hash.digest("hex");
      if (actual !== sha256) {
        throw new CrosscheckError(
          "E_ARTIFACT_DIGEST",
          `The uploaded bytes hash to ${actual}, not ${sha256}; nothing was stored.`,
        );
      }
      if (this.size(sha256) === size) {
        rmSync(temp, { force: true });
        return { stored: false };
      }
      // On disk before it is visible: a release accepted on this artifact must not lose it.
      const fd = openSync(temp, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, target);
      return { stored: true };
    } catch (err) {
      rmSync(temp, { force: true });
      if (err instanceof CrosscheckError) throw err;
      throw new CrosscheckError(
        "E_ARTIFACT_TRUNCATED",
        `The upload was interrupted (${(err as Error).message}); nothing was stored.`,
      );
    }
  }
}

function tooLarge(limit: number): CrosscheckError {
  return new CrosscheckError(
    "E_ARTIFACT_TOO_LARGE",
    `The artifact is larger than this service accepts (${limit} bytes); nothing was stored.`,
  );
}
