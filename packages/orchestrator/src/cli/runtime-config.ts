/**
 * The configuration `tasker` runs with: the file (read by `readConfigFile`, not yet validated)
 * with values from the environment laid over it, then validated once, as a whole, with the
 * engine's schema. So `{"store":{"kind":"postgres"}}` in the file and the URL in
 * `TASKER_DATABASE_URL` make a valid configuration, and secrets never need to be in the file:
 *
 * | variable                | sets                                                  |
 * | ----------------------- | ----------------------------------------------------- |
 * | `TASKER_DATABASE_URL`   | `store.kind = "postgres"`, `store.connectionString`   |
 * | `TASKER_JWT_SECRET`     | `auth.jwt.secret`                                     |
 * | `TASKER_JWT_PUBLIC_KEY` | `auth.jwt.publicKey` (PEM)                            |
 * | `TASKER_JWT_JWKS_URL`   | `auth.jwt.jwksUrl`                                    |
 *
 * A problem with one of these fields names its variable: how to set it when it is missing, or
 * that the bad value came from it.
 */
import { parseConfig, type TaskerConfig, type TaskerConfigInput } from '../config/config-schema';
import { readConfigFile } from '../config/load-config';
import { isTaskerError } from '../errors';
import { CliError, EXIT } from './cli-error';

/** The fields an environment variable sets, by their path in the configuration. */
const VARIABLE_OF_FIELD: Readonly<Record<string, string>> = {
  'store.connectionString': 'TASKER_DATABASE_URL',
  'auth.jwt.secret': 'TASKER_JWT_SECRET',
  'auth.jwt.publicKey': 'TASKER_JWT_PUBLIC_KEY',
  'auth.jwt.jwksUrl': 'TASKER_JWT_JWKS_URL',
};

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const group = (value: unknown): Plain => (isPlain(value) ? value : {});

/** Reads `path` (or nothing: every default), applies the environment, then validates once. */
export async function runtimeConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TaskerConfig> {
  const file =
    path === undefined ? {} : await readConfigFile(path).catch((error: unknown) => usageError(error));
  try {
    return parseConfig(withEnvironment(file, env) as TaskerConfigInput, {
      hint: (field) => fromVariable(field, env),
    });
  } catch (error) {
    return usageError(error, path === undefined ? '' : ` (in ${path})`);
  }
}

/** A configuration problem becomes a one-line usage error (exit 2); anything else goes on up. */
function usageError(error: unknown, where = ''): never {
  if (isTaskerError(error)) throw new CliError(`${error.message}${where}`, EXIT.usage);
  throw error;
}

/** `file` with the environment's values laid over it (a file that is not an object is left as it is). */
export function withEnvironment(file: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!isPlain(file)) return file;
  const set = (name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const url = set('TASKER_DATABASE_URL');
  const jwtValues = {
    ...(set('TASKER_JWT_SECRET') === undefined ? {} : { secret: set('TASKER_JWT_SECRET') }),
    ...(set('TASKER_JWT_PUBLIC_KEY') === undefined ? {} : { publicKey: set('TASKER_JWT_PUBLIC_KEY') }),
    ...(set('TASKER_JWT_JWKS_URL') === undefined ? {} : { jwksUrl: set('TASKER_JWT_JWKS_URL') }),
  };
  const auth = group(file.auth);
  return {
    ...file,
    ...(url === undefined
      ? {}
      : { store: { ...group(file.store), kind: 'postgres', connectionString: url } }),
    ...(Object.keys(jwtValues).length === 0
      ? {}
      : { auth: { ...auth, jwt: { ...group(auth.jwt), ...jwtValues } } }),
  };
}

/**
 * What to add to the problem of `field`: ` (from TASKER_JWT_JWKS_URL)` when that variable gave it
 * its bad value, `; set it in the file or with TASKER_DATABASE_URL` when a variable could set it.
 */
function fromVariable(field: string, env: NodeJS.ProcessEnv): string {
  const variable = VARIABLE_OF_FIELD[field];
  if (variable === undefined) return '';
  return env[variable] ? ` (from ${variable})` : `; set it in the file or with ${variable}`;
}
