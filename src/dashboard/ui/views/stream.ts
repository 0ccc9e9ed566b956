/** The live stream: commands and events as the replica's ordered consumers receive them, newest first. */
import { html } from "../html.js";
import type { DashboardState } from "../state.js";
import { Time } from "./common.js";

export interface StreamFilter {
  kind: "" | "command" | "event";
  app: string;
}

export function StreamView({
  state,
  lattice,
  filter,
  setFilter,
  connection,
}: {
  state: DashboardState;
  lattice: string;
  filter: StreamFilter;
  setFilter: (f: Partial<StreamFilter>) => void;
  connection: string;
}) {
  const items = state.stream
    .filter(
      (i) =>
        (!lattice || i.lattice === lattice) &&
        (!filter.kind || i.stream === filter.kind) &&
        (!filter.app || i.app === filter.app),
    )
    .slice()
    .reverse();
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Live stream</h1>
    <p class="note">Commands and events as they are published (${connection}). Updates pause while this tab is hidden.</p>
    <div class="filters" role="search">
      <label>Show
        <select value=${filter.kind} onChange=${(e: Event) => setFilter({ kind: (e.target as HTMLSelectElement).value as StreamFilter["kind"] })}>
          <option value="">commands and events</option>
          <option value="command">commands</option>
          <option value="event">events</option>
        </select>
      </label>
      <label>App
        <input type="search" value=${filter.app} onInput=${(e: Event) => setFilter({ app: (e.target as HTMLInputElement).value })} />
      </label>
    </div>
    <ol class="stream" aria-label="newest first">
      ${items.map(
        (
          i,
        ) => html`<li key=${`${i.stream}:${i.seq}`} data-stream=${i.stream} data-type=${i.type} data-app=${i.app ?? ""}>
          <span class=${`kind kind-${i.stream}`}>${i.stream}</span>
          <${Time} at=${i.at} />
          <span class="lattice">${i.lattice}</span>
          ${i.app ? html`<span class="app">${i.app}</span>` : ""}
          <span class="text">${i.text}</span>
        </li>`,
      )}
    </ol>
  </section>`;
}
