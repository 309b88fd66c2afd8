/**
 * The task's timeline as SVG: a row per step, a bar per attempt (coloured by outcome, with its
 * number and an icon), the backoff before each retry as a dashed line, a dashed outline and the
 * word "timeout" on an attempt that timed out (words, not an emoji: not every system font has one), and a diamond where a step settled without running. Time runs left to right from
 * the task's first transition; the axis is in ms or s from there.
 */
import type { Attempt, Backoff, Timeline } from './attempts';
import { durationText, stateIcon, stateLabel } from './state-look';

const LABEL_WIDTH = 160;
const PLOT_WIDTH = 720;
const ROW = 28;
const AXIS = 24;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** About five round ticks over `span` ms. */
function ticks(span: number): number[] {
  const raw = Math.max(span, 1) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) out.push(t);
  return out;
}

function attemptText(a: Attempt): string {
  const what = a.timedOut ? 'timed out' : stateLabel(a.outcome);
  const which =
    a.run === a.attempt
      ? `attempt ${a.attempt}`
      : `run ${a.run} (attempt ${a.attempt} after a retry by hand)`;
  return `${a.step}, ${which}: ${what} after ${durationText(a.end - a.start)}${a.error === undefined ? '' : ` (${a.error})`}`;
}

function backoffText(b: Backoff): string {
  return `${b.step}: backoff after run ${b.after}, ${durationText(b.end - b.start)}${b.ended ? '' : ' (retry not claimed yet)'}`;
}

export function Gantt(props: { readonly steps: readonly string[]; readonly timeline: Timeline }) {
  const { steps, timeline } = props;
  const span = Math.max(1, timeline.end - timeline.start);
  const x = (at: number) => LABEL_WIDTH + ((at - timeline.start) / span) * PLOT_WIDTH;
  const row = new Map(steps.map((s, i) => [s, i]));
  const y = (step: string) => AXIS + (row.get(step) ?? 0) * ROW;
  const height = AXIS + steps.length * ROW + 4;
  const width = LABEL_WIDTH + PLOT_WIDTH + 48;
  const summary = `${timeline.attempts.length} attempt${timeline.attempts.length === 1 ? '' : 's'}, ${timeline.backoffs.length} backoff${timeline.backoffs.length === 1 ? '' : 's'} over ${durationText(span)}`;
  return (
    <svg
      class="gantt"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={`Timeline: ${summary}`}
    >
      <title>{`Timeline: ${summary}`}</title>
      {ticks(span).map((t) => (
        <g key={t} class="tick">
          <line x1={x(timeline.start + t)} x2={x(timeline.start + t)} y1={AXIS - 6} y2={height} />
          <text x={x(timeline.start + t)} y={AXIS - 10} text-anchor="middle">
            {t === 0 ? '0' : `+${durationText(t)}`}
          </text>
        </g>
      ))}
      {steps.map((s) => (
        <text key={s} class="row-label" x={LABEL_WIDTH - 8} y={y(s) + ROW / 2 + 4} text-anchor="end">
          {clip(s, 22)}
        </text>
      ))}
      {timeline.backoffs.map((b) => (
        <g
          key={`${b.step}-b${b.after}`}
          class={b.ended ? 'backoff' : 'backoff due'}
          data-step={b.step}
          data-after={b.after}
        >
          <title>{backoffText(b)}</title>
          <line
            x1={x(b.start)}
            x2={Math.max(x(b.end), x(b.start) + 2)}
            y1={y(b.step) + ROW / 2}
            y2={y(b.step) + ROW / 2}
          />
        </g>
      ))}
      {timeline.attempts.map((a) => {
        const left = x(a.start);
        const w = Math.max(3, x(a.end) - left);
        return (
          <g
            key={`${a.step}-${a.run}`}
            class={`attempt state-${a.outcome}${a.timedOut ? ' timeout' : ''}`}
            data-step={a.step}
            data-run={a.run}
            data-attempt={a.attempt}
            data-outcome={a.outcome}
            data-timeout={a.timedOut ? 'true' : undefined}
          >
            <title>{attemptText(a)}</title>
            <rect class="bar" x={left} y={y(a.step) + 5} width={w} height={ROW - 10} rx="3" />
            <text x={left + w + 3} y={y(a.step) + ROW / 2 + 4}>
              {`${stateIcon(a.outcome)}${a.run}${a.timedOut ? ' timeout' : ''}`}
            </text>
          </g>
        );
      })}
      {timeline.marks.map((m) => (
        <g
          key={`${m.step}-m${m.at}`}
          class={`settle-mark state-${m.state}`}
          data-step={m.step}
          data-mark-state={m.state}
        >
          <title>{`${m.step}: ${stateLabel(m.state)} without running`}</title>
          <path d={`M${x(m.at)},${y(m.step) + 6} l8,8 l-8,8 l-8,-8 z`} />
        </g>
      ))}
    </svg>
  );
}

/** The timeline's words, for the table under it and for screen readers. */
export function GanttTable(props: { readonly timeline: Timeline }) {
  const rows = [
    ...props.timeline.attempts.map((a) => ({
      at: a.start,
      key: `a-${a.step}-${a.run}`,
      text: attemptText(a),
    })),
    ...props.timeline.backoffs.map((b) => ({
      at: b.start,
      key: `b-${b.step}-${b.after}`,
      text: backoffText(b),
    })),
  ].sort((p, q) => p.at - q.at);
  return (
    <details class="gantt-words">
      <summary>The timeline in words ({rows.length} entries)</summary>
      <ol>
        {rows.map((r) => (
          <li key={r.key}>
            <span class="muted">+{durationText(r.at - props.timeline.start)}</span> {r.text}
          </li>
        ))}
      </ol>
    </details>
  );
}
