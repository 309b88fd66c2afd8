/**
 * The user's task definitions for `tasker serve`, `run`, `handlers` and `graph`: a `.js`,
 * `.mjs` or `.cjs` module exporting `tasks` (definitions from `defineTask` or
 * `loadTaskDefinition`) and, when definitions name handlers by string, `handlers`; optionally
 * `middleware`. A default export holding the same fields works too.
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TaskDefinition } from '../definitions/define-task';
import type { StepMiddleware } from '../engine/middleware';
import type { HandlerMap } from '../handlers/step-handler';
import { CliError, EXIT } from './cli-error';

/** What a tasks module provides. */
export interface TasksModule {
  readonly tasks: readonly TaskDefinition[];
  readonly handlers: HandlerMap;
  readonly middleware: readonly StepMiddleware[];
}

export async function loadTasksModule(path: string): Promise<TasksModule> {
  const file = resolve(path);
  if (!['.js', '.mjs', '.cjs'].includes(extname(file))) {
    throw new CliError(`--tasks ${path}: expected a .js, .mjs or .cjs module`, EXIT.usage);
  }
  if (!existsSync(file)) throw new CliError(`--tasks ${path}: no such file`, EXIT.usage);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`--tasks ${path}: cannot load the module: ${(error as Error).message}`, EXIT.usage);
  }
  const source = (Array.isArray(mod.tasks) ? mod : (mod.default ?? {})) as Record<string, unknown>;
  if (!Array.isArray(source.tasks)) {
    throw new CliError(
      `--tasks ${path}: expected the module to export "tasks", an array of task definitions`,
      EXIT.usage,
    );
  }
  return {
    tasks: source.tasks as TaskDefinition[],
    handlers: (source.handlers ?? {}) as HandlerMap,
    middleware: (source.middleware ?? []) as StepMiddleware[],
  };
}
