/**
 * A task's page (`#task/<id>`): its DAG coloured by step state with the critical path, the
 * timeline of every attempt from the transition audit, each step with its error, inputs and
 * results and the actions it allows, the error chains, the context and annotations, and the
 * transition log. While the task is unfinished the page reads it again every second.
 */
import { useEffect } from 'preact/hooks';
import { timelineOf } from './attempts';
import { DagView } from './dag-view';
import { Gantt, GanttTable } from './gantt';
import { JsonBlock } from './json-block';
import { durationText, stateText } from './state-look';
import { CancelTask, StepActions } from './task-actions';
import { SETTLED_TASK_STATES, type TaskDetails, type TaskStep } from './task-data';
import { TransitionLog } from './transition-log';

/** How often an unfinished task is read again, ms. */
const REFRESH_MS = 1000;

function stepLine(step: TaskStep): string {
  return `${stateText(step.status)} · ${step.attempts} attempt${step.attempts === 1 ? '' : 's'}`;
}

function Header(props: { readonly task: TaskDetails; readonly reload: () => void }) {
  const { task } = props;
  const took =
    task.completed_at === null ? undefined : Date.parse(task.completed_at) - Date.parse(task.created_at);
  return (
    <div class="task-head">
      <div>
        <h1 id="task-title">
          <span class="namespace">{task.namespace}</span>
          <span class="sep">.</span>
          {task.name} <span class="version">{task.version}</span>
        </h1>
        <p class="summary">
          <span class={`badge state-${task.status}`} data-task-status={task.status}>
            {stateText(task.status)}
          </span>{' '}
          <span class="mono">{task.task_id}</span> · created {new Date(task.created_at).toLocaleString()}
          {took === undefined ? '' : ` · finished in ${durationText(took)}`}
          {task.initiator === null ? '' : ` · by ${task.initiator}`}
          {task.tags.length === 0 ? '' : ` · tags ${task.tags.join(', ')}`}
        </p>
        {task.reason === null ? null : <p class="description">{task.reason}</p>}
      </div>
      <CancelTask task={task} onDone={props.reload} />
    </div>
  );
}

function StepRow(props: {
  readonly task: TaskDetails;
  readonly step: TaskStep;
  readonly omitted: boolean;
  readonly reload: () => void;
}) {
  const { step } = props;
  return (
    <li class="step" data-step-row={step.name}>
      <div class="step-head">
        <h3>{step.name}</h3>
        <span class={`badge state-${step.status}`} data-step-status={step.status}>
          {stateText(step.status)}
        </span>
        <span class="muted">
          {step.attempts} of {step.retryable ? step.retry_limit + 1 : 1} attempts
          {step.duration_ms === null ? '' : ` · last ${durationText(step.duration_ms)}`}
        </span>
      </div>
      {step.error === null ? null : (
        <p class="error" data-step-error={step.name}>
          <span aria-hidden="true">✖ </span>
          {step.error.name}
          {step.error.code === undefined ? '' : ` [${step.error.code}]`}: {step.error.message}
        </p>
      )}
      <StepActions task={props.task} step={step} onDone={props.reload} />
      <JsonBlock label={`${step.name} inputs`} value={step.inputs} omitted={props.omitted} />
      <JsonBlock label={`${step.name} results`} value={step.results} omitted={props.omitted} />
    </li>
  );
}

export function TaskPage(props: { readonly task: TaskDetails; readonly reload: () => void }) {
  const { task, reload } = props;
  const unfinished = !SETTLED_TASK_STATES.has(task.status);
  useEffect(() => {
    if (!unfinished) return;
    const timer = setTimeout(reload, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [task, unfinished, reload]);

  const steps = task.workflow_steps;
  const analysis = task.dependency_analysis;
  const critical = analysis?.critical_path;
  const omitted = new Set(task.omitted.map((o) => o.field));
  const oldTransitions = task.omitted.find((o) => o.field === 'transitions')?.count ?? 0;
  const timeline = timelineOf(task.transitions, Date.now());
  return (
    <section aria-labelledby="task-title" data-task-id={task.task_id}>
      <Header task={task} reload={reload} />

      <section class="panel" aria-labelledby="dag-title">
        <h2 id="dag-title">Steps</h2>
        <p class="summary" data-critical-path>
          {critical === undefined || critical.steps.length === 0
            ? 'No step has settled yet: no critical path.'
            : `★ Critical path${critical.complete ? '' : ' so far'}: ${critical.steps.join(' → ')} (${durationText(critical.duration_ms)}), drawn in bold.`}
        </p>
        <div class="dag-scroll">
          <DagView
            id="task"
            title={`${task.namespace}.${task.name}`}
            steps={steps}
            edges={steps.flatMap((s) => s.depends_on.map((from) => ({ from, to: s.name })))}
            states={Object.fromEntries(steps.map((s) => [s.name, { state: s.status, text: stepLine(s) }]))}
            {...(critical === undefined ? {} : { critical: critical.steps })}
          />
        </div>
      </section>

      <section class="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p class="summary">
          One bar per attempt (✔ complete, ↻ failed and retried, ✖ failed for good, ▶ running; a dashed
          outline and “timeout”: timed out); a dashed line: the backoff before a retry; ◆ settled without
          running.
        </p>
        <div class="dag-scroll">
          <Gantt steps={steps.map((s) => s.name)} timeline={timeline} />
        </div>
        <GanttTable timeline={timeline} />
      </section>

      {analysis === undefined || analysis.error_chains.length === 0 ? null : (
        <section class="panel" aria-labelledby="chains-title">
          <h2 id="chains-title">Error chains</h2>
          <ul class="chains">
            {analysis.error_chains.map((c) => (
              <li key={c.step} data-error-chain={c.step}>
                <strong>{c.step}</strong> failed after {c.attempts} attempt{c.attempts === 1 ? '' : 's'}
                {c.error === null ? '' : `: ${c.error.name}: ${c.error.message}`}
                {c.blocked_descendants.length === 0
                  ? '; nothing waits on it.'
                  : `; it holds back ${c.blocked_descendants.join(' → ')}.`}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section class="panel" aria-labelledby="steps-title">
        <h2 id="steps-title">Step details and actions</h2>
        <ol class="steps">
          {steps.map((s) => (
            <StepRow
              key={s.workflow_step_id}
              task={task}
              step={s}
              omitted={omitted.has(`steps[${s.name}]`)}
              reload={reload}
            />
          ))}
        </ol>
      </section>

      <section class="panel" aria-labelledby="context-title">
        <h2 id="context-title">Context and annotations</h2>
        <JsonBlock label="context" value={task.context} omitted={omitted.has('context')} />
        <JsonBlock label="annotations" value={task.annotations} omitted={omitted.has('context')} />
      </section>

      <section class="panel" aria-labelledby="log-title">
        <h2 id="log-title">Transition log</h2>
        <TransitionLog transitions={task.transitions} omitted={oldTransitions} />
      </section>
    </section>
  );
}
