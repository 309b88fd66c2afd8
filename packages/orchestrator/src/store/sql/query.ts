import { createHash } from 'node:crypto';

/** A named SQL statement: the name is what SQL monitoring publishes (`database.query_executed`). */
export interface SqlQuery {
  readonly name: string;
  readonly text: string;
  /**
   * Identifies the text (its name and a hash of it): drivers that prepare statements use it
   * as the prepared statement's name, so each text is parsed once per connection.
   */
  readonly id: string;
}

/** Names a statement; the text takes `$n` parameters and never interpolates values. */
export function sql(name: string, text: string): SqlQuery {
  const trimmed = text.trim();
  const hash = createHash('sha256').update(trimmed).digest('hex').slice(0, 12);
  return Object.freeze({ name, text: trimmed, id: `tasker_${name}_${hash}` });
}

/** Columns every step event needs, from `tasker.steps s` joined to `tasker.tasks t`. */
export const STEP_EVENT_COLUMNS = `s.id, s.task_id, s.name, s.state, s.attempts, s.retry_limit,
  t.namespace, t.name as task_name, t.version, t.trace_context`;

/** Columns every task event needs, from `tasker.tasks t`. */
export const TASK_EVENT_COLUMNS = 't.id, t.namespace, t.name, t.version, t.trace_context, t.created_at';
