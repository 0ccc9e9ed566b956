/** Pieces every view uses: the phase as text (never colour only), times, counts. */
import { html } from "../html.js";
import type { HostState, Phase } from "../wire.js";

/** A symbol beside the word, so the phase reads without colour too. */
const SYMBOL: Record<Phase, string> = {
  deployed: "✓",
  reconciling: "↻",
  waiting: "…",
  paused: "‖",
  failed: "✕",
  undeployed: "○",
};

export function PhaseBadge({ phase }: { phase: Phase }) {
  return html`<span class=${`phase phase-${phase}`} data-phase=${phase}
    ><span aria-hidden="true">${SYMBOL[phase]} </span>${phase}</span
  >`;
}

export function HostBadge({ state }: { state: HostState }) {
  return html`<span class=${`host-state host-${state}`} data-state=${state}>${state}</span>`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function Time({ at }: { at: string | null | undefined }) {
  return at ? html`<time datetime=${at} title=${at}>${ago(at)}</time>` : html`<span>—</span>`;
}

export function appHref(lattice: string, name: string): string {
  return `#/app/${encodeURIComponent(lattice)}/${encodeURIComponent(name)}`;
}
