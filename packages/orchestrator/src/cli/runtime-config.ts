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
import type { z } from 'zod';
import {
  configSchema,
  parseConfig,
  type TaskerConfig,
  type TaskerConfigInput,
} from '../config/config-schema';
import { readConfigFile } from '../config/load-config';
import { isTaskerError } from '../errors';
import { describeIssues } from '../validation-message';
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

/** Reads `path` (or nothing: every default), applies the environment, then validates. */
export async function runtimeConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TaskerConfig> {
  let file: unknown = {};
  if (path !== undefined) {
    try {
      file = await readConfigFile(path);
    } catch (error) {
      if (isTaskerError(error)) throw new CliError(error.message, EXIT.usage);
      throw error;
    }
  }
  const input = withEnvironment(file, env);
  const problems = configProblems(input, env);
  if (problems.length > 0) {
    throw new CliError(
      `Invalid Tasker configuration: ${problems.join('; ')}${path === undefined ? '' : ` (in ${path})`}`,
      EXIT.usage,
    );
  }
  try {
    return parseConfig(input as TaskerConfigInput);
  } catch (error) {
    if (isTaskerError(error)) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
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

/** Every problem of `input`, each naming its field, and the variable that sets it if one does. */
function configProblems(input: unknown, env: NodeJS.ProcessEnv): string[] {
  const result = configSchema.safeParse(input);
  const problems = result.success
    ? []
    : result.error.issues.map((issue: z.core.$ZodIssue) => {
        const field = issue.path.map(String).join('.');
        return `${describeIssues([issue])}${fromVariable(field, env)}`;
      });
  const store = group(group(input).store);
  if (store.kind === 'postgres' && store.connectionString === undefined) {
    problems.push(
      'store.connectionString: required for store.kind "postgres"; set it in the file or with TASKER_DATABASE_URL',
    );
  }
  return problems;
}

/** ` (from TASKER_JWT_JWKS_URL)` when that variable gave `field` its bad value. */
function fromVariable(field: string, env: NodeJS.ProcessEnv): string {
  const variable = VARIABLE_OF_FIELD[field];
  if (variable === undefined) return '';
  return env[variable] ? ` (from ${variable})` : `; set it in the file or with ${variable}`;
}
