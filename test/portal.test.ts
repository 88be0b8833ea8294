/**
 * The Transparency Center in a real browser against a real `crosscheck serve` on a fresh demo
 * folder: a published rules release whose rule file carries `<script>alert(1)</script>` is shown
 * as text (no dialog, no injected element, no CSP violation), "Verify in your browser" runs the
 * real verifier in the page and accepts, and a tampered bundle is refused naming the check. Then
 * the log page proves an entry's inclusion from tiles, and the telemetry page shows the gateway.
 * Signed in (demo passwords from <data>/users/), the auditor raises a concern the vendor answers in
 * another browser context; a signed-out researcher reports a vulnerability whose title carries
 * `<img onerror>` (text, no dialog), the vendor triages it fixed with an award, the public list
 * shows it; a cookie without the CSRF token changes nothing; "Older releases" follows `next`.
 * dist/web must exist (`npm test` runs `npm run build` first). Screenshots: test-results/portal/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PORTAL_HEADERS, portalRoutes } from "../src/server/portal.js";
import {
  launchChromium,
  mustRun,
  newWatchedPage,
  requirePortal,
  SHOTS,
} from "./support/browser.js";
import { CLI, freePort, runCli, stop } from "./support/cli.js";

const XSS = "<script>alert(1)</script>";
const IMG_XSS = "<img src=x onerror=alert(1)>";

async function startService(data: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "serve", "--data", data, "--port", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
    child.stderr?.on("data", (d) => {
      stderr += d;
      if (stderr.includes("Crosscheck serving at")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  return child;
}

async function must(args: string[]): Promise<string> {
  const result = await runCli(args);
  if (result.code !== 0) throw new Error(`crosscheck ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

describe("the portal without a build", () => {
  it("says how to build it, and leaves API 404s to the API", async () => {
    const app = Fastify();
    await app.register(portalRoutes, { root: join(tmpdir(), "crosscheck-no-portal-here") });
    const page = await app.inject({ method: "GET", url: "/releases" });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain("npm run build");
    expect(page.headers["content-security-policy"]).toBe(PORTAL_HEADERS["content-security-policy"]);
    expect((await app.inject({ method: "GET", url: "/api/v1/nothing" })).statusCode).toBe(404);
    await app.close();
  });
});

describe.runIf(mustRun)("the Transparency Center in headless Chromium", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let origin: string;
  let release: { id: string; logIndex: number };
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  const foreignRequests: string[] = [];

  const newPage = (): Promise<Page> =>
    newWatchedPage(browser, origin, { dialogs, pageErrors, cspViolations, foreignRequests });

  /** Signs `who` in through the sign-in page with the password the demo wrote for them. */
  async function signIn(on: Page, who: string, shot?: string): Promise<void> {
    const password = readFileSync(join(dir, "data", "users", `${who}.password`), "utf8").trim();
    await on.goto(`${origin}/sign-in`);
    await on.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await on.getByLabel("Name").fill(who);
    await on.getByLabel("Password").fill(password);
    if (shot) await on.screenshot({ path: join(SHOTS, shot), fullPage: true });
    await on.getByRole("button", { name: "Sign in" }).click();
    await on.waitForURL(`${origin}/`);
    expect(await on.getByTestId("signed-in-name").textContent()).toBe(who);
  }

  beforeAll(async () => {
    requirePortal();
    dir = mkdtempSync(join(tmpdir(), "crosscheck-portal-"));
    const data = join(dir, "data");
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = await startService(data, port);

    // A vendor submits a rules release whose rule carries markup; two organisations approve it.
    const rules = join(dir, "probe.yar");
    writeFileSync(
      rules,
      `rule markup_probe\n{\n  meta:\n    description = "${XSS}"\n  strings:\n    $a = "${XSS}"\n  condition:\n    $a\n}\n`,
    );
    const keys = join(data, "keys");
    const tokens = join(data, "tokens");
    const submitted = JSON.parse(
      await must([
        "release",
        "submit",
        "--server",
        origin,
        "--token-file",
        join(tokens, "vendor.token"),
        "--key",
        join(keys, "vendor.key"),
        "--channel",
        "rules",
        "--version",
        "2026.11.23.1",
        "--artifact",
        rules,
        "--json",
      ]),
    );
    release = {
      id: submitted.release.envelopeSha256,
      logIndex: submitted.release.logIndex,
    };
    // Beta Review approves from the command line; Alpha Labs will in the browser.
    for (const [who, org, name] of [["reviewer-beta", "Beta Review", "bob"]] as const) {
      await must([
        "review",
        "approve",
        release.id,
        "--server",
        origin,
        "--token-file",
        join(tokens, `${who}.token`),
        "--key",
        join(keys, `${who}.key`),
        "--organization",
        org,
        "--reviewer",
        name,
      ]);
    }

    browser = await launchChromium();
    page = await newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await stop(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves the portal with its headers, and leaves the API's 404s JSON", async () => {
    const home = await fetch(`${origin}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toContain("text/html");
    expect(home.headers.get("cache-control")).toBe("no-cache");
    for (const [name, value] of Object.entries(PORTAL_HEADERS)) {
      expect(home.headers.get(name)).toBe(value);
    }
    const html = await home.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${origin}${script}`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    await asset.arrayBuffer();

    // A client route reloaded is the page; an unknown API path is the API's JSON 404.
    const deep = await fetch(`${origin}/releases/${release.id}`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    for (const path of ["/api/v1/nothing", "/log/nothing", "/gateway/log/nothing"]) {
      const missing = await fetch(`${origin}${path}`);
      expect(missing.status, path).toBe(404);
      expect(missing.headers.get("content-type"), path).toContain("application/json");
      expect((await missing.json()).error.code, path).toBe("E_NOT_FOUND");
    }
    expect((await fetch(`${origin}/assets/gone-0000.js`)).status).toBe(404);
  });

  it("lets a reviewer judge the findings and approve in the browser, signing with their key", async () => {
    const reviewer = await newPage();
    await signIn(reviewer, "reviewer-alpha");
    await reviewer
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Review queue" })
      .click();
    const queue = reviewer.getByTestId("review-queue");
    await queue.getByText("Beta Review: approve").waitFor();
    await reviewer.screenshot({ path: join(SHOTS, "review-queue.png"), fullPage: true });
    await queue.getByRole("link", { name: "rules 2026.11.23.1" }).click();
    await reviewer.getByRole("heading", { level: 2, name: "Your review" }).waitFor();

    // Each finding is judged; a rejected one leaves only "Reject" possible.
    const approve = reviewer.getByRole("button", { name: "Approve and sign" });
    await reviewer.locator("table.triage").waitFor();
    const rows = reviewer.locator("table.triage tbody tr");
    const judged = await rows.count();
    expect(judged).toBeGreaterThan(0);
    const first = rows.first();
    await first.getByLabel("Decision").selectOption("reject");
    await first.getByRole("button", { name: "Save" }).click();
    await first.getByRole("button", { name: "Saved" }).waitFor();
    await reviewer.getByText(/You rejected 1 finding\(s\)/).waitFor();
    expect(await approve.isDisabled()).toBe(true);
    for (const row of await rows.all()) {
      await row.getByLabel("Decision").selectOption("accept");
      await row.getByLabel("Justification").fill(`Markup in a test rule is expected ${XSS}`);
      await row.getByRole("button", { name: "Save" }).click();
      await row.getByRole("button", { name: "Saved" }).waitFor();
    }

    // The key file is read by the page and imported into WebCrypto; nothing is uploaded.
    await reviewer
      .getByLabel("Key file")
      .setInputFiles(join(dir, "data", "keys", "reviewer-alpha.key"));
    await reviewer.getByRole("button", { name: "Use this key" }).click();
    await reviewer.getByTestId("key-in-use").getByText("held by the browser").waitFor();
    await reviewer.getByText("Organisation (from the trust policy): Alpha Labs").waitFor();
    await reviewer.getByLabel("Your name, as the verdict states it").fill("ada");
    await reviewer.getByLabel("Comment").fill(`Reviewed in the browser ${XSS}`);
    expect(await approve.isEnabled()).toBe(true);
    await reviewer.screenshot({ path: join(SHOTS, "review-workspace.png"), fullPage: true });
    await approve.click();

    // Two organisations now approve: the release is published, the verdict shown as signed.
    await reviewer.getByRole("heading", { level: 1, name: /published/ }).waitFor();
    const verdict = reviewer.getByTestId("verdict").filter({ hasText: "Alpha Labs" });
    await verdict.getByText(`Reviewed in the browser ${XSS}`).waitFor();
    expect(await verdict.textContent()).toContain("Signed by ada with key");
    expect(await verdict.locator(".triage-list li").count()).toBe(judged);
    expect(await verdict.innerHTML()).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(await reviewer.getByRole("heading", { name: "Your review" }).count()).toBe(0);
    await reviewer.screenshot({ path: join(SHOTS, "review-signed.png"), fullPage: true });

    // The server holds the verdict as the browser signed it: Alpha Labs' key, logged.
    const detail = (await (await fetch(`${origin}/api/v1/releases/${release.id}`)).json()) as {
      release: { status: string };
      reviews: { organization: string; reviewerName: string; verdict: string }[];
    };
    expect(detail.release.status).toBe("published");
    expect(detail.reviews.map((r) => [r.organization, r.reviewerName, r.verdict])).toEqual([
      ["Beta Review", "bob", "approve"],
      ["Alpha Labs", "ada", "approve"],
    ]);
    await reviewer.context().close();
  }, 120_000);

  it("walks Overview, Releases, the release, verification, the log and telemetry", async () => {
    // Overview
    await page.goto(`${origin}/`);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    const rulesRow = page.getByRole("row").filter({ hasText: "rules" }).first();
    await rulesRow.getByRole("link", { name: "2026.11.23.1" }).first().waitFor();
    expect(Number(await page.getByTestId("log-size").textContent())).toBeGreaterThanOrEqual(4);
    await expect
      .poll(() => page.getByTestId("checkpoint").textContent())
      .toContain("crosscheck.localhost/log");
    await page.getByText(/Gateway .+, dictionary/).waitFor();
    expect(await page.getByTestId("telemetry-today").textContent()).toMatch(
      /^Today: \d+ record\(s\) received, \d+ forwarded, \d+ blocked, \d+ quarantined; .+ sent to vendors\.$/,
    );
    // Each witness's cosignature is checked in the page; the demo's quorum is two of three.
    const witnessRows = page.getByTestId("witnesses").locator("tbody tr");
    expect(await witnessRows.count()).toBe(3);
    await expect
      .poll(async () => (await witnessRows.filter({ hasText: /at \d{4}-/ }).count()) >= 2)
      .toBe(true);
    await page.getByText("No release is waiting for reviewers.").waitFor();
    await page.screenshot({ path: join(SHOTS, "overview.png"), fullPage: true });

    // Releases, filtered
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Releases" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Releases" }).waitFor();
    await page.getByLabel("Channel").selectOption("rules");
    await page.getByLabel("Status").selectOption("published");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/\/releases\?channel=rules&status=published$/);
    await page.getByText("1 release(s) on rules, published.").waitFor();
    await page.screenshot({ path: join(SHOTS, "releases.png"), fullPage: true });

    // The release: markup in the rule file is text, never markup
    await page.getByRole("link", { name: "2026.11.23.1" }).click();
    await page.waitForURL(`${origin}/releases/${release.id}`);
    await page.getByRole("heading", { level: 1, name: /rules 2026\.11\.23\.1/ }).waitFor();
    await page.getByText("Alpha Labs").waitFor();
    await page.getByText("Beta Review").waitFor();
    await page.getByRole("cell", { name: /New rule markup_probe/ }).waitFor();
    await page.getByRole("button", { name: "Show probe.yar as text" }).click();
    const text = page.getByTestId("artifact-text");
    await text.waitFor();
    expect(await text.textContent()).toContain(`description = "${XSS}"`);
    expect(await text.innerHTML()).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(await page.locator("body script").count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "release.png"), fullPage: true });

    // Verify in the browser: every check passes
    await page.getByRole("button", { name: "Verify in your browser" }).click();
    const result = page.getByTestId("verify-result");
    await result.waitFor({ timeout: 30_000 });
    expect(
      await result.getAttribute("data-accepted"),
      await result.textContent().then(String),
    ).toBe("true");
    const states = await page
      .locator("[data-check]")
      .evaluateAll((items) => items.map((i) => i.getAttribute("data-state")));
    expect(states.length).toBe(13);
    expect(new Set(states)).toEqual(new Set(["passed"]));
    await result
      .getByText("Alpha Labs, Beta Review")
      .or(result.getByText("Beta Review, Alpha Labs"))
      .waitFor();
    await page.screenshot({ path: join(SHOTS, "verify-passed.png"), fullPage: true });

    // A bundle altered in transit (one proof hash replaced) is refused at the inclusion check.
    const bundleUrl = `${origin}/api/v1/channels/rules/bundle`;
    await page.route(bundleUrl, async (route) => {
      const response = await route.fetch();
      const bundle = await response.json();
      bundle.release.proof[0] = `${"A".repeat(43)}=`;
      await route.fulfill({ response, body: JSON.stringify(bundle) });
    });
    await page.getByRole("button", { name: "Verify in your browser" }).click();
    await page.locator('[data-testid="verify-result"][data-accepted="false"]').waitFor();
    expect(await page.getByTestId("refusal-code").textContent()).toBe("E_INCLUSION_PROOF");
    expect(await page.getByTestId("failed-check").textContent()).toBe(
      "Every statement is included in the log",
    );
    expect(await page.locator('[data-check="reviews"]').getAttribute("data-state")).toBe("passed");
    expect(await page.locator('[data-check="inclusion"]').getAttribute("data-state")).toBe(
      "failed",
    );
    expect(await page.locator('[data-check="checkpoint"]').getAttribute("data-state")).toBe(
      "not run",
    );
    await page.screenshot({ path: join(SHOTS, "verify-refused.png"), fullPage: true });
    await page.unroute(bundleUrl);

    // The log: checkpoint checked against the policy's keys, then an inclusion proof from tiles
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log" }).click();
    await page.getByRole("heading", { level: 1, name: "Transparency log" }).waitFor();
    await page.getByText("the policy's witness quorum is met").waitFor();
    await page.getByLabel("Entry index").fill(String(release.logIndex));
    await page.getByRole("button", { name: "Prove inclusion" }).click();
    const proved = page.getByTestId("inclusion-result");
    await proved.waitFor();
    expect(await proved.textContent()).toMatch(
      new RegExp(`Entry ${release.logIndex} is included in the log of size \\d+`),
    );
    expect(await proved.textContent()).toContain("https://crosscheck.dev/attestation/release/v1");
    await page.screenshot({ path: join(SHOTS, "log.png"), fullPage: true });
    // An index past the end is not even sent: the form knows the log's size.
    await page.getByLabel("Entry index").fill("99999");
    expect(
      await page
        .getByLabel("Entry index")
        .evaluate((input) => (input as HTMLInputElement).validity.rangeOverflow),
    ).toBe(true);

    // Telemetry
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Telemetry" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Telemetry" }).waitFor();
    expect(await page.getByTestId("dictionary-version").textContent()).toContain("none yet");
    await page.getByText("demo-eu (eu)", { exact: false }).waitFor();
    await page.screenshot({ path: join(SHOTS, "telemetry.png"), fullPage: true });

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 120_000);

  it("signs people in: a concern raised and answered, a vulnerability reported, triaged, listed", async () => {
    // The auditor signs in (the header says who) and raises a concern on the published release.
    const auditor = page;
    await signIn(auditor, "auditor", "sign-in.png");
    await auditor.goto(`${origin}/releases/${release.id}`);
    const concerns = auditor.getByTestId("concerns");
    await concerns.getByText("No one has raised a concern about this release.").waitFor();
    const concernText = `Why does markup_probe match ${XSS} at all?`;
    await auditor
      .getByRole("textbox", { name: "Raise a concern about this release" })
      .fill(concernText);
    await auditor.getByRole("button", { name: "Raise concern" }).click();
    const concern = concerns.getByTestId("concern").first();
    await concern.getByText(concernText).waitFor();
    const concernId = Number(
      /#(\d+)/.exec(String(await concern.getByRole("heading").textContent()))?.[1],
    );
    expect(concernId).toBeGreaterThan(0);
    expect(await concern.getByTestId("byline").first().textContent()).toMatch(
      /^Raised by auditor \(auditor\) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, logged at index \d+$/,
    );
    const concernIndex = Number(await concern.getByTestId("log-index").first().textContent());
    expect(concernIndex).toBeGreaterThan(release.logIndex);
    // An auditor does not answer; the vendor does.
    expect(await auditor.getByRole("button", { name: "Answer" }).count()).toBe(0);

    // The vendor, in a browser of its own, answers it.
    const vendor = await newPage();
    await signIn(vendor, "vendor");
    await vendor.goto(`${origin}/releases/${release.id}`);
    const answerText = "The probe rule exists to show markup is rendered as text.";
    await vendor.getByRole("textbox", { name: `Answer to concern #${concernId}` }).fill(answerText);
    await vendor.getByRole("button", { name: "Answer" }).click();
    await vendor.getByTestId("answer").getByText(answerText).waitFor();
    expect(await vendor.getByRole("button", { name: "Raise concern" }).count()).toBe(0);

    // The auditor sees the answer, with who, when and where it was logged.
    await auditor.reload();
    const answer = auditor.getByTestId("answer");
    await answer.getByText(answerText).waitFor();
    expect(await answer.getByTestId("byline").textContent()).toMatch(
      /^Answered by vendor \(vendor\) at .+, logged at index \d+$/,
    );
    expect(Number(await answer.getByTestId("log-index").textContent())).toBeGreaterThan(
      concernIndex,
    );
    expect(await concern.innerHTML()).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    await concerns.scrollIntoViewIfNeeded();
    await auditor.screenshot({ path: join(SHOTS, "concern.png"), fullPage: true });

    // A concern can be about one finding rather than the whole release.
    const about = auditor.getByLabel("About", { exact: true });
    const finding = String(await about.locator("option").nth(1).getAttribute("value"));
    await about.selectOption(finding);
    await auditor
      .getByRole("textbox", { name: `Raise a concern about finding ${finding}` })
      .fill("Is this finding a false positive?");
    await auditor.getByRole("button", { name: "Raise concern" }).click();
    await concerns.getByRole("heading", { name: `on finding ${finding}`, exact: false }).waitFor();

    // A session cookie alone changes nothing: a write without the CSRF token is refused.
    const forged = await auditor.evaluate(async () => {
      const response = await fetch("/api/v1/concerns/1/answers", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "forged" }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(forged.body.error.code, JSON.stringify(forged)).toBe("E_CSRF");

    // A researcher, signed out, reports a vulnerability whose title carries markup.
    const researcher = await newPage();
    await researcher.goto(`${origin}/security`);
    await researcher.getByRole("heading", { level: 1, name: "Security" }).waitFor();
    await researcher.getByRole("link", { name: "Sign in" }).waitFor();
    const title = `Stored XSS ${IMG_XSS}`;
    await researcher.getByLabel("Title").fill(title);
    await researcher.getByLabel("Product (optional)").fill("rules");
    await researcher.getByLabel("Description").fill(`Put ${IMG_XSS} in a title.`);
    await researcher.getByLabel(/^Contact/).fill("researcher@example.org");
    await researcher.getByRole("button", { name: "Submit report" }).click();
    const received = researcher.getByTestId("report-received");
    await received.waitFor();
    const reportId = Number(/#(\d+)/.exec(String(await received.textContent()))?.[1]);
    expect(reportId).toBeGreaterThan(0);
    // Only a vendor sees every report.
    expect(await researcher.getByRole("heading", { name: "All reports" }).count()).toBe(0);

    // The vendor triages it: fixed, with an award. The title is text, never an element.
    await vendor.goto(`${origin}/security`);
    const triage = vendor.getByTestId("triage-report").filter({ hasText: `#${reportId}` });
    await triage.getByRole("heading", { name: `#${reportId} ${title}` }).waitFor();
    expect(await triage.getByText("researcher@example.org").count()).toBe(1);
    expect(await triage.innerHTML()).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(await vendor.locator("main img").count()).toBe(0);
    const form = triage.getByRole("form", { name: `Triage report #${reportId}` });
    await form.getByLabel("Severity").selectOption("high");
    await form.getByLabel("Status").selectOption("fixed");
    await form.getByLabel("Award").fill("1500");
    await form.getByLabel("Fixed in").fill("2026.11.23.2");
    await form.getByRole("button", { name: "Save triage" }).click();
    await vendor
      .getByTestId("triage-report")
      .filter({ hasText: `#${reportId}` })
      .getByText(/status fixed, severity high, award 1,500\.00, fixed in 2026\.11\.23\.2/)
      .waitFor();

    // The public list shows it with its award and the total paid; no contact.
    await researcher.reload();
    const fixed = researcher.getByTestId("fixed-reports");
    const row = fixed.getByRole("row").filter({ hasText: `#${reportId}` });
    await row.waitFor();
    expect(await row.getByRole("cell").first().textContent()).toBe(`#${reportId} ${title}`);
    expect(await row.textContent()).toContain("1,500.00");
    expect(await row.textContent()).toContain("2026.11.23.2");
    expect(await researcher.getByTestId("total-paid").textContent()).toBe("1,500.00");
    expect(await researcher.getByText("researcher@example.org").count()).toBe(0);
    expect(await researcher.locator("main img").count()).toBe(0);
    await researcher.screenshot({ path: join(SHOTS, "security.png"), fullPage: true });

    await vendor.screenshot({ path: join(SHOTS, "security-triage.png"), fullPage: true });

    // Releases come a page at a time: a first page that says there are older ones shows
    // "Older releases", which asks for the page before its `next` cursor.
    const firstPage = "**/api/v1/releases?limit=*";
    await researcher.route(firstPage, (route) =>
      new URL(route.request().url()).searchParams.has("before")
        ? route.continue()
        : route.fulfill({ json: { releases: [], next: 1_000_000 } }),
    );
    await researcher.goto(`${origin}/releases`);
    await researcher.getByText("0 release(s) shown; there are older ones.").waitFor();
    await researcher.getByRole("button", { name: "Older releases" }).click();
    await researcher.getByRole("link", { name: "2026.11.23.1" }).waitFor();
    await researcher.getByText("1 release(s).").waitFor();
    expect(await researcher.getByRole("button", { name: "Older releases" }).count()).toBe(0);
    await researcher.unroute(firstPage);

    // Signing out ends the session on the server too.
    await vendor.getByRole("button", { name: "Sign out" }).click();
    await vendor.getByRole("link", { name: "Sign in" }).waitFor();
    expect(await vendor.getByRole("heading", { name: "All reports" }).count()).toBe(0);
    const me = await vendor.evaluate(async () => (await fetch("/api/v1/auth/me")).status);
    expect(me).toBe(401);

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 120_000);

  it("lets the vendor sign and submit the next release in the browser, and shows its rule diff as text", async () => {
    const vendor = await newPage();
    await signIn(vendor, "vendor");
    await vendor
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Submit" })
      .click();
    await vendor.getByRole("heading", { level: 1, name: "Submit a release" }).waitFor();
    await vendor.getByLabel("Key file").setInputFiles(join(dir, "data", "keys", "vendor.key"));
    await vendor.getByRole("button", { name: "Use this key" }).click();
    await vendor.getByTestId("key-in-use").waitFor();
    // The next pack: the probe's metadata changes, a rule is added; both carry markup.
    const next = join(dir, "probe.yar");
    writeFileSync(
      next,
      `rule markup_probe\n{\n  meta:\n    description = "${XSS} v2"\n  strings:\n    $a = "${XSS}"\n  condition:\n    $a\n}\n\nrule second_probe\n{\n  meta:\n    author = "${IMG_XSS}"\n  strings:\n    $b = { 3C 73 63 72 69 70 74 3E }\n  condition:\n    $b\n}\n`,
    );
    const form = vendor.getByRole("form", { name: "Release" });
    await form.getByLabel("Channel").selectOption("rules");
    await form.getByLabel("Version").fill("2026.11.23.2");
    await form.getByLabel("Artifacts").setInputFiles(next);
    await vendor.screenshot({ path: join(SHOTS, "submit.png"), fullPage: true });
    await form.getByRole("button", { name: "Sign and submit" }).click();
    const submitted = vendor.getByTestId("submitted");
    await submitted.waitFor({ timeout: 30_000 });
    await submitted.getByRole("link", { name: "its page" }).click();
    await vendor.getByRole("heading", { level: 1, name: /rules 2026\.11\.23\.2/ }).waitFor();

    // Analysis runs on the server; the diff against 2026.11.23.1 appears once it is done.
    const diff = vendor.getByTestId("rule-diff");
    await expect
      .poll(
        async () => {
          await vendor.reload();
          await vendor.getByRole("heading", { level: 1, name: /rules 2026\.11\.23\.2/ }).waitFor();
          return diff.count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    await diff.getByText("1 added, 0 removed, 1 changed").waitFor();
    await diff.getByText("second_probe", { exact: false }).first().waitFor();
    // The added rule's source, read from the artifact by the page.
    await diff.locator("pre.diff-added-block").getByText("second_probe").waitFor();
    const html = await diff.innerHTML();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(await diff.locator(".yara-keyword").count()).toBeGreaterThan(0);
    expect(await vendor.locator("main script, main img").count()).toBe(0);
    await diff.scrollIntoViewIfNeeded();
    await vendor.screenshot({ path: join(SHOTS, "rule-diff.png"), fullPage: true });
    await vendor.context().close();
  }, 120_000);

  it("lets the admin manage accounts and read the trust policy; others may not", async () => {
    const admin = await newPage();
    await signIn(admin, "admin");
    await admin
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Admin" })
      .click();
    await admin.getByRole("heading", { level: 1, name: "Administration" }).waitFor();
    const policy = admin.getByTestId("policy");
    await policy.getByText("Alpha Labs", { exact: false }).first().waitFor();
    await policy.getByText("Beta Review", { exact: false }).first().waitFor();
    const create = admin.getByRole("form", { name: "New account" });
    await create.getByLabel("Name").fill("carol");
    await create.getByLabel("Role").selectOption("auditor");
    await create.getByLabel(/^Password/).fill("a long enough password");
    await create.getByRole("button", { name: "Create account" }).click();
    const users = admin.getByTestId("users");
    const carol = users.getByRole("row").filter({ hasText: "carol" });
    await carol.waitFor();
    await carol.getByLabel("Role of carol").selectOption("reviewer");
    await expect.poll(() => carol.getByLabel("Role of carol").inputValue()).toBe("reviewer");
    await carol.getByRole("button", { name: "Disable carol" }).click();
    await carol.getByText("disabled").waitFor();
    await admin.screenshot({ path: join(SHOTS, "admin.png"), fullPage: true });

    // Another role sees no admin page and its API refuses.
    const auditor = await newPage();
    await signIn(auditor, "auditor");
    expect(
      await auditor
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: "Admin" })
        .count(),
    ).toBe(0);
    const status = await auditor.evaluate(async () => (await fetch("/api/v1/users")).status);
    expect(status).toBe(403);
    await admin.context().close();
    await auditor.context().close();

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 120_000);
});
