/** The hosts view: labels, last seen, workloads; lost and stopped hosts greyed and named so in text. */
import { html } from "../html.js";
import type { DashboardState } from "../state.js";
import { HostBadge, Time } from "./common.js";

export function HostsView({ state, lattice }: { state: DashboardState; lattice: string }) {
  const rows = state.hostList().filter((h) => !lattice || h.lattice === lattice);
  const live = rows.filter((h) => h.state === "live").length;
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Hosts</h1>
    <p class="count">${live} live, ${rows.length - live} gone</p>
    <table class="hosts">
      <thead><tr>
        <th scope="col">Host</th><th scope="col">Lattice</th><th scope="col">State</th><th scope="col">Labels</th>
        <th scope="col">Driver</th><th scope="col">Last seen</th><th scope="col">Workloads</th>
      </tr></thead>
      <tbody>
        ${rows.map(
          (
            h,
          ) => html`<tr key=${h.id} class=${h.state === "live" ? "" : "gone"} data-host=${h.hostId} data-state=${h.state}>
            <th scope="row">${h.hostId}</th>
            <td>${h.lattice}</td>
            <td><${HostBadge} state=${h.state} />${h.goneAt ? html` <${Time} at=${h.goneAt} />` : ""}</td>
            <td class="labels">${Object.entries(h.labels)
              .filter(([k]) => !k.startsWith("nadm.io/"))
              .map(([k, v]) => `${k}=${v}`)
              .join(", ")}</td>
            <td>${h.driver}</td>
            <td><${Time} at=${h.lastSeen} /></td>
            <td class="workloads">${
              h.workloads.length === 0
                ? "none"
                : h.workloads.map((w) => `${w.app}/${w.component} ${w.ready}/${w.desired}`).join(", ")
            }</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
