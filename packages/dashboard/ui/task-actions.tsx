/**
 * The task page's actions, each one REST call with the user's token: retry a step in error,
 * resolve a step by hand with a result (confirmed first), cancel the task (confirmed first).
 * A refusal is shown beside the button that caused it; a 403 names the permission the token
 * lacks, as the API's problem answer does.
 */
import { useState } from 'preact/hooks';
import { ApiProblem, TokenNeeded } from './api-client';
import { ConfirmDialog } from './confirm-dialog';
import { problemText } from './loaded';
import { cancelTask, resolveStep, retryStep, type TaskDetails, type TaskStep } from './task-data';

/** Step states a step can be resolved by hand from. */
const UNFINISHED = new Set(['pending', 'in_progress', 'waiting_for_retry', 'error']);

function refusalText(error: unknown): string {
  if (error instanceof ApiProblem && error.status === 403) return `⛔ Not permitted. ${error.message}`;
  if (error instanceof TokenNeeded) return `⚠ ${error.message}: forget the token and give another.`;
  return `⚠ ${problemText(error)}`;
}

/** Runs one action at a time; keeps its refusal to show. */
function useAction(onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | undefined>();
  const run = (act: () => Promise<unknown>) => {
    setBusy(true);
    setRefusal(undefined);
    act().then(
      () => {
        setBusy(false);
        onDone();
      },
      (error: unknown) => {
        setBusy(false);
        setRefusal(refusalText(error));
      },
    );
  };
  return { busy, refusal, run };
}

function Refusal(props: { readonly text: string | undefined; readonly action: string }) {
  return props.text === undefined ? null : (
    <p class="error refusal" role="alert" data-refusal={props.action}>
      {props.text}
    </p>
  );
}

/** Retry and resolve for one step (what its state allows). */
export function StepActions(props: {
  readonly task: TaskDetails;
  readonly step: TaskStep;
  readonly onDone: () => void;
}) {
  const { task, step } = props;
  const retry = useAction(props.onDone);
  const resolve = useAction(props.onDone);
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState('');
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState<string | undefined>();
  if (!UNFINISHED.has(step.status)) return null;
  const confirm = () => {
    let value: unknown;
    if (result.trim() !== '') {
      try {
        value = JSON.parse(result);
      } catch (error) {
        setInvalid(`The result is not JSON: ${problemText(error)}`);
        return;
      }
    }
    setInvalid(undefined);
    setAsking(false);
    resolve.run(() => resolveStep(task.task_id, step.workflow_step_id, value, reason.trim()));
  };
  return (
    <div class="actions" data-actions={step.name}>
      {step.status === 'error' ? (
        <button
          type="button"
          disabled={retry.busy}
          data-action="retry"
          onClick={() => retry.run(() => retryStep(task.task_id, step.workflow_step_id, ''))}
        >
          ↻ Retry {step.name}
        </button>
      ) : null}
      <button type="button" disabled={resolve.busy} data-action="resolve" onClick={() => setAsking(true)}>
        ✋ Resolve {step.name}…
      </button>
      {asking ? (
        <ConfirmDialog
          title={`Resolve step ${step.name} by hand?`}
          confirmLabel="Resolve step"
          onConfirm={confirm}
          onClose={() => setAsking(false)}
        >
          <p>
            The step counts as done without running again; its children receive the result below. This cannot
            be undone.
          </p>
          <label for={`result-${step.name}`}>Result (JSON, optional)</label>
          <textarea
            id={`result-${step.name}`}
            rows={4}
            value={result}
            onInput={(e) => setResult(e.currentTarget.value)}
          />
          <label for={`reason-${step.name}`}>Reason (optional)</label>
          <input
            id={`reason-${step.name}`}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          {invalid === undefined ? null : (
            <p class="error" role="alert">
              {invalid}
            </p>
          )}
        </ConfirmDialog>
      ) : null}
      <Refusal text={retry.refusal} action="retry" />
      <Refusal text={resolve.refusal} action="resolve" />
    </div>
  );
}

/** Cancel the whole task, confirmed first. */
export function CancelTask(props: { readonly task: TaskDetails; readonly onDone: () => void }) {
  const cancel = useAction(props.onDone);
  const [asking, setAsking] = useState(false);
  if (!['pending', 'in_progress', 'error'].includes(props.task.status)) return null;
  return (
    <div class="actions">
      <button
        type="button"
        class="danger"
        disabled={cancel.busy}
        data-action="cancel"
        onClick={() => setAsking(true)}
      >
        ⊘ Cancel task…
      </button>
      {asking ? (
        <ConfirmDialog
          title="Cancel this task?"
          confirmLabel="Cancel task"
          onConfirm={() => {
            setAsking(false);
            cancel.run(() => cancelTask(props.task.task_id));
          }}
          onClose={() => setAsking(false)}
        >
          <p>
            {props.task.namespace}.{props.task.name} and its unfinished steps will be cancelled. This cannot
            be undone.
          </p>
        </ConfirmDialog>
      ) : null}
      <Refusal text={cancel.refusal} action="cancel" />
    </div>
  );
}
