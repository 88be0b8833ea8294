/**
 * A client of any C2SP tlog-tiles log over HTTP: checkpoint, tiles, entry bundles, and adds to a
 * Crosscheck log. It uses only `fetch`, so it runs in Node and in a browser. Every response has a
 * size bound, and a partial tile the server no longer keeps is read from the full tile instead, as
 * the spec allows.
 */
import { CrosscheckError } from "../errors/index.js";
import {
  decodeEntryBundle,
  entriesPath,
  MAX_ENTRY_SIZE,
  TILE_WIDTH,
  tilePath,
} from "../merkle/index.js";
import type { TileSource } from "./proofs.js";

export interface LogClientOptions {
  /** Bearer token for adds. */
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const MAX_CHECKPOINT = 1 << 20;
const HASH = 32;

export interface AddResponse {
  index: number;
  duplicate: boolean;
  proof?: string;
}

export class LogClient {
  readonly url: string;
  private readonly options: LogClientOptions;
  private readonly fetcher: typeof fetch;

  /** `url` is the log's prefix, e.g. `http://127.0.0.1:8080/log`. */
  constructor(url: string, options: LogClientOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    this.options = options;
    this.fetcher = options.fetch ?? fetch;
  }

  async checkpoint(): Promise<string> {
    const body = await this.get("checkpoint", MAX_CHECKPOINT);
    return new TextDecoder().decode(body);
  }

  readonly tileSource: TileSource = async (level, index, width) => {
    const want = width * HASH;
    let body = await this.get(tilePath(level, index, width), TILE_WIDTH * HASH, width < TILE_WIDTH);
    if (body === undefined) body = await this.get(tilePath(level, index), TILE_WIDTH * HASH);
    if (!body || body.length < want) {
      throw new CrosscheckError(
        "E_TILE_SHORT",
        `The log served tile ${level}/${index} with ${body?.length ?? 0} bytes; ${want} were expected.`,
      );
    }
    return body.subarray(0, want);
  };

  /** The first `width` entries of bundle `index`. */
  async entries(index: number, width: number): Promise<Uint8Array[]> {
    const limit = TILE_WIDTH * (2 + MAX_ENTRY_SIZE);
    let body = await this.get(entriesPath(index, width), limit, width < TILE_WIDTH);
    if (body === undefined) body = await this.get(entriesPath(index), limit);
    const all = decodeEntryBundle(body as Uint8Array);
    if (all.length < width) {
      throw new CrosscheckError(
        "E_BUNDLE_SHORT",
        `The log served entry bundle ${index} with ${all.length} entries; ${width} were expected.`,
      );
    }
    return all.slice(0, width);
  }

  /** Adds an entry; with `wait`, the answer carries a C2SP tlog-proof of its inclusion. */
  async add(entry: Uint8Array, options: { wait?: boolean } = {}): Promise<AddResponse> {
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const response = await this.request(`add${options.wait ? "?wait=proof" : ""}`, {
      method: "POST",
      headers,
      body: entry.slice(),
    });
    const text = new TextDecoder().decode(await readLimited(response, MAX_CHECKPOINT));
    if (!response.ok) throw remoteError(response.status, text, "add");
    return JSON.parse(text) as AddResponse;
  }

  private async get(path: string, limit: number): Promise<Uint8Array>;
  private async get(
    path: string,
    limit: number,
    missingOk: boolean,
  ): Promise<Uint8Array | undefined>;
  private async get(path: string, limit: number, missingOk = false) {
    const response = await this.request(path, { method: "GET" });
    if (response.status === 404 && missingOk) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      const text = new TextDecoder().decode(
        await readLimited(response, 4096).catch(() => new Uint8Array()),
      );
      throw remoteError(response.status, text, path);
    }
    return readLimited(response, limit);
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetcher(`${this.url}/${path}`, {
        ...init,
        redirect: "error",
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new CrosscheckError(
        "E_LOG_UNREACHABLE",
        `Cannot reach the log at ${this.url}/${path}: ${(err as Error).message}. Check the URL and that the log runs.`,
        { cause: err },
      );
    }
  }
}

/** Reads a body, refusing one larger than `limit` bytes (no endless data). */
export async function readLimited(response: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge(response.url, limit);
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(response.url, limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function tooLarge(url: string, limit: number): CrosscheckError {
  return new CrosscheckError(
    "E_RESPONSE_TOO_LARGE",
    `${url} answered with more than ${limit} bytes; refusing it.`,
  );
}

function remoteError(status: number, text: string, what: string): CrosscheckError {
  let code = `E_HTTP_${status}`;
  let message = `The log answered ${what} with HTTP ${status}.`;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (parsed.error?.code && parsed.error.message) {
      code = parsed.error.code;
      message = parsed.error.message;
    }
  } catch {
    // Not our JSON error shape: keep the generic sentence.
  }
  return new CrosscheckError(code, message);
}
