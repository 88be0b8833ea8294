import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCrosscheckError } from "../../errors/index.js";
import { ServiceClient } from "./service-client.js";

/** A service that streams without end, never answers, or answers an endless error. */
let server: Server;
let url: string;
const open = new Set<ServerResponse>();

function endless(res: ServerResponse, status: number): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.write('{"error":{"code":"E_X","message":"');
  const chunk = "x".repeat(16 * 1024);
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) {}
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    open.add(res);
    res.on("close", () => open.delete(res));
    if (req.url === "/api/v1/endless") endless(res, 200);
    else if (req.url === "/api/v1/endless-error") endless(res, 500);
    // /api/v1/silent: never answers.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    return isCrosscheckError(err) ? err.code : String(err);
  }
  return "no error";
}

describe("ServiceClient", () => {
  it("refuses an answer larger than its bound instead of buffering it", async () => {
    const api = new ServiceClient(url, undefined, { timeoutMs: 10_000 });
    const started = Date.now();
    expect(await codeOf(() => api.json("GET", "/endless", undefined, 1 << 20))).toBe(
      "E_RESPONSE_TOO_LARGE",
    );
    expect(await codeOf(() => api.text("/endless", 1 << 20))).toBe("E_RESPONSE_TOO_LARGE");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("gives up on a service that does not answer", async () => {
    const api = new ServiceClient(url, undefined, { timeoutMs: 200 });
    expect(await codeOf(() => api.json("GET", "/silent"))).toBe("E_SERVICE_UNREACHABLE");
    expect(await codeOf(() => api.download("ab".repeat(32)))).toBe("E_SERVICE_UNREACHABLE");
  });

  it("reads an error answer only up to its bound", async () => {
    const api = new ServiceClient(url, undefined, { timeoutMs: 10_000 });
    let error: unknown;
    try {
      await api.json("GET", "/endless-error");
    } catch (err) {
      error = err;
    }
    expect(isCrosscheckError(error) && error.code).toBe("E_HTTP_500");
    expect((error as Error).message).toMatch(/answered 500/);
  });
});
