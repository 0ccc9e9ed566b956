/**
 * Render time of the dashboard page in headless Chromium over a synthetic lattice (default 1,000
 * hosts × 200 apps, 5 instances each), fed through the same read model and routes a replica uses.
 * Prints one JSON line per metric; asserts nothing.
 *   tsx bench/dashboard-render.ts [hosts] [apps] [runs]
 * Needs the page built (npm run build:ui) and /usr/bin/chromium.
 */
import { closeBrowser, launchBrowser, measureRender } from "../test/support/browser.js";
import { syntheticDashboard } from "../test/support/dashboard.js";

const [hosts = 1000, apps = 200, runs = 3] = process.argv.slice(2).map(Number);
const browser = await launchBrowser();
if (!browser) {
  console.log(
    "bench/dashboard-render: skipped, /usr/bin/chromium is not installed (apt-get install chromium)",
  );
  process.exit(0);
}
const dash = await syntheticDashboard(hosts, apps);
try {
  for (let run = 1; run <= runs; run++) {
    const n = await measureRender(browser, dash.url, { hosts, apps }, (c) => dash.heartbeat(c));
    for (const metric of ["snapshotMs", "hostsViewMs", "patchMs", "appViewMs"] as const) {
      console.log(
        JSON.stringify({
          metric: `dashboard_render_${metric}`,
          value: Math.round(n[metric] * 10) / 10,
          hosts,
          apps,
          run,
          ...(metric === "patchMs" ? { heartbeats: n.heartbeats } : {}),
        }),
      );
    }
  }
} finally {
  await dash.stop();
  await closeBrowser(browser);
}
