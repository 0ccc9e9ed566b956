/**
 * An app's placement grid (hosts by zone, with instances and readiness as the hosts report them)
 * and, during a rollout, its progress per zone (instances on the new revision).
 */
import { html } from "../html.js";
import { type PlacementCell, placementByZone } from "../state.js";
import type { AppRow, HostRow } from "../wire.js";

export function PlacementView({ app, hosts }: { app: AppRow; hosts: Iterable<HostRow> }) {
  const rolloutKeys = new Set(app.components.flatMap((c) => (c.rollout ? [c.rollout.key] : [])));
  const zones = placementByZone(hosts, app.lattice, app.name, rolloutKeys);
  if (zones.size === 0) return html`<p>No host reports an instance of ${app.name}.</p>`;
  return html`<div class="zones">
    ${[...zones].map(
      ([
        zone,
        cells,
      ]) => html`<section class="zone" aria-label=${`zone ${zone || "(none)"}`} data-zone=${zone}>
        <h3>zone ${zone || "(no zone label)"}</h3>
        ${rolloutKeys.size > 0 ? html`<${ZoneRollout} cells=${cells} />` : ""}
        <ul class="cells">
          ${cells.map((c) => html`<${Cell} key=${`${c.hostId}/${c.component}`} cell=${c} />`)}
        </ul>
      </section>`,
    )}
  </div>`;
}

function Cell({ cell: c }: { cell: PlacementCell }) {
  const readiness = c.ready === c.running && c.running === c.desired ? "ready" : "not-ready";
  return html`<li
    class=${`cell ${readiness} ${c.state === "live" ? "" : "gone"}`}
    data-host=${c.hostId}
    data-component=${c.component}
    data-running=${c.running}
    data-ready=${c.ready}
    data-desired=${c.desired}
  >
    <strong>${c.hostId}</strong>${c.state === "live" ? "" : html` <em>(${c.state})</em>`}
    <span>${c.component}: ${c.ready}/${c.running} ready${c.desired === c.running ? "" : `, told ${c.desired}`}</span>
  </li>`;
}

/** Live hosts only: a lost host's last report says nothing of the rollout now. */
function ZoneRollout({ cells: all }: { cells: PlacementCell[] }) {
  const cells = all.filter((c) => c.state === "live");
  const total = cells.reduce((n, c) => n + c.running, 0);
  const onNew = cells.reduce((n, c) => n + c.onNew, 0);
  return html`<p class="rollout-zone">
    <label>rollout: ${onNew}/${total} on the new revision
      <progress max=${Math.max(total, 1)} value=${onNew}>${onNew}/${total}</progress></label>
  </p>`;
}
