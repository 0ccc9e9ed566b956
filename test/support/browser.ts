/**
 * Headless Chromium (Debian's `chromium`, driven by puppeteer-core, which downloads no browser)
 * for the dashboard's browser test and benchmark. Absent browser → undefined, and the caller skips.
 */
import { existsSync } from "node:fs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { within } from "../../src/deadline.js";

export const CHROMIUM = "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI has no user namespace sandbox; the pages are our own.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    // A browser call that hangs fails within a minute with its name, rather than silently
    // using up the test file's whole timeout (puppeteer's default is 3 minutes).
    protocolTimeout: 60_000,
  });
}

/** Closes the browser, and kills it if it does not close within 10 s. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  const closed = browser.close().catch(() => undefined);
  if (!(await within(closed, 10_000))) browser.process()?.kill("SIGKILL");
}

export interface Timings {
  renders: number;
  lastMs: number;
  maxMs: number;
  firstSnapshotMs: number;
}

export function timings(page: Page): Promise<Timings> {
  return page.evaluate(() => (globalThis as unknown as { nadmTimings: Timings }).nadmTimings);
}

/** Waits until the page has rendered more than `after` times, and returns its timings then. */
export async function nextRender(page: Page, after: number, timeoutMs = 10_000): Promise<Timings> {
  await page.waitForFunction(
    (n: number) => (globalThis as unknown as { nadmTimings: Timings }).nadmTimings.renders > n,
    { timeout: timeoutMs },
    after,
  );
  return timings(page);
}

export interface RenderNumbers {
  hosts: number;
  apps: number;
  /** Applying the snapshot and rendering the apps view. */
  snapshotMs: number;
  /** Switching to the hosts view (every host one row). */
  hostsViewMs: number;
  /** A patch of `heartbeats` host records rendered in the hosts view. */
  patchMs: number;
  heartbeats: number;
  /** Switching to one app's view (placement grid). */
  appViewMs: number;
}

/** Opens the dashboard at `url` and measures its renders over the lattice `dash` serves. */
export async function measureRender(
  browser: Browser,
  url: string,
  size: { hosts: number; apps: number },
  heartbeat: (count: number) => void,
): Promise<RenderNumbers> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(url);
  await page.waitForFunction(
    () => (globalThis as unknown as { nadmTimings: Timings }).nadmTimings.firstSnapshotMs > 0,
    {
      timeout: 30_000,
    },
  );
  const snapshotMs = (await timings(page)).firstSnapshotMs;
  const routeMs = async (hash: string) => {
    const before = (await timings(page)).renders;
    await page.evaluate((h: string) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = h;
    }, hash);
    return (await nextRender(page, before)).lastMs;
  };
  const hostsViewMs = await routeMs("#/hosts");
  const heartbeats = Math.min(200, size.hosts);
  const before = (await timings(page)).renders;
  heartbeat(heartbeats);
  const patchMs = (await nextRender(page, before)).lastMs;
  const appViewMs = await routeMs("#/app/default/app-1");
  await page.close();
  return { ...size, snapshotMs, hostsViewMs, patchMs, heartbeats, appViewMs };
}
