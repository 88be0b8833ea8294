/**
 * Shared setup for the tests that drive headless Chromium: where the browser and the built
 * portal are, how Chromium is launched, and pages watched for dialogs, page errors, CSP
 * violations and requests leaving the server under test.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
// Under CI a missing browser is a failure (the suite runs and says why), elsewhere a skip.
export const mustRun = haveChromium || process.env.CI === "true";
export const WEB = fileURLToPath(new URL("../../dist/web/", import.meta.url));
export const SHOTS = fileURLToPath(new URL("../../test-results/portal/", import.meta.url));

/** Throws (naming the fix) when Chromium is missing: runIf(mustRun) let the suite run under CI. */
export function requireChromium(): void {
  if (!haveChromium) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (CI=true).`);
  }
}

/** Throws unless Chromium and the built portal are there; makes the screenshot folder. */
export function requirePortal(): void {
  requireChromium();
  if (!existsSync(join(WEB, "index.html"))) {
    throw new Error(`${WEB} is missing: run \`npm run build\` (npm test does) first.`);
  }
  mkdirSync(SHOTS, { recursive: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** What the portal tests expect never to see, collected across every page they open. */
export interface PageTrouble {
  dialogs: string[];
  pageErrors: string[];
  cspViolations: string[];
  foreignRequests: string[];
}

/** A page in a browser context of its own (its own cookies), its trouble recorded in `trouble`. */
export async function newWatchedPage(
  browser: Browser,
  origin: string,
  trouble: PageTrouble,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  // The portal talks to its own server only: anything else is recorded and cut off.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("data:")) return route.continue();
    trouble.foreignRequests.push(url);
    return route.abort();
  });
  const opened = await context.newPage();
  opened.on("dialog", async (dialog) => {
    trouble.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  opened.on("pageerror", (err) => trouble.pageErrors.push(err.message));
  opened.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) trouble.cspViolations.push(message.text());
  });
  return opened;
}
