/**
 * The configuration `tasker` runs with: the file (through `loadConfig`, validated with the
 * engine's schema) with secrets laid over it from the environment, then validated again as a
 * whole. Secrets never need to be in the file:
 *
 * | variable                | sets                                                  |
 * | ----------------------- | ----------------------------------------------------- |
 * | `TASKER_DATABASE_URL`   | `store.kind = "postgres"`, `store.connectionString`   |
 * | `TASKER_JWT_SECRET`     | `auth.jwt.secret`                                     |
 * | `TASKER_JWT_PUBLIC_KEY` | `auth.jwt.publicKey` (PEM)                            |
 * | `TASKER_JWT_JWKS_URL`   | `auth.jwt.jwksUrl`                                    |
 */
import { parseConfig, type TaskerConfig, type TaskerConfigInput } from '../config/config-schema';
import { loadConfig } from '../config/load-config';
import { isTaskerError } from '../errors';
import { CliError, EXIT } from './cli-error';

/** Reads `path` (or nothing: every default) and applies the environment's secrets. */
export async function runtimeConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TaskerConfig> {
  try {
    const base: TaskerConfigInput = path === undefined ? {} : await loadConfig(path);
    const jwt = {
      ...base.auth?.jwt,
      ...(env.TASKER_JWT_SECRET ? { secret: env.TASKER_JWT_SECRET } : {}),
      ...(env.TASKER_JWT_PUBLIC_KEY ? { publicKey: env.TASKER_JWT_PUBLIC_KEY } : {}),
      ...(env.TASKER_JWT_JWKS_URL ? { jwksUrl: env.TASKER_JWT_JWKS_URL } : {}),
    };
    return parseConfig({
      ...base,
      store: env.TASKER_DATABASE_URL
        ? { ...base.store, kind: 'postgres', connectionString: env.TASKER_DATABASE_URL }
        : base.store,
      auth: { ...base.auth, ...(Object.keys(jwt).length > 0 ? { jwt } : {}) },
    });
  } catch (error) {
    if (isTaskerError(error)) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}
