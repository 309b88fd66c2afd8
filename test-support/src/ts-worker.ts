/**
 * Starts a `worker_threads` worker on a TypeScript file, the way the workspace runs TypeScript
 * (tsx, with workspace packages resolved to their sources). Callers stop it with `terminate()`.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const bootstrap = fileURLToPath(new URL('./ts-worker-bootstrap.mjs', import.meta.url));

/** A worker running `script` (an absolute path) with `workerData`. */
export function startTsWorker(script: string, workerData: unknown): Worker {
  return new Worker(bootstrap, {
    argv: [pathToFileURL(script).href],
    workerData,
    execArgv: ['--conditions=@tasker/source'],
  });
}
