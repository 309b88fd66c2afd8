/**
 * A Tasker in this process: the configured store (PGlite data directories locked, see
 * `./data-dir-lock.ts`), the definitions of a tasks module, and the API over them, which the
 * commands reach through `fetch` exactly as they reach a remote server.
 */
import {
  createClaimsCoordinator,
  createJwtAuthenticator,
  createTaskerApi,
  type TaskerApi,
  type TaskerApiAuthOptions,
} from '../api/index';
import type { TaskerConfig } from '../config/config-schema';
import { createTasker } from '../engine/tasker';
import type { Tasker } from '../engine/tasker-types';
import { isTaskerError } from '../errors';
import { ApiClient } from './api-client';
import { CliError, EXIT } from './cli-error';
import { type DataDirLock, lockDataDir } from './data-dir-lock';
import { runtimeConfig } from './runtime-config';
import { loadTasksModule } from './tasks-module';

/** Options shared by the commands that open a store. */
export interface LocalOptions {
  readonly config?: string;
  readonly tasks?: string;
}

export interface LocalRuntime {
  readonly config: TaskerConfig;
  readonly tasker: Tasker;
  readonly api: TaskerApi;
  readonly client: ApiClient;
  readonly lock: DataDirLock | undefined;
  close(): Promise<void>;
}

/**
 * The authorization a configuration asks for: as written, else `claims` with JWT (a valid token
 * alone grants nothing) and `none` without authentication.
 */
export function configuredAuthorization(config: TaskerConfig): 'none' | 'claims' {
  return config.auth.authorization ?? (config.auth.strategy === 'jwt' ? 'claims' : 'none');
}

/**
 * How `tasker serve` describes its access control: `jwt, authorization: claims`, `none`, with
 * `, tasks scoped to their owner` when owner scoping is on.
 */
export function authDescription(config: TaskerConfig): string {
  const scope = config.auth.scopeToOwner ? ', tasks scoped to their owner' : '';
  return config.auth.strategy === 'none'
    ? `none${configuredAuthorization(config) === 'claims' ? ', authorization: claims' : ''}`
    : `jwt, authorization: ${configuredAuthorization(config)}${configuredAuthorization(config) === 'none' ? ' (every valid token may do everything)' : ''}${scope}`;
}

/** The API's access control from the configuration's `auth` group. */
export function authFromConfig(config: TaskerConfig): TaskerApiAuthOptions {
  const auth = config.auth;
  const common = {
    healthStatusRequiresAuth: auth.healthStatusRequiresAuth,
    metricsRequiresAuth: auth.metricsRequiresAuth,
    scopeToOwner: auth.scopeToOwner,
    authorize:
      configuredAuthorization(config) === 'claims'
        ? createClaimsCoordinator({
            permissionsClaim: auth.permissionsClaim,
            rolesClaim: auth.rolesClaim,
            adminRole: auth.adminRole,
          })
        : ('none' as const),
  };
  if (auth.strategy === 'none') {
    if (auth.scopeToOwner) {
      throw new CliError(
        'auth.scopeToOwner needs auth.strategy "jwt": a task is owned by the token subject that submitted it',
        EXIT.usage,
      );
    }
    return common;
  }
  const jwt: Partial<NonNullable<typeof auth.jwt>> = auth.jwt ?? {};
  if (jwt.secret === undefined && jwt.publicKey === undefined && jwt.jwksUrl === undefined) {
    throw new CliError(
      'auth.strategy is "jwt" but no key is set: set TASKER_JWT_SECRET, TASKER_JWT_PUBLIC_KEY or TASKER_JWT_JWKS_URL (or auth.jwt in the file)',
      EXIT.usage,
    );
  }
  try {
    return {
      ...common,
      authenticate: createJwtAuthenticator({
        ...(jwt.secret === undefined ? {} : { secret: jwt.secret }),
        ...(jwt.publicKey === undefined ? {} : { publicKey: jwt.publicKey }),
        ...(jwt.jwksUrl === undefined ? {} : { jwksUrl: jwt.jwksUrl }),
        ...(jwt.algorithms === undefined ? {} : { algorithms: jwt.algorithms }),
        ...(jwt.issuer === undefined ? {} : { issuer: jwt.issuer }),
        ...(jwt.audience === undefined ? {} : { audience: jwt.audience }),
        requireExp: jwt.requireExp ?? true,
        maxTokenAgeSec: jwt.maxTokenAgeSec === undefined ? 86_400 : jwt.maxTokenAgeSec,
      }),
    };
  } catch (error) {
    if (isTaskerError(error)) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

/**
 * The store a configuration opens, for people: `postgres store`, `pglite store in ./data`, or
 * `in-memory pglite store (nothing persists)`.
 */
export function storeDescription(config: TaskerConfig): string {
  if (config.store.kind === 'postgres') return 'postgres store';
  return config.store.dataDir === undefined
    ? 'in-memory pglite store (nothing persists)'
    : `pglite store in ${config.store.dataDir}`;
}

/**
 * Builds the engine and its API and (unless `openStore` is false: handler discovery needs no
 * store) opens the store; `close()` undoes all of it.
 */
export async function openLocal(
  command: string,
  options: LocalOptions & { openStore?: boolean; loaded?: TaskerConfig },
): Promise<LocalRuntime> {
  const config = options.loaded ?? (await runtimeConfig(options.config));
  const module =
    options.tasks === undefined
      ? { tasks: [], handlers: {}, middleware: [] }
      : await loadTasksModule(options.tasks);
  let lock: DataDirLock | undefined;
  const openStore = options.openStore !== false;
  if (openStore && config.store.kind === 'pglite' && config.store.dataDir !== undefined) {
    lock = await lockDataDir(config.store.dataDir, command);
  }
  let tasker: Tasker;
  try {
    tasker = createTasker({
      tasks: module.tasks,
      handlers: module.handlers,
      middleware: module.middleware,
      config,
      onError: (error, during) => console.error(`[tasker] ${during}: ${(error as Error)?.message ?? error}`),
    });
    if (openStore) await tasker.store();
  } catch (error) {
    await lock?.release();
    if (isTaskerError(error)) throw new CliError(error.message, EXIT.usage);
    const code = (error as { code?: unknown }).code;
    throw new CliError(
      `Cannot open the ${config.store.kind} store: ${(error as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`,
      EXIT.failed,
    );
  }
  // The commands use the same API as remote ones, in process and without authentication:
  // whoever can open the store needs no token.
  const api = createTaskerApi({
    tasker,
    prefix: config.api.prefix,
    maxBodyBytes: config.api.maxBodyBytes,
    maxJsonDepth: config.api.maxJsonDepth,
    maxPageBytes: config.api.maxPageBytes,
  });
  const client = new ApiClient(api.fetch, `http://tasker.local${api.prefix}`);
  return {
    config,
    tasker,
    api,
    client,
    lock,
    close: async () => {
      try {
        await tasker.stop();
      } finally {
        await lock?.release();
      }
    },
  };
}
