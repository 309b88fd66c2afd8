/**
 * The level of an event's log line, from its name, as in the original Tasker: a failure or
 * error is `error`; a retry, backoff or cancellation is `warn`; a start, completion, request or
 * manual resolution is `info`; anything else is `debug`.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const ERROR = /(?:^|[._])(?:failed|error|max_retries_reached|spike_detected)(?:$|[._])/;
const WARN =
  /(?:^|[._])(?:retry_requested|backoff|cancelled|slow_operation|state_unclear|reenqueue_failed)(?:$|[._])/;
const INFO =
  /(?:^|[._])(?:started|start_requested|completed|initialize_requested|execution_requested|resolved_manually|enqueue|finalize)(?:$|[._])/;

/** The level of event `name`. */
export function levelOf(name: string): LogLevel {
  if (ERROR.test(name)) return 'error';
  if (WARN.test(name)) return 'warn';
  if (INFO.test(name)) return 'info';
  return 'debug';
}
