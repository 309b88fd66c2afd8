/**
 * Engine processes for the multi-process tests (`test/multi-process/worker-process.ts`, run
 * from TypeScript through tsx). Each is tracked by its pid and stopped by pid: SIGTERM for a
 * graceful stop, SIGKILL for whatever is left when a test ends.
 */
import { fileURLToPath } from 'node:url';
import { type ScriptProcess, ScriptProcesses } from '../../../../test-support/src/script-processes';

const script = fileURLToPath(new URL('../multi-process/worker-process.ts', import.meta.url));

/** A running engine process and what it printed (`ready`, `error\t…`, `transient\t…`, `connection\t…`). */
export type WorkerProcess = ScriptProcess;

/**
 * Starts engine processes of `worker-process.ts` and stops every one of them, by pid. The
 * script is compiled once and loaded by plain node (see test-support's `script-bundle.ts`).
 */
export class WorkerProcesses extends ScriptProcesses {
  constructor() {
    super(script, { bundle: true });
  }
}

/**
 * The tables of the worker processes: `side_effects`, one row per handler call; `gate`, which
 * gated handlers wait on while it is closed (it starts open); `gate_waits`, one row per handler
 * that found it closed, `passed` once it went through.
 */
export const SIDE_EFFECTS_DDL = `
create table side_effects (
  seq bigserial primary key,
  step_id uuid not null,
  step_name text not null,
  attempt int not null,
  pid int not null
);
create table gate (open boolean not null);
insert into gate values (true);
create table gate_waits (step_id uuid not null, passed boolean not null default false);`;
