/** A small client of the service's JSON API for the CLI: JSON calls, streamed uploads, errors with codes. */
import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
import { CrosscheckError } from "../../errors/index.js";

export class ServiceClient {
  private readonly base: string;

  constructor(
    server: string,
    private readonly token?: string,
  ) {
    this.base = `${server.replace(/\/+$/, "")}/api/v1`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  async text(path: string, limit = 4 << 20): Promise<string> {
    const response = await this.fetch(path, {});
    const text = await response.text();
    if (text.length > limit)
      throw new CrosscheckError(
        "E_RESPONSE_TOO_LARGE",
        `${path} answered more than ${limit} bytes.`,
      );
    return text;
  }

  /** Streams a file up as the artifact with this digest. */
  async upload(path: string, sha256: string): Promise<void> {
    const size = statSync(path).size;
    await this.fetch(`/artifacts/${sha256}?size=${size}`, {
      method: "PUT",
      headers: this.headers({
        "content-type": "application/octet-stream",
        "content-length": String(size),
      }),
      body: Readable.toWeb(createReadStream(path)) as ReadableStream,
      duplex: "half",
    } as RequestInit);
  }

  /** Downloads an artifact as a stream (the caller bounds and hashes it). */
  async download(sha256: string): Promise<{ body: ReadableStream<Uint8Array>; size: number }> {
    const response = await this.fetch(`/artifacts/${sha256}`, {});
    if (!response.body)
      throw new CrosscheckError("E_SERVICE", "The artifact download has no body.");
    return { body: response.body, size: Number(response.headers.get("content-length") ?? -1) };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, init);
    } catch (err) {
      throw new CrosscheckError(
        "E_SERVICE_UNREACHABLE",
        `Cannot reach the service at ${this.base}: ${(err as Error).cause ?? (err as Error).message}.`,
      );
    }
    if (!response.ok) {
      let error: { code?: string; message?: string } | undefined;
      try {
        error = ((await response.json()) as { error?: { code?: string; message?: string } }).error;
      } catch {}
      throw new CrosscheckError(
        error?.code ?? `E_HTTP_${response.status}`,
        error?.message ?? `The service answered ${response.status} to ${path}.`,
      );
    }
    return response;
  }
}
