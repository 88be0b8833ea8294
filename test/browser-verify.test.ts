/**
 * The verifier runs in the page (the Transparency Center verifies releases in the browser): a
 * release made entirely with the CLI is accepted by the esbuild-bundled verifier in headless
 * Chromium with exactly the result Node gives, and the same forgeries are refused there with the
 * same codes. The page uses the portable noble crypto, Node uses node:crypto: identical results
 * show the two backends agree.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvelope } from "../src/attest/index.js";
import { installNodeCrypto } from "../src/crypto/node.js";
import { isCrosscheckError } from "../src/errors/index.js";
import { openPolicy } from "../src/policy/index.js";
import { parseBundle, verifyRelease } from "../src/verify/index.js";
import { launchChromium, mustRun, requireChromium } from "./support/browser.js";
import type { CrosscheckPageApi } from "./support/browser-entry.js";
import { type CliRelease, cliRelease } from "./support/cli-release.js";
import { summarizeVerification, type VerificationSummary } from "./support/verification-summary.js";

/** The components a page may load: the domain and what it stands on, nothing with I/O. */
const BROWSER_COMPONENTS = new Set(["verify", "policy", "attest", "merkle", "crypto", "errors"]);

interface PageInput {
  policy: string;
  bundle: string;
  artifact: number[];
  now: string;
}

type PageOutcome =
  | { accepted: true; summary: VerificationSummary }
  | { accepted: false; code: string | undefined; message: string };

describe.runIf(mustRun)("the verifier in headless Chromium", () => {
  let js: string;
  let bundledSources: string[];
  let c: CliRelease;
  let made: { artifact: string; bundle: string };
  let server: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    requireChromium();
    installNodeCrypto();

    const built = await build({
      entryPoints: [new URL("./support/browser-entry.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "esm",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    js = built.outputFiles[0]?.text ?? "";
    bundledSources = Object.keys(built.metafile.inputs);

    c = await cliRelease();
    made = await c.release("2026.11.23.1");

    const html =
      '<!doctype html><meta charset="utf-8"><title>crosscheck verifier</title>' +
      '<script type="module" src="/crosscheck.js"></script>';
    server = createServer((req, res) => {
      if (req.url === "/") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
      } else if (req.url === "/crosscheck.js") {
        res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(js);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    browser = await launchChromium();
    const context = await browser.newContext();
    // The page talks to our server only: anything else is recorded and cut off.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => "crosscheck" in globalThis, undefined, { timeout: 10_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await c?.stop();
  });

  const inputs = (changes: Partial<PageInput> = {}): PageInput => ({
    policy: readFileSync(c.policy, "utf8"),
    bundle: readFileSync(made.bundle, "utf8"),
    artifact: [...readFileSync(made.artifact)],
    now: new Date().toISOString(),
    ...changes,
  });

  /** Opens the policy, parses the bundle, and verifies for channel sigdb inside the page. */
  const verifyInPage = (input: PageInput): Promise<PageOutcome> =>
    page.evaluate((input) => {
      const cc = (globalThis as unknown as { crosscheck: CrosscheckPageApi }).crosscheck;
      const now = new Date(input.now);
      try {
        const policy = cc.openPolicy(cc.parseEnvelope(input.policy), { now });
        const bundle = cc.parseBundle(input.bundle);
        const result = cc.verifyRelease({
          bundle,
          artifact: Uint8Array.from(input.artifact),
          policy,
          channel: "sigdb",
          now,
        });
        return { accepted: true as const, summary: cc.summarizeVerification(result) };
      } catch (err) {
        const { code, message } = err as { code?: string; message: string };
        return { accepted: false as const, code, message };
      }
    }, input);

  const verifyInNode = (input: PageInput): PageOutcome => {
    const now = new Date(input.now);
    try {
      const result = verifyRelease({
        bundle: parseBundle(input.bundle),
        artifact: Uint8Array.from(input.artifact),
        policy: openPolicy(parseEnvelope(input.policy), { now }),
        channel: "sigdb",
        now,
      });
      return { accepted: true, summary: summarizeVerification(result) };
    } catch (err) {
      if (!isCrosscheckError(err)) throw err;
      return { accepted: false, code: err.code, message: err.message };
    }
  };

  it("bundles the verifier for the browser with no Node module in it", () => {
    expect(js.length).toBeGreaterThan(0);
    expect(js).not.toContain("node:");
    const components = bundledSources
      .filter((path) => !path.includes("node_modules/"))
      .map((path) => /(?:^|\/)src\/([^/]+)\//.exec(path)?.[1] ?? path)
      .filter((name) => !name.startsWith("test/support/"));
    expect(components.length).toBeGreaterThan(0);
    for (const name of components) expect(BROWSER_COMPONENTS, name).toContain(name);
  });

  it("hashes the artifact in the page exactly as Node does", async () => {
    const bytes = readFileSync(made.artifact);
    const inPage = await page.evaluate(
      (artifact) => {
        const cc = (globalThis as unknown as { crosscheck: CrosscheckPageApi }).crosscheck;
        return cc.toHex(cc.sha256(Uint8Array.from(artifact)));
      },
      [...bytes],
    );
    expect(inPage).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  it("accepts the CLI-made release in the page with the same result as in Node", async () => {
    const input = inputs();
    const inPage = await verifyInPage(input);
    const inNode = verifyInNode(input);
    expect(inPage).toMatchObject({ accepted: true });
    expect(inNode).toMatchObject({ accepted: true });
    if (!inPage.accepted || !inNode.accepted) return;

    expect(inPage.summary).toMatchObject({
      channel: "sigdb",
      version: "2026.11.23.1",
      artifact: {
        name: "main-2026.11.23.1.cvd",
        sha256: createHash("sha256").update(readFileSync(made.artifact)).digest("hex"),
      },
      consistency: "first-use",
    });
    expect([...inPage.summary.approvedBy].sort()).toEqual(["Alpha Labs", "Beta Review"]);
    expect(inPage.summary.releaseSha256).toMatch(/^[0-9a-f]{64}$/);
    // Everything the page decided, Node decided too: version, release digest, approvers,
    // checkpoint, witness time and the state to save.
    expect(inPage.summary).toEqual(inNode.summary);
  });

  it("refuses a tampered artifact in the page with E_ARTIFACT_MISMATCH", async () => {
    const original = [...readFileSync(made.artifact)];
    const tampered = original.map((byte, i) => (i === 0 ? byte ^ 0x01 : byte));
    const input = inputs({ artifact: tampered });
    const inPage = await verifyInPage(input);
    expect(inPage).toMatchObject({ accepted: false, code: "E_ARTIFACT_MISMATCH" });
    expect(verifyInNode(input)).toMatchObject({ accepted: false, code: "E_ARTIFACT_MISMATCH" });
  });

  it("refuses a bundle with one of its two reviews removed with E_REVIEW_THRESHOLD", async () => {
    const bundle = JSON.parse(readFileSync(made.bundle, "utf8")) as { reviews: unknown[] };
    expect(bundle.reviews).toHaveLength(2);
    const input = inputs({
      bundle: JSON.stringify({ ...bundle, reviews: bundle.reviews.slice(1) }),
    });
    const inPage = await verifyInPage(input);
    expect(inPage).toMatchObject({ accepted: false, code: "E_REVIEW_THRESHOLD" });
    expect(verifyInNode(input)).toMatchObject({ accepted: false, code: "E_REVIEW_THRESHOLD" });
  });

  it("talked only to 127.0.0.1 and threw nothing uncaught", () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
