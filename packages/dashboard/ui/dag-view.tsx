/**
 * One definition's DAG as SVG: a box per step (handler, retries, timeout, skippable), an arrow per
 * dependency. For a task, each box can also carry the step's state (colour, and the same by icon
 * and text on its last line), and the critical path is drawn in bold with a ★ on its steps.
 */

import { layOutDag, NODE_HEIGHT, NODE_WIDTH } from './dag-layout';
import type { StepMark } from './version-diff';

const MARK_TEXT: Record<StepMark, string> = { added: '＋ new', changed: '✎ changed' };

import type { StepTemplate } from './handlers-data';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function timeout(ms: number | null): string {
  if (ms === null) return 'no timeout';
  return ms % 1000 === 0 ? `timeout ${ms / 1000}s` : `timeout ${ms}ms`;
}

function details(step: StepTemplate): string {
  const retries = step.retryable ? `retries ${step.retry_limit}` : 'no retry';
  return `${retries} · ${timeout(step.timeout_ms)}${step.skippable ? ' · skippable' : ''}`;
}

export function DagView(props: {
  /** Unique on the page: the arrow marker's id is made from it. */
  readonly id: string;
  readonly title: string;
  readonly steps: readonly StepTemplate[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  /** Steps new or changed since the version before, shown by text and outline. */
  readonly marks?: Readonly<Record<string, StepMark>>;
  /** A task's steps: their state (the class `state-<state>`) and the line shown for it. */
  readonly states?: Readonly<Record<string, { readonly state: string; readonly text: string }>>;
  /** The critical path, in order: its steps and the edges between them are marked. */
  readonly critical?: readonly string[];
}) {
  const dag = layOutDag(props.steps, props.edges);
  const arrow = `arrow-${props.id}`;
  const critical = new Set(props.critical ?? []);
  const criticalEdges = new Set(
    (props.critical ?? []).slice(1).map((to, i) => `${props.critical?.[i]}->${to}`),
  );
  return (
    <svg
      class="dag"
      aria-label={`${props.title}: ${props.steps.length} steps, ${props.edges.length} dependencies`}
      viewBox={`0 0 ${dag.width} ${dag.height}`}
      width={dag.width}
      height={dag.height}
    >
      <defs>
        <marker
          id={arrow}
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
        </marker>
      </defs>
      {dag.edges.map((e) => (
        <path
          key={`${e.from}->${e.to}`}
          class={criticalEdges.has(`${e.from}->${e.to}`) ? 'edge critical' : 'edge'}
          data-from={e.from}
          data-to={e.to}
          marker-end={`url(#${arrow})`}
          d={e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}
        >
          <title>{`${e.to} depends on ${e.from}`}</title>
        </path>
      ))}
      {dag.nodes.map(({ step, x, y }) => {
        const mark = props.marks?.[step.name];
        const state = props.states?.[step.name];
        const onPath = critical.has(step.name);
        const corner = mark === undefined ? (onPath ? '★ critical' : undefined) : MARK_TEXT[mark];
        const meta = state === undefined ? details(step) : state.text;
        const classes = [
          'node',
          step.skippable ? 'skippable' : '',
          mark ?? '',
          state === undefined ? '' : `state-${state.state}`,
          onPath ? 'critical' : '',
        ];
        return (
          <g
            key={step.name}
            class={classes.filter(Boolean).join(' ')}
            data-mark={mark}
            data-state={state?.state}
            data-critical={onPath ? 'true' : undefined}
            data-step={step.name}
            transform={`translate(${x.toFixed(1)},${y.toFixed(1)})`}
            tabindex={0}
            aria-label={`Step ${step.name}${mark === undefined ? '' : ` (${mark})`}${state === undefined ? '' : `, ${state.text}`}${onPath ? ', on the critical path' : ''}, handler ${step.handler}, ${details(step)}`}
          >
            <title>{`${step.name}\nhandler ${step.handler}\n${details(step)}${state === undefined ? '' : `\n${state.text}`}${onPath ? '\non the critical path' : ''}`}</title>
            <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
            <text x="10" y="20" class="step-name">
              {clip(step.name, corner === undefined ? 26 : 15)}
            </text>
            <text x="10" y="38" class="step-handler">
              {clip(`ƒ ${step.handler}`, 30)}
            </text>
            <text x="10" y="55" class={state === undefined ? 'step-meta' : 'step-meta step-state'}>
              {clip(meta, 34)}
            </text>
            {corner === undefined ? null : (
              <text x={NODE_WIDTH - 8} y="20" text-anchor="end" class="step-mark">
                {corner}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
