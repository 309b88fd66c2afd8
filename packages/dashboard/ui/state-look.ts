/**
 * How a state looks: an icon and words beside its colour, so that it reads without colour too.
 * The colour is the CSS class `state-<state>` (app.css, light and dark).
 */

const LOOK: Readonly<Record<string, { readonly icon: string; readonly label: string }>> = {
  pending: { icon: '○', label: 'pending' },
  in_progress: { icon: '▶', label: 'in progress' },
  running: { icon: '▶', label: 'running' },
  complete: { icon: '✔', label: 'complete' },
  error: { icon: '✖', label: 'error' },
  cancelled: { icon: '⊘', label: 'cancelled' },
  resolved_manually: { icon: '✋', label: 'resolved by hand' },
  waiting_for_retry: { icon: '↻', label: 'waiting for retry' },
  skipped: { icon: '⤼', label: 'skipped' },
};

export function stateIcon(state: string): string {
  return LOOK[state]?.icon ?? '•';
}

export function stateLabel(state: string): string {
  return LOOK[state]?.label ?? state.replaceAll('_', ' ');
}

/** `✔ complete`: icon and words. */
export function stateText(state: string): string {
  return `${stateIcon(state)} ${stateLabel(state)}`;
}

/** A duration for people: `850 ms`, `1.25 s`, `3 min 4 s`. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
