// Completes dist/dashboard/public after `tsc -p tsconfig.ui.json`: the page's static files and the
// view library's ES module builds, copied from node_modules (no bundler, nothing from a CDN).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/dashboard/public");
const copies = [
  ["src/dashboard/ui/index.html", "index.html"],
  ["src/dashboard/ui/style.css", "style.css"],
  ["node_modules/preact/dist/preact.module.js", "vendor/preact.module.js"],
  ["node_modules/preact/hooks/dist/hooks.module.js", "vendor/hooks.module.js"],
  ["node_modules/htm/dist/htm.module.js", "vendor/htm.module.js"],
];
for (const [from, to] of copies) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(join(root, from), join(out, to));
}
console.log(`dashboard page built in ${out}`);
