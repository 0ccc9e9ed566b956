/**
 * How `nadm app plan` prints a plan: text (waves, then the resulting placement and status) or a
 * Mermaid `flowchart` with one node per wave, annotated with the group it disrupts.
 */
import type { PlanCommand, PlanResult } from "../api/protocol.js";

function describe(c: PlanCommand): string {
  return `${c.hostId}  ${c.workload}  ${c.from} → ${c.to}  (${c.reason})`;
}

export function formatPlanText(p: PlanResult): string {
  const head = `plan for ${p.name}: ${p.from ?? "nothing deployed"} → ${p.version}, ${p.waves.length} wave${p.waves.length === 1 ? "" : "s"}`;
  const waves = p.waves.map((w) => {
    const where = w.groups.length > 0 ? ` (disrupts ${w.groups.join(", ")})` : "";
    return [`wave ${w.wave}${where}:`, ...w.commands.map((c) => `  ${describe(c)}`)].join("\n");
  });
  const placement = Object.entries(p.placement).map(([component, hosts]) => {
    const where = Object.entries(hosts).map(([h, n]) => `${h}=${n}`);
    return `  ${component}: ${where.length > 0 ? where.join(" ") : "nowhere"}`;
  });
  const end = p.finished ? `then ${p.phase}: ${p.message}` : `does not converge: ${p.phase}: ${p.message}`;
  return [head, ...waves, "placement:", ...placement, end].join("\n");
}

/** Text for inside a Mermaid node label: quotes and markup characters as entity codes. */
function label(text: string): string {
  return text.replace(/[#"<>&]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

export function formatPlanMermaid(p: PlanResult): string {
  const lines = [
    "flowchart TD",
    `  w0["${label(`${p.name}: ${p.from ?? "nothing deployed"} → ${p.version}`)}"]`,
  ];
  for (const w of p.waves) {
    const where = w.groups.length > 0 ? ` · disrupts ${w.groups.join(", ")}` : "";
    const body = w.commands.map((c) => label(`${c.hostId} ${c.workload} ${c.from} → ${c.to}`));
    lines.push(`  w${w.wave}["${[label(`wave ${w.wave}${where}`), ...body].join("<br/>")}"]`);
    lines.push(`  w${w.wave - 1} --> w${w.wave}`);
  }
  const last = p.waves.length;
  lines.push(`  done(["${label(`${p.finished ? p.phase : "does not converge"}: ${p.message}`)}"])`);
  lines.push(`  w${last} --> done`);
  return lines.join("\n");
}
