import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './cli-error';
import { authDescription, authFromConfig, configuredAuthorization } from './local-runtime';
import { runtimeConfig } from './runtime-config';

describe('the CLI configuration (file, then environment, then validation)', () => {
  let dir: string;
  const file = async (name: string, content: unknown) => {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(content));
    return path;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tasker-runtime-config-'));
  });

  it('takes store.kind "postgres" from the file and the URL from TASKER_DATABASE_URL', async () => {
    const path = await file('pg.json', { store: { kind: 'postgres', poolSize: 3 } });
    const config = await runtimeConfig(path, { TASKER_DATABASE_URL: 'postgres://u@db:5432/tasker' });
    expect(config.store).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@db:5432/tasker',
      poolSize: 3,
    });
  });

  it('names TASKER_DATABASE_URL when a postgres store has no URL', async () => {
    const path = await file('pg-no-url.json', { store: { kind: 'postgres' } });
    const failure = await runtimeConfig(path, {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as CliError).exitCode).toBe(2);
    expect((failure as CliError).message).toBe(
      `Invalid Tasker configuration: store.connectionString: required for store.kind "postgres"; set it in the file or with TASKER_DATABASE_URL (in ${path})`,
    );
  });

  it('says which variable gave a field its bad value, and reports the other problems with it', async () => {
    const path = await file('jwt.json', { auth: { strategy: 'jwt' }, execution: { concurrency: 0 } });
    await expect(runtimeConfig(path, { TASKER_JWT_JWKS_URL: 'not a url' })).rejects.toThrow(
      'execution.concurrency: expected an integer from 1 to 1000, received 0; auth.jwt.jwksUrl: expected a URL, received "not a url" (from TASKER_JWT_JWKS_URL)',
    );
  });

  it('lays JWT secrets over the file’s jwt group and keeps its other fields', async () => {
    const path = await file('jwt-ok.json', { auth: { strategy: 'jwt', jwt: { audience: 'tasker' } } });
    const config = await runtimeConfig(path, { TASKER_JWT_SECRET: 's3cret', TASKER_DATABASE_URL: '' });
    expect(config.auth.jwt).toEqual({
      audience: 'tasker',
      secret: 's3cret',
      requireExp: true,
      maxTokenAgeSec: 86_400,
    });
    expect(config.store.kind).toBe('pglite');
  });

  it('checks permissions with JWT unless the file writes authorization "none" out, and says which', async () => {
    const env = { TASKER_JWT_SECRET: 's3cret' };
    const jwt = await runtimeConfig(await file('jwt-default.json', { auth: { strategy: 'jwt' } }), env);
    expect(configuredAuthorization(jwt)).toBe('claims');
    expect(authDescription(jwt)).toBe('jwt, authorization: claims');
    expect(authFromConfig(jwt).authorize).toBeTypeOf('function');
    const open = await runtimeConfig(
      await file('jwt-open.json', { auth: { strategy: 'jwt', authorization: 'none' } }),
      env,
    );
    expect(authDescription(open)).toBe('jwt, authorization: none (every valid token may do everything)');
    expect(authFromConfig(open).authorize).toBe('none');
    const none = await runtimeConfig(undefined, {});
    expect(authDescription(none)).toBe('none');
    expect(configuredAuthorization(none)).toBe('none');
  });

  it('scopes tasks to their owner when auth.scopeToOwner is on, says so, and needs JWT for it', async () => {
    const env = { TASKER_JWT_SECRET: 's3cret' };
    const scoped = await runtimeConfig(
      await file('jwt-scoped.json', { auth: { strategy: 'jwt', scopeToOwner: true } }),
      env,
    );
    expect(authDescription(scoped)).toBe('jwt, authorization: claims, tasks scoped to their owner');
    expect(authFromConfig(scoped).scopeToOwner).toBe(true);
    expect(authFromConfig(await runtimeConfig(undefined, env)).scopeToOwner).toBe(false);
    const anonymous = await runtimeConfig(
      await file('none-scoped.json', { auth: { scopeToOwner: true } }),
      {},
    );
    expect(() => authFromConfig(anonymous)).toThrow(/auth.scopeToOwner needs auth.strategy "jwt"/);
  });

  it('runs on every default without a file, and on PostgreSQL with the URL alone', async () => {
    expect((await runtimeConfig(undefined, {})).store.kind).toBe('pglite');
    expect((await runtimeConfig(undefined, { TASKER_DATABASE_URL: 'postgres://x/y' })).store).toMatchObject({
      kind: 'postgres',
      connectionString: 'postgres://x/y',
    });
  });

  it('reports a file that is not an object as a problem of the root', async () => {
    const path = await file('list.json', [1, 2]);
    await expect(runtimeConfig(path, { TASKER_DATABASE_URL: 'postgres://x/y' })).rejects.toThrow(
      /^Invalid Tasker configuration: \(root\): /,
    );
  });
});
