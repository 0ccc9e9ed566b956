/**
 * Summarises V8 CPU profiles (`--cpu-prof`, see BENCH_CPU_PROF in lib/processes.ts): self time by
 * function and by file, heaviest first — the "flame summary" bench/README.md quotes.
 * Usage: tsx bench/profile.ts FILE.cpuprofile [top=25] [lastSeconds | from:to]
 * With lastSeconds, only the samples of the profile's last seconds count (e.g. the steady-state
 * window that ends a benchmark); with from:to, those between two times in seconds from the
 * profile's start (e.g. the M1 drain at the start of the pipeline benchmark's controller).
 * A third table gives inclusive time of nadm's own functions (self time plus what they
 * called), to see which of our paths a library's cost comes from.
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg = "25", lastArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: tsx bench/profile.ts FILE.cpuprofile [top]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
const totalUs = profile.timeDeltas.reduce((a, b) => a + b, 0);
const [fromUs, toUs] = window(lastArg);
let at = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= fromUs && at <= toUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

/** The sampled span to count, in µs from the profile's start. */
function window(arg: string | undefined): [number, number] {
  if (!arg) return [0, totalUs];
  const [from, to] = arg.split(":");
  if (to === undefined) return [totalUs - Number(from) * 1e6, totalUs];
  return [Number(from) * 1e6, Number(to) * 1e6];
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const label = (n: Node) =>
  `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
const fn = new Map<string, number>();
const files = new Map<string, number>();
const ours = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  add(fn, label(node), us);
  add(files, short(node.callFrame.url), us);
  const onStack = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)!;
    if (isOurs(frame.callFrame.url)) onStack.add(label(frame));
  }
  for (const k of onStack) add(ours, k, us);
}
const top = Number(topArg);
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
};
show("self time by function", fn);
show("self time by file or package", files);
show("inclusive time of nadm's functions", ours);

function isOurs(url: string): boolean {
  return !url.includes("node_modules/") && (url.includes("/src/") || url.includes("/dist/"));
}

/** node_modules/@nats-io/jetstream/… → @nats-io/jetstream; our files relative; V8 internals by name. */
function short(url: string): string {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf("/src/");
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
}
