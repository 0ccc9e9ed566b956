/** One app: phase and why, actions (when the replica allows them), components, placement, history. */
import { useState } from "preact/hooks";
import { html } from "../html.js";
import type { DashboardState } from "../state.js";
import type { Action, AppRow } from "../wire.js";
import { PhaseBadge, Time } from "./common.js";
import { HistoryView } from "./history.js";
import { PlacementView } from "./placement.js";

export function AppView({ state, lattice, name }: { state: DashboardState; lattice: string; name: string }) {
  const [reload, setReload] = useState(0);
  const app = state.apps.get(`${lattice}/${name}`);
  if (!app) {
    return html`<section><h1 id="view-title" tabindex="-1">${name}</h1><p>No app ${name} in lattice ${lattice}.</p></section>`;
  }
  const commands = state.stream.filter(
    (i) => i.stream === "command" && i.lattice === lattice && i.app === name,
  );
  return html`<section aria-labelledby="view-title" data-app=${name}>
    <h1 id="view-title" tabindex="-1">${name} <small>${lattice}</small></h1>
    <p class="summary"><${PhaseBadge} phase=${app.phase} /> <span class="message">${app.message}</span></p>
    <p>${`version ${app.version ?? "none deployed"}${app.previousVersion ? ` (previous ${app.previousVersion})` : ""}, `}
      ${`${app.ready}/${app.desired} ready, changed `}<${Time} at=${app.updatedAt} /></p>
    <${Actions} app=${app} enabled=${state.actions} done=${() => setReload(reload + 1)} />
    <h2>Components</h2>
    <${Components} app=${app} />
    <h2>Placement by zone</h2>
    <${PlacementView} app=${app} hosts=${state.hosts.values()} />
    <${HistoryView} lattice=${lattice} name=${name} reload=${reload}
      live=${state.statusSeen.get(app.id) ?? []} commands=${commands} />
  </section>`;
}

function Components({ app }: { app: AppRow }) {
  if (app.components.length === 0) return html`<p>No component status yet.</p>`;
  return html`<table class="components">
    <thead><tr><th scope="col">Component</th><th scope="col">Scaler</th><th scope="col">Phase</th>
      <th scope="col">Why</th><th scope="col">Ready</th><th scope="col">Rollout</th></tr></thead>
    <tbody>${app.components.map(
      (c) => html`<tr key=${c.name} data-component=${c.name}>
        <th scope="row">${c.name}</th><td>${c.scaler ?? "—"}</td><td><${PhaseBadge} phase=${c.phase} /></td>
        <td class="message">${c.message}</td><td class="num">${c.ready}/${c.desired}</td>
        <td>${
          c.rollout
            ? `${c.rollout.from ?? "?"} → ${c.rollout.to}: ${c.rollout.availableNew}/${c.desired} available${c.rollout.active ? `, ${c.rollout.active} in progress` : ""}`
            : "—"
        }</td>
      </tr>`,
    )}</tbody>
  </table>`;
}

function Actions({ app, enabled, done }: { app: AppRow; enabled: boolean; done: () => void }) {
  const [message, setMessage] = useState("");
  if (!enabled) {
    return html`<p class="note">Read-only: start the controller with <code>--dashboard-actions</code> for buttons.</p>`;
  }
  const run = async (what: Action) => {
    setMessage(`${what}…`);
    const res = await fetch(
      `/api/apps/${encodeURIComponent(app.lattice)}/${encodeURIComponent(app.name)}/${what}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      },
    );
    const body = (await res.json()) as { ok: boolean; error?: { message: string } };
    setMessage(body.ok ? `${what}: done` : `${what} failed: ${body.error?.message ?? res.status}`);
    done();
  };
  const button = (what: Action, label: string, disabled = false) =>
    html`<button type="button" data-action=${what} disabled=${disabled} onClick=${() => void run(what)}>${label}</button>`;
  return html`<div class="actions" role="group" aria-label="actions">
    ${button("deploy", "Deploy latest")}
    ${button("undeploy", "Undeploy", app.version === null)}
    ${app.paused ? button("resume", "Resume") : button("pause", "Pause", app.version === null)}
    ${button("rollback", app.previousVersion ? `Roll back to ${app.previousVersion}` : "Roll back", !app.previousVersion)}
    <span role="status" aria-live="polite">${message}</span>
  </div>`;
}
