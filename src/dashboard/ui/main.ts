/**
 * The dashboard page: one EventSource to the replica (`/api/live`: a snapshot, then patches),
 * closed while the tab is hidden (Page Visibility API) and opened again, with a fresh snapshot,
 * when it is shown. No polling: the only other requests are an app's history when its view opens
 * and what a person asks for (an action, a plan preview). Renders at most once per frame.
 */
import { render } from "preact";
import { html } from "./html.js";
import { DashboardState } from "./state.js";
import { AppView } from "./views/app.js";
import { type AppsFilter, AppsView } from "./views/apps.js";
import { HostsView } from "./views/hosts.js";
import { PlanView } from "./views/plan.js";
import { type StreamFilter, StreamView } from "./views/stream.js";
import type { Patch, Snapshot } from "./wire.js";

const state = new DashboardState();
const ui = {
  connection: "connecting",
  lattice: "",
  apps: { lattice: "", phase: "", text: "" } as AppsFilter,
  stream: { kind: "", app: "" } as StreamFilter,
};
/** Render timings, read by the browser test and the benchmark. */
const timings = { renders: 0, lastMs: 0, maxMs: 0, firstSnapshotMs: 0 };
(window as unknown as { nadmTimings: typeof timings }).nadmTimings = timings;

let source: EventSource | undefined;

function connect(): void {
  if (source) return;
  ui.connection = "connecting";
  const es = new EventSource("/api/live");
  source = es;
  es.addEventListener("snapshot", (e) => {
    state.applySnapshot(JSON.parse((e as MessageEvent<string>).data) as Snapshot);
    ui.connection = "live";
    renderNow(); // at once, not on the next frame: the snapshot render is what is measured
    if (timings.firstSnapshotMs === 0) timings.firstSnapshotMs = timings.lastMs;
  });
  es.addEventListener("patch", (e) => {
    state.applyPatch(JSON.parse((e as MessageEvent<string>).data) as Patch);
    schedule();
  });
  es.addEventListener("error", () => {
    ui.connection = "reconnecting";
    schedule();
  });
}

function pause(): void {
  source?.close();
  source = undefined;
  ui.connection = "paused while hidden";
}

document.addEventListener("visibilitychange", () => (document.hidden ? pause() : connect()));

let framePending = false;
function schedule(): void {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(() => {
    framePending = false;
    renderNow();
  });
}

type Route =
  | { view: "apps" }
  | { view: "hosts" }
  | { view: "stream" }
  | { view: "plan" }
  | { view: "app"; lattice: string; name: string };

function route(): Route {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "app" && parts[1] && parts[2]) return { view: "app", lattice: parts[1], name: parts[2] };
  if (parts[0] === "hosts" || parts[0] === "stream" || parts[0] === "plan") return { view: parts[0] };
  return { view: "apps" };
}

window.addEventListener("hashchange", () => {
  renderNow();
  document.getElementById("view-title")?.focus(); // keyboard and screen-reader users land on the new view
});

function setLattice(e: Event): void {
  ui.lattice = (e.target as HTMLSelectElement).value;
  schedule();
}

function Shell() {
  const r = route();
  const tab = (view: string, label: string) =>
    html`<li><a href=${`#/${view}`} aria-current=${r.view === view ? "page" : undefined}>${label}</a></li>`;
  return html`<a class="skip" href="#main">Skip to content</a>
    <header>
      <span class="brand">nadm</span>
      <nav aria-label="views"><ul>${tab("apps", "Apps")}${tab("hosts", "Hosts")}${tab("stream", "Live stream")}${tab("plan", "Plan")}</ul></nav>
      <label class="lattice">Lattice
        <select value=${ui.lattice} onChange=${setLattice}>
          <option value="">all</option>
          ${state.lattices().map((l) => html`<option value=${l}>${l}</option>`)}
        </select>
      </label>
      <span class="conn" role="status" data-connection=${ui.connection}>${ui.connection}${state.replica ? ` · ${state.replica}` : ""}</span>
    </header>
    <main id="main">${view(r)}</main>`;
}

function view(r: Route) {
  switch (r.view) {
    case "app":
      return html`<${AppView} key=${`${r.lattice}/${r.name}`} state=${state} lattice=${r.lattice} name=${r.name} />`;
    case "hosts":
      return html`<${HostsView} state=${state} lattice=${ui.lattice} />`;
    case "stream":
      return html`<${StreamView} state=${state} lattice=${ui.lattice} filter=${ui.stream} connection=${ui.connection}
        setFilter=${(f: Partial<StreamFilter>) => {
          ui.stream = { ...ui.stream, ...f };
          schedule();
        }} />`;
    case "plan":
      return html`<${PlanView} lattice=${ui.lattice} />`;
    default:
      return html`<${AppsView} state=${state} filter=${{ ...ui.apps, lattice: ui.lattice }}
        setFilter=${(f: Partial<AppsFilter>) => {
          ui.apps = { ...ui.apps, ...f };
          schedule();
        }} />`;
  }
}

function renderNow(): void {
  const t0 = performance.now();
  render(html`<${Shell} />`, document.getElementById("root")!);
  const ms = performance.now() - t0;
  timings.renders++;
  timings.lastMs = ms;
  timings.maxMs = Math.max(timings.maxMs, ms);
}

document.getElementById("root")!.textContent = ""; // the "loading" text
renderNow();
if (!document.hidden) connect();
