import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TaskerError } from '../errors';
import { parseConfig, type TaskerConfig } from './config-schema';

/**
 * Reads a configuration from a `.json` file, or a `.js`/`.mjs`/`.cjs` module whose default
 * export is the object, and validates it. (The factories themselves take objects only.)
 *
 * @throws TaskerError `CONFIG_INVALID` naming the file and each bad field.
 * @example
 * ```ts
 * const config = await loadConfig('./tasker.config.json');
 * const tasker = createTasker({ config, tasks: [checkout] });
 * ```
 */
export async function loadConfig(path: string): Promise<TaskerConfig> {
  const input = await readConfigFile(path);
  try {
    return parseConfig(input as Parameters<typeof parseConfig>[0]);
  } catch (error) {
    if (error instanceof TaskerError) error.message = `${error.message} (in ${path})`;
    throw error;
  }
}

/**
 * Reads a configuration file as {@link loadConfig} does, without validating it: for callers that
 * lay other values over it first (the `tasker` command applies its environment variables).
 *
 * @throws TaskerError `CONFIG_INVALID` naming the file when it cannot be read or parsed.
 */
export async function readConfigFile(path: string): Promise<unknown> {
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(await readFile(path, 'utf8'));
    if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
      const mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
      return mod.default ?? mod;
    }
  } catch (error) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `Cannot load configuration ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  throw new TaskerError(
    'CONFIG_INVALID',
    `Cannot load configuration ${path}: expected a .json, .js, .mjs or .cjs file`,
  );
}
