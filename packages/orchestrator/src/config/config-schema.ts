/**
 * The one configuration of Tasker: zod-validated, every default documented here, frozen.
 * Groups follow the original (engine, backoff, execution, telemetry, health) plus store, api
 * and auth, which the REST API (#6) reads. A bad value fails at start with its path named:
 * `execution.concurrency: expected an integer from 1 to 1000, received 0`.
 */
import { z } from 'zod';
import { TaskerError } from '../errors';
import { describeIssues, showValue } from '../validation-message';

const msg = (what: string) => (i: { input: unknown }) => `expected ${what}, received ${showValue(i.input)}`;
const int = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
  z
    .number({ error: msg(what) })
    .int({ error: msg(what) })
    .min(min, { error: msg(what) })
    .max(max, { error: msg(what) });

const keep = int(0, 3_650 * 86_400_000, 'a duration in ms from 0 to 10 years').optional();
const keepByState = z
  .strictObject(
    { complete: keep, error: keep, cancelled: keep, resolved_manually: keep },
    { error: msg('an object of finished state → ms') },
  )
  .prefault({});

export const configSchema = z.strictObject({
  engine: z
    .strictObject({
      /** Names this process in leases and transitions. Default: `<hostname>:<pid>:<random>`. */
      workerId: z
        .string({ error: msg('a string') })
        .min(1)
        .optional(),
      /** How often an idle worker looks for ready steps when no NOTIFY arrives (ms). Default 1000. */
      pollIntervalMs: int(1, 3_600_000).default(1_000),
      /** How often timeouts and lease renewals are checked (ms). Default 100. */
      tickIntervalMs: int(1, 60_000).default(100),
      /** Steps claimed per query, at most. Default 10. */
      batchSize: int(1, 1_000).default(10),
      /**
       * Lease of a claimed step (ms), renewed while the handler runs (see the README's "Clock and
       * leases"). A worker that dies loses its steps to others when their leases expire, so this
       * bounds recovery after a crash; a worker that cannot reach the database stops its
       * handlers before then. Default 2 500 (recovery within 2.5 s of a SIGKILL).
       */
      leaseMs: int(100, 3_600_000).default(2_500),
      /** How often this process reports itself in the worker registry (ms). Default 1000. */
      heartbeatIntervalMs: int(100, 60_000).default(1_000),
      /** How often the engine re-measures its offset to the database's clock (ms). Default 60 000. */
      clockSyncIntervalMs: int(1_000, 3_600_000).default(60_000),
      /**
       * A clock sample whose round trip took longer is discarded (ms), so every worker's clock
       * is within half of it of the database's. Default 200.
       */
      clockMaxRoundTripMs: int(1, 60_000).default(200),
      /** `stop()` waits this long for in-flight steps before aborting them (ms). Default 30 000. */
      shutdownTimeoutMs: int(0, 3_600_000).default(30_000),
      /**
       * `hash` derives an identity key from the task and its context when a submit gives none:
       * identical submits within `identityWindowMs` return the first task (the original's hash
       * strategy, which hashed the request time to the minute). Default `none`.
       */
      identityStrategy: z.enum(['none', 'hash'], { error: msg('"none" or "hash"') }).default('none'),
      /**
       * How long a `hash` identity deduplicates after its first task's creation, by the database's
       * clock (ms). Default 60 000, the original's minute. A custom `identityKey` has no window.
       */
      identityWindowMs: int(1, 31 * 86_400_000).default(60_000),
      /**
       * Priority aging: a ready step counts one priority level higher for every this many ms it
       * has waited, so a step of priority p is passed over by a step of priority q > p only
       * when that one became ready less than (q − p) × priorityAgingMs after it. 0: strict
       * priority (a lower priority waits while any higher one is ready). Default 60 000.
       */
      priorityAgingMs: int(0, 86_400_000).default(60_000),
      /**
       * What a `hash` identity covers besides the task's name and version: `context`,
       * `context.<path>` (one field of the context), `initiator`, `sourceSystem`. Default all of
       * the context, the initiator and the source system.
       */
      identityFields: z
        .array(
          z
            .string({ error: msg('an identity field') })
            .regex(/^(context(\.[^.]+)*|initiator|sourceSystem)$/, {
              error: msg('"context", "context.<path>", "initiator" or "sourceSystem"'),
            }),
          { error: msg('an array of identity fields') },
        )
        .min(1, { error: 'expected at least one identity field' })
        .optional(),
      /** Listen for NOTIFY wake-ups (polling stays as the fallback). Default true. */
      listen: z.boolean({ error: msg('a boolean') }).default(true),
    })
    .prefault({}),
  backoff: z
    .strictObject({
      /** Delay after failed attempt 1, 2, … (ms). Default [1000, 2000, 4000, 8000, 16000, 32000]. */
      delaysMs: z
        .array(int(0, 86_400_000), { error: msg('an array of delays (ms)') })
        .default([1_000, 2_000, 4_000, 8_000, 16_000, 32_000]),
      /** Cap of every delay (ms). Default 300 000. */
      maxDelayMs: int(0, 86_400_000).default(300_000),
      /** Relative jitter, 0..1. Default 0.1 (±10 %). */
      jitter: z
        .number({ error: msg('a number from 0 to 1') })
        .min(0, { error: msg('a number from 0 to 1') })
        .max(1, { error: msg('a number from 0 to 1') })
        .default(0.1),
    })
    .prefault({}),
  execution: z
    .strictObject({
      /** Handlers running at once in this process. Default 10. */
      concurrency: int(1, 1_000).default(10),
      /** Timeout of a step without its own `timeoutMs` (ms); none by default. */
      defaultTimeoutMs: int(1, 86_400_000).optional(),
      /**
       * The queues this worker claims from; default every queue its definitions name. A worker
       * claims only steps of definitions it registered, in these queues.
       */
      queues: z
        .array(
          z.string({ error: msg('a queue name') }).regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, {
            error: msg('a queue name of letters, digits, "_", ".", ":" or "-"'),
          }),
          { error: msg('an array of queue names') },
        )
        .min(1, { error: 'expected at least one queue' })
        .optional(),
    })
    .prefault({}),
  telemetry: z
    .strictObject({
      /** Publish `database.query_executed` for every store query (the routing table samples it). Default true. */
      queryEvents: z.boolean({ error: msg('a boolean') }).default(true),
      /** Publish `performance.slow_operation` above this many ms (the original's 1 s). Default 1000. */
      slowOperationThresholdMs: int(0, 3_600_000).default(1_000),
    })
    .prefault({}),
  health: z
    .strictObject({
      /**
       * `/health/ready` fails when this process runs workers and its claim loop has not begun a
       * turn for this long (ms; an idle loop turns every `engine.pollIntervalMs`). Default 60 000.
       */
      staleAfterMs: int(1, 3_600_000).default(60_000),
      /** `/health/status` computes its answer at most once per this many ms (0: every call). Default 15 000, the original's. */
      statusCacheMs: int(0, 3_600_000).default(15_000),
      /** The window of `/health/status`'s counts and error rate (ms). Default 300 000 (5 minutes). */
      windowMs: int(1_000, 86_400_000).default(300_000),
      /** Unhealthy above this share of step attempts failed in the window, 0..1. Default 0.5, the original's. */
      maxErrorRate: z
        .number({ error: msg('a number from 0 to 1') })
        .min(0, { error: msg('a number from 0 to 1') })
        .max(1, { error: msg('a number from 0 to 1') })
        .default(0.5),
      /** The error rate counts only once this many attempts ended in the window. Default 10. */
      minAttempts: int(1, 1_000_000).default(10),
      /** Unhealthy when a step has waited this long to be claimed (ms); none by default (reported only). */
      maxQueueLagMs: int(1, 86_400_000).optional(),
    })
    .prefault({}),
  retention: z
    .strictObject({
      /**
       * How long finished tasks are kept, per state (ms after they finished); a state left out
       * is kept for ever. For example `{ complete: 604_800_000, error: 2_592_000_000 }` keeps
       * completed tasks 7 days and failed ones 30. No state set: no sweep.
       */
      keepMs: keepByState,
      /** Per-namespace keeps, over `keepMs` for the states they set: namespace → keep by state. */
      namespaces: z
        .record(
          z.string({ error: msg('a namespace') }).min(1, { error: 'expected a namespace' }),
          keepByState,
          {
            error: msg('an object of namespace → keep by state'),
          },
        )
        .default({}),
      /** Move a removed task's audit to `tasker.transitions_archive` instead of deleting it. Default false. */
      archive: z.boolean({ error: msg('a boolean') }).default(false),
      /** How often a worker runs the sweep (ms; one process at a time sweeps). Default 600 000 (10 minutes). */
      intervalMs: int(1_000, 86_400_000).default(600_000),
      /** Tasks removed per batch, at most (each batch is one transaction). Default 500. */
      batchSize: int(1, 10_000).default(500),
      /** A batch slower than this (ms) halves the next one; each statement is cut off at 10× it. Default 250. */
      batchTimeMs: int(10, 60_000).default(250),
      /** Pause between batches (ms) at least, leaving the database to the claims. Default 20. */
      pauseMs: int(0, 60_000).default(20),
      /**
       * The share of its time the sweep may keep the database busy, 0..1: after a batch that
       * took T ms it rests T × (1 − dutyCycle) / dutyCycle ms (and at least `pauseMs`). Default
       * 0.1. Raise it when the sweep falls behind what your workers finish.
       */
      dutyCycle: z
        .number({ error: msg('a number above 0, at most 1') })
        .gt(0, { error: msg('a number above 0, at most 1') })
        .max(1, { error: msg('a number above 0, at most 1') })
        .default(0.1),
      /** A run stops after this long (ms) and the next one goes on. Default 60 000. */
      maxRunMs: int(1_000, 3_600_000).default(60_000),
    })
    .prefault({}),
  schedules: z
    .strictObject({
      /**
       * Worker processes fire due schedules (issue #14). Default true. With false, a started
       * engine still writes its definitions' schedules, and fires none.
       */
      enabled: z.boolean({ error: msg('a boolean') }).default(true),
      /**
       * How often a worker looks for due schedules at most (ms); it sleeps until the next slot
       * when that comes sooner, and a schedule added through another process is seen within it.
       * Default 1000.
       */
      tickMs: int(10, 60_000).default(1_000),
      /**
       * A slot older than this when a worker gets to it is missed (ms): the schedule's catch-up
       * policy decides whether it fires. Younger slots always fire (a late tick, a restart).
       * Default 60 000.
       */
      missedAfterMs: int(0, 86_400_000).default(60_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** `pglite` (default, embedded) or `postgres`. */
      kind: z.enum(['pglite', 'postgres'], { error: msg('"pglite" or "postgres"') }).default('pglite'),
      /** PGlite data directory; in memory when absent. */
      dataDir: z.string().optional(),
      /** PostgreSQL connection string (kind `postgres`). */
      connectionString: z.string().optional(),
      /** PostgreSQL pool size. Default 10. */
      poolSize: int(1, 1_000).default(10),
    })
    .prefault({}),
  api: z
    .strictObject({
      /** Mount prefix of the REST API. Default `/tasker`. */
      prefix: z
        .string()
        .regex(/^\/[^\s]*$/, { error: msg('a path starting with "/"') })
        .default('/tasker'),

      /** Interface `tasker serve` listens on. Default `127.0.0.1`. */
      host: z
        .string({ error: msg('a host name or address') })
        .min(1)
        .default('127.0.0.1'),
      /** Port `tasker serve` listens on (0: any free port). Default 3000. */
      port: int(0, 65_535).default(3_000),
      /** Largest request body (bytes). Default 1 MiB. */
      maxBodyBytes: int(1, 1_073_741_824).default(1_048_576),
      /** Deepest nesting of a JSON request body (objects and arrays inside one another). Default 64. */
      maxJsonDepth: int(1, 512).default(64),
      /** Byte budget of a response carrying tasks: a list page ends early, with a cursor. Default 4 MiB. */
      maxPageBytes: int(65_536, 1_073_741_824).default(4_194_304),
      /** Time a client has to send a request's headers, ms (slow clients are cut off). Default 10,000. */
      headersTimeoutMs: int(100, 600_000).default(10_000),
      /** Time a client has to send a whole request, ms. Default 30,000. */
      requestTimeoutMs: int(100, 3_600_000).default(30_000),
      /** How long an idle keep-alive connection stays open, ms. Default 5,000. */
      keepAliveTimeoutMs: int(100, 600_000).default(5_000),
      /** Most connections open at once; more are closed as they arrive. Default 1,000. */
      maxConnections: int(1, 1_000_000).default(1_000),
      /** The live event feed, `GET /events/stream` (see `TaskerApiOptions.events`). */
      events: z
        .strictObject({
          /** How often an idle stream reads the audit, ms. Default 250. */
          pollIntervalMs: int(10, 60_000).default(250),
          /** A comment after this long without events, ms. Default 15,000. */
          heartbeatMs: int(100, 300_000).default(15_000),
          /** Audit rows per read. Default 100. */
          batchSize: int(1, 10_000).default(100),
          /** The longest a missing transition id holds a stream back, ms. Default 30,000. */
          gapTimeoutMs: int(100, 600_000).default(30_000),
        })
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** Authentication of the REST API: `none` or `jwt`. Default `none`. */
      strategy: z.enum(['none', 'jwt'], { error: msg('"none" or "jwt"') }).default('none'),
      /**
       * JWT: one key (an HMAC secret, a PEM public key or a JWKS URL), issuer and audience. Keep
       * secrets out of files: `tasker serve` reads TASKER_JWT_SECRET, TASKER_JWT_PUBLIC_KEY and
       * TASKER_JWT_JWKS_URL.
       */
      jwt: z
        .strictObject({
          secret: z.string().optional(),
          publicKey: z.string().optional(),
          jwksUrl: z.url({ error: msg('a URL') }).optional(),
          algorithms: z.array(z.string(), { error: msg('an array of algorithm names') }).optional(),
          issuer: z.string().optional(),
          audience: z.string().optional(),
          /** Refuse tokens without `exp` (they never expire). Default true. */
          requireExp: z.boolean({ error: msg('a boolean') }).default(true),
          /** The longest a token may be valid (its `exp` from now, its `iat` ago), seconds; `null`: no limit. Default 86,400. */
          maxTokenAgeSec: int(1, 31_536_000).nullable().default(86_400),
        })
        .optional(),
      /**
       * Authorization: `none`, or `claims` (permissions from a JWT claim, with an admin role).
       * Default: `claims` with `strategy: "jwt"` (a valid token alone grants nothing), `none`
       * without authentication. Write `"none"` to let every valid token do everything.
       */
      authorization: z.enum(['none', 'claims'], { error: msg('"none" or "claims"') }).optional(),
      /** The claim listing permissions such as `tasker.task:index`. Default `permissions`. */
      permissionsClaim: z.string().min(1).default('permissions'),
      /** The claim listing roles. Default `roles`. */
      rolesClaim: z.string().min(1).default('roles'),
      /** The role that holds every permission. Default `admin`. */
      adminRole: z.string().min(1).default('admin'),
      /**
       * Owner scoping: a principal sees and acts on only the tasks it submitted, unless it holds
       * `tasker.task:index_all`. Needs `strategy: "jwt"`. Default false.
       */
      scopeToOwner: z.boolean({ error: msg('a boolean') }).default(false),
      /** `/health/status` needs authentication and its permission. Default true. */
      healthStatusRequiresAuth: z.boolean({ error: msg('a boolean') }).default(true),
      /** `/metrics` needs authentication and its permission. Default true. */
      metricsRequiresAuth: z.boolean({ error: msg('a boolean') }).default(true),
    })
    .prefault({}),
});

/** The validated configuration (every default applied). */
export type TaskerConfig = z.output<typeof configSchema>;
/** What the factories and `loadConfig` accept: any subset; the rest defaults. */
export type TaskerConfigInput = z.input<typeof configSchema>;

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /**
   * Text appended to the problem of a field (its dotted path), e.g. the environment variable
   * that sets it.
   */
  readonly hint?: (field: string) => string;
}

/**
 * Validates a configuration object and returns it frozen (deeply).
 *
 * @throws TaskerError `CONFIG_INVALID`, naming each bad field with its path.
 */
export function parseConfig(input: TaskerConfigInput = {}, options: ParseConfigOptions = {}): TaskerConfig {
  const hint = options.hint ?? (() => '');
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${describeIssues([issue])}${hint(issue.path.map(String).join('.'))}`,
    );
    throw new TaskerError('CONFIG_INVALID', `Invalid Tasker configuration: ${problems.join('; ')}`);
  }
  if (result.data.store.kind === 'postgres' && result.data.store.connectionString === undefined) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `Invalid Tasker configuration: store.connectionString: required for store.kind "postgres"${hint('store.connectionString')}`,
    );
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
