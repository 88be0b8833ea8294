/**
 * The portal's Telemetry page in headless Chromium against a real `crosscheck serve` demo: a
 * dictionary (with markup in a purpose) is published through the real pipeline, the demo tenants
 * send real telemetry (clean records, personal data, blocked records, a quarantined sample), and
 * the page shows the dictionary's fields, records per event type, personal data per entity type,
 * blocked and quarantined counts and the bytes delivered per region to the EU intake's address —
 * matching what was sent. A signed-in auditor raises a concern on a dictionary field. No dialog,
 * page error, CSP violation or foreign request happens. Screenshots: test-results/portal/telemetry-*.png.
 * dist/web must exist (`npm run build`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PublishedDictionary, StatisticsReport } from "../src/gateway/index.js";
import {
  launchChromium,
  mustRun,
  newWatchedPage,
  requirePortal,
  SHOTS,
} from "./support/browser.js";
import { type DemoService, startDemoService } from "./support/demo-service.js";
import { eventually, fileWrite, ndjson, scriptBlock } from "./support/gateway-world.js";

const DICTIONARY = fileURLToPath(new URL("../examples/dictionary/edr.yaml", import.meta.url));
const VERSION = "2026.11.23.1";
const MARKUP = "<img src=x onerror=alert(1)>";
const EMAIL = "alice.smith@example.com";
const SECRET = "AKIAIOSFODNN7EXAMPLE";

describe.runIf(mustRun)("the Telemetry page in headless Chromium", () => {
  let service: DemoService;
  let browser: Browser;
  let euIntake: string;
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

  const send = async (tenant: string, body: string) => {
    const response = await fetch(`${service.origin}/v1/events`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${service.token(tenant)}`,
        "content-type": "application/x-ndjson",
      },
      body,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { forwarded: number; refused: { code: string }[] };
  };

  beforeAll(async () => {
    requirePortal();
    service = await startDemoService();
    const config = JSON.parse(readFileSync(join(service.data, "gateway.json"), "utf8")) as {
      regions: { region: string; endpoints: { url: string }[] }[];
    };
    euIntake = config.regions.find((r) => r.region === "eu")?.endpoints[0]?.url ?? "";

    // The vendor's dictionary, with markup in one purpose: the page must show it as text.
    const dictionary = join(service.dir, "edr.yaml");
    writeFileSync(
      dictionary,
      readFileSync(DICTIONARY, "utf8").replace(
        "purpose: A random identifier of the agent installation",
        `purpose: ${JSON.stringify(`${MARKUP} A random identifier of the agent installation`)} #`,
      ),
    );
    await service.publish("dictionary", VERSION, dictionary);
    await eventually(async () => {
      const s = (await (await fetch(`${service.origin}/api/v1/gateway/status`)).json()) as {
        dictionary: string | null;
      };
      return s.dictionary === VERSION;
    }, 60_000);

    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it("shows what passed the gateway, counted as it was sent", async () => {
    // EU: three clean records, one with an e-mail address (masked), one with a secret (blocked),
    // one with an undeclared field (blocked). US: two clean records. And a document disguised as
    // a sample, which waits for a reviewer.
    const eu = await send(
      "demo-eu",
      ndjson([
        fileWrite(),
        fileWrite(),
        fileWrite(),
        scriptBlock(`Send-MailMessage -To ${EMAIL}`),
        scriptBlock(`$key = "${SECRET}"`),
        { ...fileWrite(), clipboard: "quarterly numbers" },
      ]),
    );
    expect(eu.forwarded).toBe(4);
    expect(eu.refused.map((r) => r.code).sort()).toEqual(["E_FIELD_UNDECLARED", "E_PII_BLOCKED"]);
    expect((await send("demo-us", ndjson([fileWrite(), fileWrite()]))).forwarded).toBe(2);
    const pdf = Buffer.from(
      "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    );
    const sample = await fetch(`${service.origin}/v1/samples`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${service.token("demo-eu")}`,
        "content-type": "application/octet-stream",
      },
      body: new Uint8Array(pdf),
    });
    expect(((await sample.json()) as { action: string }).action).toBe("quarantine");

    // Both record batches reach their region's intake.
    let stats: StatisticsReport | undefined;
    await eventually(async () => {
      stats = (await (
        await fetch(`${service.origin}/api/v1/gateway/stats`)
      ).json()) as StatisticsReport;
      return stats.totals.delivered.batches === 2 && stats.totals.records === 9;
    }, 30_000);
    const euDelivered = stats?.regions.find((r) => r.region === "eu")?.delivered ?? [];
    expect(euDelivered).toHaveLength(1);
    const euAddress = `127.0.0.1:${new URL(euIntake).port}`;
    expect(euDelivered[0]?.destination).toBe(euAddress);

    const page = await newPage();
    await page.goto(`${service.origin}/telemetry`);
    await page.getByRole("heading", { level: 1, name: "Telemetry" }).waitFor();
    const statistics = page.getByTestId("telemetry-statistics");
    await statistics.getByTestId("table-per-type").waitFor();

    const typeRow = (type: string) =>
      statistics.locator(`[data-testid="event-type-row"][data-event-type="${type}"]`);
    const cell = async (type: string, column: string) =>
      (await typeRow(type).getByTestId(column).textContent())?.trim();
    expect(await cell("file_write", "records")).toBe("6");
    expect(await cell("file_write", "forwarded")).toBe("5");
    expect(await cell("file_write", "blocked")).toBe("1");
    expect(await cell("script_block", "records")).toBe("2");
    expect(await cell("script_block", "forwarded")).toBe("1");
    expect(await cell("script_block", "blocked")).toBe("1");
    expect(await cell("sample:document", "quarantined")).toBe("1");
    expect(await statistics.getByTestId("event-type-row").count()).toBe(3);

    const entity = (name: string) =>
      statistics.locator(`[data-testid="entity-row"][data-entity="${name}"]`).getByTestId("count");
    expect(await entity("EMAIL").textContent()).toBe("1");
    expect(await entity("SECRET").textContent()).toBe("1");
    expect(await statistics.getByTestId("entity-row").count()).toBe(2);

    expect(await statistics.getByTestId("total-blocked").textContent()).toBe("2");
    expect(await statistics.getByTestId("total-quarantined").textContent()).toBe("1");
    expect(await statistics.getByTestId("today-records").textContent()).toBe("9");
    expect(await statistics.getByTestId("today-blocked").textContent()).toBe("2");
    expect(await statistics.getByTestId("today-quarantined").textContent()).toBe("1");
    expect(await statistics.getByTestId("today-redactions").textContent()).toBe("2");

    // Bytes per region, with the address the EU records went to.
    const euRow = statistics.locator('[data-testid="destination-row"][data-region="eu"]');
    await expect(euRow.getByText(euAddress, { exact: true }).count()).resolves.toBe(1);
    expect(Number(await euRow.getByTestId("delivered-bytes").getAttribute("data-bytes"))).toBe(
      euDelivered[0]?.bytes,
    );
    expect(
      await statistics.locator('[data-testid="destination-row"][data-region="us"]').count(),
    ).toBe(1);
    for (const tenant of ["demo-eu", "demo-us"]) {
      expect(await statistics.locator(`[data-tenant="${tenant}"]`).count()).toBe(1);
    }
    // Charts are drawn, with an accessible name; nothing sent is on the page.
    for (const chart of ["chart-per-day", "chart-per-type", "chart-pii", "chart-regions"]) {
      expect(await statistics.getByTestId(chart).getAttribute("role")).toBe("img");
    }
    expect(await statistics.getByTestId("chart-per-day").locator("rect").count()).toBeGreaterThan(
      0,
    );
    const text = (await page.locator("main").textContent()) ?? "";
    for (const secret of [EMAIL, SECRET, "quarterly numbers"]) expect(text).not.toContain(secret);

    await statistics.screenshot({ path: join(SHOTS, "telemetry-statistics.png") });
    await page.screenshot({ path: join(SHOTS, "telemetry-page.png"), fullPage: true });
    await page.context().close();
  }, 120_000);

  it("shows every field of the dictionary in force, vendor text as text", async () => {
    const published = (await (
      await fetch(`${service.origin}/api/v1/gateway/dictionary`)
    ).json()) as PublishedDictionary;
    const page = await newPage();
    await page.goto(`${service.origin}/telemetry`);
    const dictionary = page.getByTestId("dictionary");
    await dictionary.waitFor();
    expect(await dictionary.getByTestId("dictionary-in-force").textContent()).toBe(VERSION);
    const fields = dictionary.getByTestId("dictionary-field");
    const expected =
      published.common.length + published.events.reduce((n, e) => n + e.fields.length, 0);
    expect(await fields.count()).toBe(expected);
    expect(await dictionary.getByTestId("dictionary-event").count()).toBe(
      published.events.length + 1,
    );
    // One field, every column: type, purpose, sensitivity, retention.
    const event = published.events.find((e) => e.name === "file_write");
    const field = event?.fields.find((f) => f.path === "path");
    expect(field).toBeDefined();
    const row = dictionary.locator('[data-field="file_write/path"]');
    const cells = await row.locator("th, td").allTextContents();
    expect(cells[0]).toContain("path");
    expect(cells[1]).toBe(field?.type);
    expect(cells[2]).toContain(field?.purpose);
    expect(cells[3]).toBe(field?.sensitivity.replace(/_/g, " "));
    expect(cells[4]).toBe(`${field?.retentionDays} days`);
    expect(await dictionary.locator('[data-field="common/resource/service.name"]').count()).toBe(1);

    // The purpose with markup is text: no element made of it, no dialog.
    const markup = dictionary.locator('[data-field="common/host_id"]');
    expect(await markup.textContent()).toContain(MARKUP);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await dictionary.screenshot({ path: join(SHOTS, "telemetry-dictionary.png") });
    await page.context().close();
  }, 60_000);

  it("lets a signed-in auditor raise a concern on a dictionary field", async () => {
    const page = await newPage();
    const password = readFileSync(join(service.data, "users", "auditor.password"), "utf8").trim();
    await page.goto(`${service.origin}/sign-in`);
    await page.getByLabel("Name").fill("auditor");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${service.origin}/`);
    await page.goto(`${service.origin}/telemetry`);
    const concerns = page.getByTestId("field-concerns");
    await concerns.getByText("No one has raised a concern about a dictionary field.").waitFor();
    await concerns
      .getByLabel("Dictionary field", { exact: true })
      .selectOption("script_block/script");
    const text = `Why keep whole scripts for 30 days? ${MARKUP}`;
    await concerns
      .getByRole("textbox", { name: "Raise a concern about field script_block/script" })
      .fill(text);
    await concerns.getByRole("button", { name: "Raise concern" }).click();
    const concern = concerns.getByTestId("field-concern").first();
    await concern.getByText(text).waitFor();
    expect(await concern.getByRole("heading").textContent()).toMatch(
      /^Concern #\d+ on script_block\/script$/,
    );
    expect(await concern.getByTestId("byline").textContent()).toMatch(
      /^Raised by auditor \(auditor\) at .*, logged at index \d+$/,
    );
    const row = page.locator('[data-field="script_block/script"]');
    expect((await row.locator("td").last().textContent())?.trim()).toBe("1");
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await concerns.screenshot({ path: join(SHOTS, "telemetry-concern.png") });
    await page.context().close();
  }, 60_000);

  it("saw no dialog, page error, CSP violation or foreign request", () => {
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
