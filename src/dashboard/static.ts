/**
 * The page's files, built by `npm run build` into dist/dashboard/public and read into memory
 * once. Every file is served under `/assets/{build}/…`, where `{build}` hashes all of them, with
 * a year's immutable caching; `index.html` names that prefix (and maps the view library's bare
 * imports to it), so it is served with `no-cache` and an ETag. A new build is a new prefix.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".json": "application/json",
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

export interface Assets {
  /** The URL prefix of every asset, `/assets/{build}`. */
  prefix: string;
  index: { body: Buffer; etag: string; csp: string };
  file(path: string): StaticFile | undefined;
}

/** Where the built page is: beside the compiled module (dist), or in dist/ when run from source. */
export function defaultAssetDir(): string | undefined {
  const candidates = ["./public/", "../../dist/dashboard/public/"].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, "index.html")));
}

export function loadAssets(dir: string): Assets {
  const files = new Map<string, StaticFile>();
  const hash = createHash("sha256");
  for (const path of walk(dir).sort()) {
    const rel = relative(dir, path).split(sep).join("/");
    const body = readFileSync(path);
    hash.update(rel).update("\0").update(body);
    if (rel !== "index.html")
      files.set(rel, { body, type: TYPES[extname(rel)] ?? "application/octet-stream" });
  }
  const prefix = `/assets/${hash.digest("hex").slice(0, 16)}`;
  const html = readFileSync(join(dir, "index.html"), "utf8").replaceAll("%ASSETS%", prefix);
  const body = Buffer.from(html);
  return {
    prefix,
    index: {
      body,
      etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 24)}"`,
      csp: contentSecurityPolicy(html),
    },
    file: (path) => files.get(path),
  };
}

/** Only this server's own files; the one inline script (the import map) allowed by its hash. */
function contentSecurityPolicy(html: string): string {
  const inline = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) =>
      `'sha256-${createHash("sha256")
        .update(m[1] ?? "")
        .digest("base64")}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${inline.join(" ")}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
