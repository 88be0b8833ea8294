/**
 * A small client of the service's JSON API for the CLI: JSON calls, streamed uploads, errors with
 * codes. Every answer the client reads whole has a size bound and every call a timeout (Decision
 * 14: no endless data, no endless wait); downloads are streamed and bounded by the size the release states.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CrosscheckError, isCrosscheckError } from "../../errors/index.js";
import { readLimited } from "../../log/index.js";

export interface ServiceClientOptions {
  /** Milliseconds a call may take; for streamed transfers, until the answer's headers. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_JSON = 16 << 20;
const MAX_ERROR = 64 << 10;

export class ServiceClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetcher: typeof fetch;

  constructor(
    server: string,
    private readonly token?: string,
    options: ServiceClientOptions = {},
  ) {
    this.base = `${server.replace(/\/+$/, "")}/api/v1`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetcher = options.fetch ?? fetch;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  async json<T>(method: string, path: string, body?: unknown, limit = MAX_JSON): Promise<T> {
    const text = await this.read(path, limit, {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CrosscheckError(
        "E_SERVICE",
        `The service answered ${path} with something that is not JSON; check --server.`,
      );
    }
  }

  async text(path: string, limit = 4 << 20): Promise<string> {
    return this.read(path, limit, {});
  }

  /** Streams a file up as the artifact with this digest. */
  async upload(path: string, sha256: string): Promise<void> {
    const size = statSync(path).size;
    // No timeout: the answer comes only once the whole file is sent, however long that takes.
    const response = await this.fetch(
      `/artifacts/${sha256}?size=${size}`,
      {
        method: "PUT",
        headers: this.headers({
          "content-type": "application/octet-stream",
          "content-length": String(size),
        }),
        body: Readable.toWeb(createReadStream(path)) as ReadableStream,
        duplex: "half",
      } as RequestInit,
      false,
    );
    await response.body?.cancel();
  }

  /** Downloads an artifact as a stream (the caller bounds and hashes it). */
  async download(sha256: string): Promise<{ body: ReadableStream<Uint8Array>; size: number }> {
    const response = await this.fetch(`/artifacts/${sha256}`, {});
    if (!response.body)
      throw new CrosscheckError("E_SERVICE", "The artifact download has no body.");
    return { body: response.body, size: Number(response.headers.get("content-length") ?? -1) };
  }

  /**
   * Streams an artifact into a new file at `path`, refusing more than `size` bytes (the size the
   * release states: a server sending more is not believed); resolves to its SHA-256 and length.
   */
  async downloadTo(
    sha256: string,
    size: number,
    path: string,
    mode = 0o600,
  ): Promise<{ sha256: string; size: number }> {
    const { body } = await this.download(sha256);
    const hash = createHash("sha256");
    let received = 0;
    const bound = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > size) {
          return done(
            new CrosscheckError(
              "E_ARTIFACT_MISMATCH",
              `The artifact ${sha256} is longer than the ${size} bytes the release states.`,
            ),
          );
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(body as import("node:stream/web").ReadableStream),
      bound,
      createWriteStream(path, { flags: "wx", mode }),
    );
    return { sha256: hash.digest("hex"), size: received };
  }

  /** One call whose answer is read whole, within `limit` bytes and the timeout. */
  private async read(path: string, limit: number, init: RequestInit): Promise<string> {
    const { response, settled } = await this.exchange(path, init);
    try {
      return new TextDecoder().decode(await readLimited(response, limit));
    } catch (err) {
      if (isCrosscheckError(err)) throw err;
      throw this.unreachable(path, err);
    } finally {
      settled();
    }
  }

  /**
   * A call whose body the caller streams: the timeout ends once the answer's headers arrive, so a
   * long transfer is not cut off (its size is bounded by the caller instead).
   */
  private async fetch(path: string, init: RequestInit, timed = true): Promise<Response> {
    const { response, settled } = await this.exchange(path, init, timed);
    settled();
    return response;
  }

  /**
   * Sends the call under the timeout and turns an error answer into its code and sentence (its
   * body read within MAX_ERROR bytes). `settled` stops the timer; `timed: false` sets none.
   */
  private async exchange(
    path: string,
    init: RequestInit,
    timed = true,
  ): Promise<{ response: Response; settled: () => void }> {
    const controller = new AbortController();
    const timer = timed
      ? setTimeout(
          () => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        )
      : undefined;
    const settled = () => clearTimeout(timer);
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}${path}`, {
        ...init,
        redirect: "error",
        signal: controller.signal,
      });
    } catch (err) {
      settled();
      throw this.unreachable(path, err);
    }
    if (response.ok) return { response, settled };
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      const text = new TextDecoder().decode(await readLimited(response, MAX_ERROR));
      error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    } catch {
      // Not our JSON error shape, too long or too slow: keep the generic sentence.
    } finally {
      settled();
    }
    throw new CrosscheckError(
      typeof error?.code === "string" ? error.code : `E_HTTP_${response.status}`,
      typeof error?.message === "string"
        ? error.message
        : `The service answered ${response.status} to ${path}.`,
    );
  }

  private unreachable(path: string, err: unknown): CrosscheckError {
    const reason = (err as Error).cause ?? (err as Error).message;
    return new CrosscheckError(
      "E_SERVICE_UNREACHABLE",
      `Cannot reach the service at ${this.base} (${path}): ${reason}. Check --server and that the service runs.`,
    );
  }
}
