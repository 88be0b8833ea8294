/**
 * The portal's transparency-log page in headless Chromium against a real `crosscheck serve` demo:
 * two releases are published through the real pipeline (the CLI submits, both demo organisations
 * approve), one of them with an artifact named like markup. The page shows the checkpoint history
 * with each witness's cosignature checked and timed, matching GET /api/v1/log/checkpoints; the
 * entry browser shows the release statements (predicate type, subjects as text) linking to their
 * release pages; an entry's inclusion and an older checkpoint's consistency are proved from the
 * tiles in the page; and a tampered hash tile makes the consistency check fail visibly, naming
 * the error. No dialog, page error, CSP violation or foreign request happens.
 * Screenshots: test-results/portal/log-*.png. dist/web must exist (`npm run build`).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchChromium,
  mustRun,
  newWatchedPage,
  requirePortal,
  SHOTS,
} from "./support/browser.js";
import { type DemoService, startDemoService } from "./support/demo-service.js";

const DICTIONARY = fileURLToPath(new URL("../examples/dictionary/edr.yaml", import.meta.url));
const RELEASE_PREDICATE = "https://crosscheck.dev/attestation/release/v1";
const MARKUP_NAME = "<img src=x onerror=alert(1)>.yar";

interface HistoryAnswer {
  checkpoints: {
    size: number;
    root: string;
    note: string;
    publishedAt: string;
    cosignatures: { name: string; keyHash: string; timestamp: number | null }[];
  }[];
  next: number | null;
}

describe.runIf(mustRun)("the transparency-log page in headless Chromium", () => {
  let service: DemoService;
  let browser: Browser;
  let rules: { id: string; logIndex: number };
  let dictionary: { id: string; logIndex: number };
  let size: number;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  const foreignRequests: string[] = [];

  const newPage = (): Promise<Page> =>
    newWatchedPage(browser, service.origin, {
      dialogs,
      pageErrors,
      cspViolations,
      foreignRequests,
    });

  const checkpointSize = async () => {
    const response = await fetch(`${service.origin}/log/checkpoint`);
    return response.ok ? Number((await response.text()).split("\n")[1]) : -1;
  };

  beforeAll(async () => {
    requirePortal();
    service = await startDemoService();

    // A rules release whose artifact's name is markup (it becomes a statement subject), and a
    // dictionary release: statements, reviews and heads in the log.
    const ruleFile = join(service.dir, MARKUP_NAME);
    writeFileSync(
      ruleFile,
      'rule log_page_probe\n{\n  strings:\n    $a = "probe"\n  condition:\n    $a\n}\n',
    );
    rules = await service.publish("rules", "2026.12.1", ruleFile);
    dictionary = await service.publish("dictionary", "2026.12.1", DICTIONARY);

    // Wait until the witnesses cosigned everything the two publications logged.
    const deadline = Date.now() + 30_000;
    let stable = 0;
    for (let last = -1; stable < 3; ) {
      if (Date.now() > deadline) throw new Error("the log's cosigned checkpoint did not settle");
      await new Promise((r) => setTimeout(r, 500));
      const now = await checkpointSize();
      stable = now === last && now > dictionary.logIndex ? stable + 1 : 0;
      last = now;
    }
    size = await checkpointSize();

    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it("shows the checkpoint history with cosignatures, the entries, and proves inclusion and consistency", async () => {
    // The route is in the OpenAPI document, with its query and answer schemas.
    const openapi = (await (await fetch(`${service.origin}/api/docs/json`)).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[]; responses?: object } }>;
    };
    const route = openapi.paths["/api/v1/log/checkpoints"]?.get;
    expect(route?.parameters?.map((p) => p.name).sort()).toEqual(["before", "limit"]);
    expect(Object.keys(route?.responses ?? {})).toContain("200");

    const history = (await (
      await fetch(`${service.origin}/api/v1/log/checkpoints?limit=20`)
    ).json()) as HistoryAnswer;
    expect(history.checkpoints[0]?.size).toBe(size);
    expect(history.checkpoints.length).toBeGreaterThanOrEqual(3);
    for (const c of history.checkpoints) {
      expect(c.cosignatures.length, `size ${c.size}`).toBeGreaterThanOrEqual(2);
      for (const s of c.cosignatures) expect(s.timestamp).toBeGreaterThan(1_700_000_000);
    }

    const page = await newPage();
    await page.goto(`${service.origin}/transparency-log`);
    await page.getByRole("heading", { level: 1, name: "Transparency log" }).waitFor();
    await page.getByText("the policy's witness quorum is met").waitFor();
    expect(Number(await page.getByTestId("log-size").textContent())).toBe(size);

    // The history: the server's rows, each cosignature verified in the page with its time.
    const rows = page.getByTestId("history-row");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(history.checkpoints.length);
    for (const [i, c] of history.checkpoints.entries()) {
      const row = rows.nth(i);
      expect(await row.getAttribute("data-size")).toBe(String(c.size));
      expect(await row.textContent()).toContain("quorum met");
      const cosigners = await row.getByTestId("cosigner").allTextContents();
      expect(cosigners).toHaveLength(c.cosignatures.length);
      for (const text of cosigners) {
        expect(text).toMatch(/^✓ w[123] at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      }
    }
    await page
      .getByTestId("checkpoint-history")
      .screenshot({ path: join(SHOTS, "log-history.png") });

    // The entries: the newest bundle, each described from its bytes.
    const entries = page.getByTestId("entry-row");
    await entries.first().waitFor();
    expect(await entries.count()).toBe(size);
    const rulesRow = page.locator(`[data-testid="entry-row"][data-index="${rules.logIndex}"]`);
    expect(await rulesRow.textContent()).toContain(RELEASE_PREDICATE);
    expect(await rulesRow.textContent()).toContain("application/vnd.in-toto+json");
    // The artifact's name is a subject, shown as the text it is: no element made of it.
    expect(await rulesRow.getByRole("listitem").allTextContents()).toEqual([MARKUP_NAME]);
    expect(await page.locator('[data-testid="entries"] img').count()).toBe(0);
    const dictionaryRow = page.locator(
      `[data-testid="entry-row"][data-index="${dictionary.logIndex}"]`,
    );
    expect(await dictionaryRow.textContent()).toContain("edr.yaml");
    // Reviews and heads are statements too, of other predicate types.
    expect(await page.getByTestId("entries").textContent()).toContain(
      "https://crosscheck.dev/attestation/review/v1",
    );
    await page.getByTestId("entries").screenshot({ path: join(SHOTS, "log-entries.png") });

    // A release statement links to its release page.
    await rulesRow.getByRole("link", { name: /^release / }).click();
    await page.waitForURL(`${service.origin}/releases/${rules.id}`);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    expect(await page.textContent("main")).toContain("2026.12.1");
    await page.goBack();
    await page.getByTestId("entry-row").first().waitFor();

    // Inclusion of the dictionary release, proved from its row.
    await page
      .getByRole("button", { name: `Prove entry ${dictionary.logIndex}`, exact: true })
      .click();
    const included = page.getByTestId("inclusion-result");
    await included.waitFor();
    expect(await included.textContent()).toContain(
      `Entry ${dictionary.logIndex} is included in the log of size ${size}`,
    );

    // Consistency of the oldest checkpoint shown with the latest, picked from the history.
    // The oldest but the empty tree's (a proof from size 0 proves nothing: no button there).
    const sizes = history.checkpoints.map((c) => c.size);
    const oldest = Math.min(...sizes.filter((s) => s > 0));
    if (sizes.includes(0)) {
      const empty = page.locator('[data-testid="history-row"][data-size="0"]');
      expect(await empty.getByRole("button").count()).toBe(0);
    }
    await page
      .getByRole("button", { name: `Check consistency of size ${oldest} with the latest` })
      .click();
    const consistent = page.locator('[data-testid="consistency-result"][data-state="pass"]');
    await consistent.waitFor();
    expect(await consistent.textContent()).toContain(
      `the log of size ${size} extends the checkpoint of size ${oldest}`,
    );
    // The same through the form, with another checkpoint.
    const middle = history.checkpoints[1]?.size as number;
    await page.getByLabel("Older checkpoint").selectOption(String(middle));
    await page.getByRole("button", { name: "Prove consistency" }).click();
    await page
      .locator('[data-testid="consistency-result"][data-state="pass"]')
      .getByText(`extends the checkpoint of size ${middle}`)
      .waitFor();
    await page.screenshot({ path: join(SHOTS, "log-proofs.png"), fullPage: true });

    // A log that serves a tampered hash tile: the consistency check fails, and says so.
    await page.route("**/log/tile/0/**", async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ 0x5a;
      await route.fulfill({ response, body });
    });
    await page.getByLabel("Older checkpoint").selectOption(String(oldest));
    await page.getByRole("button", { name: "Prove consistency" }).click();
    const failed = page.locator('[data-testid="consistency-result"][data-state="fail"]');
    await failed.waitFor();
    expect(await failed.textContent()).toContain("Not proved consistent");
    expect(await failed.textContent()).toContain("E_PROOF_INVALID");
    expect(await failed.getAttribute("role")).toBe("alert");
    await page.screenshot({ path: join(SHOTS, "log-tampered.png"), fullPage: true });
    await page.unroute("**/log/tile/0/**");

    // With honest tiles again, the same check passes.
    await page.getByRole("button", { name: "Prove consistency" }).click();
    await page.locator('[data-testid="consistency-result"][data-state="pass"]').waitFor();

    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 120_000);

  it("pages through the entries by bundle and through the history by cursor", async () => {
    const page = await newPage();
    // A deep link to an entry opens its bundle and fills the inclusion form.
    await page.goto(`${service.origin}/transparency-log?index=${rules.logIndex}`);
    await page.getByTestId("entry-row").first().waitFor();
    expect(await page.getByTestId("entries-range").textContent()).toBe(
      `Entries 0 to ${size - 1} of ${size} (bundle 0 of 1).`,
    );
    expect(await page.getByLabel("Entry index").inputValue()).toBe(String(rules.logIndex));
    // One bundle only: nothing older or newer to go to.
    expect(await page.getByRole("button", { name: "← Older entries" }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Newer entries →" }).isDisabled()).toBe(true);

    // History pages: the server's cursor, followed by "Older checkpoints".
    const all: number[] = [];
    let before: number | null = null;
    do {
      const answer = (await (
        await fetch(
          `${service.origin}/api/v1/log/checkpoints?limit=2${before === null ? "" : `&before=${before}`}`,
        )
      ).json()) as HistoryAnswer;
      all.push(...answer.checkpoints.map((c) => c.size));
      before = answer.next;
    } while (before !== null);
    expect([...all].sort((a, b) => b - a)).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
    const shown = await page.getByTestId("history-row").count();
    expect(shown).toBe(Math.min(all.length, 20));
    if (all.length > 20) {
      await page.getByRole("button", { name: "Older checkpoints" }).click();
      await page.getByTestId("history-row").nth(20).waitFor();
    } else {
      expect(await page.getByRole("button", { name: "Older checkpoints" }).count()).toBe(0);
    }
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 60_000);
});
