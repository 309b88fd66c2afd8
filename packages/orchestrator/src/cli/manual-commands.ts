/**
 * The commands that act on a task by hand, each one REST call: `cancel` (DELETE /tasks/{id}),
 * `retry` (POST …/workflow_steps/{stepId}/retry) and `resolve` (POST …/workflow_steps/{stepId}/resolve).
 * They only change states: a step put back to pending is run by the workers of whatever serves
 * the store (`tasker serve`), not by this process. The API's refusals (404 unknown task or step,
 * 409 a transition the state machine does not allow, 401/403) come back from the client as
 * `CliError`s naming the code and the API's detail.
 */
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './cli-error';
import { withConnection } from './commands';
import type { ConnectionOptions } from './connection';
import type { TaskWire } from './format';
import { readJsonOption } from './run-command';

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A step as the step routes answer it (the fields printed here). */
interface StepWire {
  readonly workflow_step_id: string;
  readonly task_id: string;
  readonly name: string;
  readonly status: string;
  readonly results: unknown;
}

const taskPath = (taskId: string) => `/tasks/${encodeURIComponent(taskId)}`;

/**
 * The id of a step given by its id or by its name in the task: a name costs one more request
 * (the task's step list), an id none.
 */
async function stepIdOf(client: ApiClient, taskId: string, step: string): Promise<string> {
  if (UUID.test(step)) return step;
  const { workflow_steps: steps } = await client.request<{ workflow_steps: StepWire[] }>(
    'GET',
    `${taskPath(taskId)}/workflow_steps`,
  );
  const found = steps.find((s) => s.name === step);
  if (found === undefined) {
    throw new CliError(
      `task ${taskId} has no step named "${step}" (its steps: ${steps.map((s) => s.name).join(', ')}); give a step's name or id`,
      EXIT.failed,
    );
  }
  return found.workflow_step_id;
}

/** `tasker cancel <task-id>`: cancels the task and its unfinished steps. */
export async function cancelCommand(taskId: string, options: ConnectionOptions & { json?: boolean }) {
  await withConnection('cancel', options, async ({ client }) => {
    const task = await client.request<TaskWire>('DELETE', taskPath(taskId));
    if (options.json) return printJson(task);
    const steps = (task.workflow_steps ?? []).filter((s) => s.status === 'cancelled').length;
    print(
      `cancelled task ${task.task_id} (${task.namespace}.${task.name}@${task.version}; ${steps} unfinished step${steps === 1 ? '' : 's'} cancelled)`,
    );
  });
}

/** `tasker retry <task-id> <step>`: puts a step in error back to pending; its task resumes. */
export async function retryCommand(
  taskId: string,
  step: string,
  options: ConnectionOptions & { reason?: string; json?: boolean },
) {
  await withConnection('retry', options, async ({ client }) => {
    const stepId = await stepIdOf(client, taskId, step);
    const retried = await client.request<StepWire>(
      'POST',
      `${taskPath(taskId)}/workflow_steps/${encodeURIComponent(stepId)}/retry`,
      options.reason === undefined ? {} : { reason: options.reason },
    );
    if (options.json) return printJson(retried);
    // Usually `pending`; a worker may have claimed it already.
    print(
      `retrying step ${retried.name} (${retried.workflow_step_id}) of task ${retried.task_id}: ${retried.status}`,
    );
  });
}

const abbreviated = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** `tasker resolve <task-id> <step> [--result <json|@file>]`: resolves a step by hand. */
export async function resolveCommand(
  taskId: string,
  step: string,
  options: ConnectionOptions & { result?: string; reason?: string; json?: boolean },
) {
  // Read before connecting: bad JSON is a usage error that needs no server.
  const result = options.result === undefined ? undefined : await readJsonOption('--result', options.result);
  await withConnection('resolve', options, async ({ client }) => {
    const stepId = await stepIdOf(client, taskId, step);
    const resolved = await client.request<StepWire>(
      'POST',
      `${taskPath(taskId)}/workflow_steps/${encodeURIComponent(stepId)}/resolve`,
      {
        ...(options.result === undefined ? {} : { result }),
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      },
    );
    if (options.json) return printJson(resolved);
    print(
      `resolved step ${resolved.name} (${resolved.workflow_step_id}) of task ${resolved.task_id}: ${resolved.status}` +
        (options.result === undefined ? '' : `, result ${abbreviated(JSON.stringify(resolved.results))}`),
    );
  });
}
