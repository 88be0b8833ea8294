/**
 * `crosscheck update` against a hostile service: it verifies the bundle before downloading a
 * byte, installs only files whose digest and size are the ones listed for their name, bounds every
 * download, and installs nothing under a name that is not a plain file name.
 */

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { envelopeDigest, type ReleasePredicate } from "../src/attest/index.js";
import { checkArtifactName, update } from "../src/cli/commands/update.js";
import { sha256, toHex, utf8Encode } from "../src/crypto/index.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { type Bundle, serializeBundle } from "../src/verify/index.js";
import { NOW, type World, world } from "./support/release-world.js";

const A = utf8Encode("the first reviewed file\n");
const B = utf8Encode("the second reviewed file, which is longer\n");
const listed = (name: string, bytes: Uint8Array) => ({
  name,
  size: bytes.length,
  sha256: toHex(sha256(bytes)),
});

let w: World;
let dir: string;
const servers: Server[] = [];

beforeAll(async () => {
  w = await world();
  dir = mkdtempSync(join(tmpdir(), "crosscheck-update-"));
  writeFileSync(join(dir, "policy.json"), JSON.stringify(w.policy.envelope));
});
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await w.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Service {
  url: string;
  /** Digests the endpoint asked to download, in order. */
  downloads: string[];
}

/** A service that serves `bundle` as the sigdb channel's newest release, and `files` by digest. */
async function service(bundle: Bundle, files: Map<string, Uint8Array>): Promise<Service> {
  const downloads: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url === "/api/v1/channels/sigdb/latest") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ envelopeSha256: envelopeDigest(bundle.release.envelope) }));
    } else if (url === "/api/v1/channels/sigdb/bundle") {
      res.end(serializeBundle(bundle));
    } else if (url.startsWith("/api/v1/artifacts/")) {
      const sha = url.slice("/api/v1/artifacts/".length);
      downloads.push(sha);
      const bytes = files.get(sha);
      res.statusCode = bytes ? 200 : 404;
      res.end(bytes ?? "");
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, downloads };
}

async function bundleOf(artifacts: ReleasePredicate["artifacts"], unreviewed = false) {
  const parts = w.parts({ artifacts });
  return w.bundle(unreviewed ? { ...parts, reviews: [] } : parts);
}

let runs = 0;
async function run(svc: Service, maxArtifactSize = 4 * 1024 ** 3) {
  runs++;
  const install = join(dir, `install-${runs}`);
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  let error: unknown;
  try {
    await update(
      {
        server: svc.url,
        channel: "sigdb",
        policy: join(dir, "policy.json"),
        state: join(dir, `state-${runs}`),
        install,
        maxArtifactSize,
      },
      NOW,
    );
  } catch (err) {
    error = err;
  } finally {
    write.mockRestore();
  }
  const installed = existsSync(install) ? readdirSync(install).sort() : [];
  const saved = existsSync(join(dir, `state-${runs}`, "state.json"));
  return { error, installed, saved };
}

function code(error: unknown): string | undefined {
  return isCrosscheckError(error) ? error.code : String(error);
}

describe("crosscheck update", () => {
  it("installs every listed artifact when each download is the listed file (the control)", async () => {
    const bundle = await bundleOf([listed("a.cvd", A), listed("b.cvd", B)]);
    const files = new Map([
      [listed("a", A).sha256, A],
      [listed("b", B).sha256, B],
    ]);
    const result = await run(await service(bundle, files));
    expect(result.error).toBeUndefined();
    expect(result.installed).toEqual(["a.cvd", "b.cvd"]);
    expect(result.saved).toBe(true);
  });

  it("verifies the bundle before downloading anything", async () => {
    const bundle = await bundleOf([listed("a.cvd", A)], true);
    const svc = await service(bundle, new Map([[listed("a", A).sha256, A]]));
    const result = await run(svc);
    expect(code(result.error)).toBe("E_UNREVIEWED");
    expect(svc.downloads).toEqual([]);
    expect(result.installed).toEqual([]);
  });

  it("refuses another listed file served in place of an artifact", async () => {
    // The service answers a's digest with b's bytes: b is reviewed, but not as a.cvd.
    const bundle = await bundleOf([listed("a.cvd", A), listed("b.cvd", B)]);
    const files = new Map([
      [listed("a", A).sha256, B],
      [listed("b", B).sha256, B],
    ]);
    const result = await run(await service(bundle, files));
    expect(code(result.error)).toBe("E_ARTIFACT_MISMATCH");
    expect(result.installed).toEqual([]);
    expect(result.saved).toBe(false);
  });

  it("refuses a download shorter than the size the release lists", async () => {
    const bundle = await bundleOf([listed("a.cvd", A)]);
    const svc = await service(bundle, new Map([[listed("a", A).sha256, A.subarray(0, 5)]]));
    const result = await run(svc);
    expect(code(result.error)).toBe("E_ARTIFACT_MISMATCH");
    expect(result.installed).toEqual([]);
  });

  it("bounds every download by --max-artifact-size", async () => {
    const bundle = await bundleOf([listed("a.cvd", A)]);
    const svc = await service(bundle, new Map([[listed("a", A).sha256, A]]));
    const result = await run(svc, A.length - 1);
    expect(code(result.error)).toBe("E_ARTIFACT_TOO_LARGE");
    expect(svc.downloads).toEqual([]);
    expect(result.installed).toEqual([]);
  });

  it("refuses an artifact name that is not a plain file name, before downloading", async () => {
    for (const name of ["..", "a\\b", "..\\evil", "x..y"]) {
      const bundle = await bundleOf([listed(name, A)]);
      const svc = await service(bundle, new Map([[listed("a", A).sha256, A]]));
      const result = await run(svc);
      expect(code(result.error), name).toBe("E_ARTIFACT_NAME");
      expect(svc.downloads, name).toEqual([]);
    }
    for (const name of ["", ".", "a/b", "/etc/passwd", "a\0b"]) {
      expect(() => checkArtifactName(name), JSON.stringify(name)).toThrow(/plain file name/);
    }
    expect(() => checkArtifactName("main.cvd")).not.toThrow();
  });
});
