import { describe, expect, it } from 'vitest';
import { isTaskerError } from '../errors';
import { createPostgresStore } from './create-store';

describe('createPostgresStore', () => {
  it('names its own connectionString option when the URL is missing (as with an unset env variable)', async () => {
    const failure = await createPostgresStore({
      connectionString: process.env.TASKER_NO_SUCH_VARIABLE,
    }).catch((error: unknown) => error);
    expect(isTaskerError(failure) && failure.code).toBe('CONFIG_INVALID');
    expect((failure as Error).message).toMatch(
      /^createPostgresStore: connectionString \(or pool\) is required, e\.g\. createPostgresStore\(\{ connectionString: 'postgres:\/\/user@host:5432\/db' \}\); received connectionString undefined$/,
    );
  });

  it('says the same when called with no options at all, or an empty URL', async () => {
    const noOptions = createPostgresStore as unknown as () => Promise<unknown>;
    await expect(noOptions()).rejects.toThrow('createPostgresStore: connectionString (or pool) is required');
    await expect(createPostgresStore({ connectionString: '' })).rejects.toThrow(
      'createPostgresStore: connectionString (or pool) is required',
    );
  });
});
