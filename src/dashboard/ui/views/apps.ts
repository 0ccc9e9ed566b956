/** The apps view: every app with its phase and why, version, ready/desired and last change; filters. */
import { html } from "../html.js";
import type { DashboardState } from "../state.js";
import type { Phase } from "../wire.js";
import { appHref, PhaseBadge, Time } from "./common.js";

const PHASES: Phase[] = ["failed", "waiting", "reconciling", "paused", "deployed", "undeployed"];

export interface AppsFilter {
  lattice: string;
  phase: string;
  text: string;
}

export function AppsView({
  state,
  filter,
  setFilter,
}: {
  state: DashboardState;
  filter: AppsFilter;
  setFilter: (f: Partial<AppsFilter>) => void;
}) {
  const rows = state
    .appList()
    .filter(
      (a) =>
        (!filter.lattice || a.lattice === filter.lattice) &&
        (!filter.phase || a.phase === filter.phase) &&
        (!filter.text || a.name.includes(filter.text)),
    );
  const counts = new Map<string, number>();
  for (const a of state.apps.values()) counts.set(a.phase, (counts.get(a.phase) ?? 0) + 1);
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Apps</h1>
    <div class="filters" role="search">
      <label>Phase
        <select value=${filter.phase} onChange=${(e: Event) => setFilter({ phase: (e.target as HTMLSelectElement).value })}>
          <option value="">all (${state.apps.size})</option>
          ${PHASES.map((p) => html`<option value=${p}>${p} (${counts.get(p) ?? 0})</option>`)}
        </select>
      </label>
      <label>Name
        <input type="search" value=${filter.text}
          onInput=${(e: Event) => setFilter({ text: (e.target as HTMLInputElement).value })} />
      </label>
    </div>
    <p class="count" aria-live="polite">${rows.length} of ${state.apps.size} apps</p>
    <table class="apps">
      <thead><tr>
        <th scope="col">App</th><th scope="col">Lattice</th><th scope="col">Phase</th><th scope="col">Why</th>
        <th scope="col">Version</th><th scope="col">Ready</th><th scope="col">Last change</th>
      </tr></thead>
      <tbody>
        ${rows.map(
          (a) => html`<tr key=${a.id} data-app=${a.name} data-lattice=${a.lattice} data-phase=${a.phase}>
            <th scope="row"><a href=${appHref(a.lattice, a.name)}>${a.name}</a></th>
            <td>${a.lattice}</td>
            <td><${PhaseBadge} phase=${a.phase} />${a.paused && a.phase !== "paused" ? " (paused)" : ""}</td>
            <td class="message">${a.message}</td>
            <td>${a.version ?? "—"}</td>
            <td class="num">${a.ready}/${a.desired}</td>
            <td><${Time} at=${a.updatedAt} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
