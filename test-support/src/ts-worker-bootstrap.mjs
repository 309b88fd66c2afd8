// The entry of a TypeScript worker thread (see ts-worker.ts): Node 20 does not apply
// `--import tsx` from a worker's execArgv to the worker's own entry, so it registers tsx here
// and then imports the script given as its first argument.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
