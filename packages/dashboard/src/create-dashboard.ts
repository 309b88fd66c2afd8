/**
 * The dashboard's server part: it mounts the page and its static assets under a Tasker REST API
 * (`api.mount`), so the dashboard needs no server of its own and shares the API's prefix, port
 * and error handling. The assets are open (they hold no data); every piece of data the page shows
 * comes from the API's own routes, with the user's token when the API needs one. The live feed is
 * a second mount beside the page (`<path>-live`), guarded by `tasker.events:index`: `api.mount`
 * answers a path and everything below it with one permission, so an open page and a guarded
 * feed cannot share one mount (see live-feed.ts).
 */
import { type Tasker, TaskerError } from '@tasker/orchestrator';
import {
  createTaskerApi,
  type MountContext,
  type TaskerApi,
  type TaskerApiAuthOptions,
} from '@tasker/orchestrator/api';
import type { EventRouter } from '@tasker/router';
import { z } from 'zod';
import { type DashboardAssets, loadDashboardAssets } from './dashboard-assets';
import { DASHBOARD_HEADERS, dashboardPage } from './dashboard-page';
import { liveFeedHandler } from './live-feed';
import { HISTORY_PATH, historyRoute } from './trends/history-route';
import { MetricsHistory, type TrendsRegistry } from './trends/metrics-history';

/** Options of {@link createTaskerDashboard}: an `api` to mount on, or a `tasker` to make one for. */
export type TaskerDashboardOptions = (
  | { readonly api: TaskerApi; readonly tasker?: never; readonly auth?: never }
  | {
      readonly tasker: Tasker;
      /** Authentication of the API made for `tasker` (see `createTaskerApi`). */
      readonly auth?: TaskerApiAuthOptions;
      readonly api?: never;
    }
) & {
  /** Where the page is mounted, under the API's prefix. Default `/ui` (so `/tasker/ui`). */
  readonly path?: string;
  /**
   * The router the engine of this process publishes through (`createTasker({ router })`). With
   * it, the live feed taps the router, so this process's task and step transitions reach the
   * page the moment they are published, merged with the audit feed that carries every process's
   * (which alone takes up to its poll interval, 250 ms by default).
   */
  readonly router?: EventRouter;
  /**
   * The `@tasker/metrics-native` registry the native metrics backend (`@tasker/adapters/native`)
   * records into. With it, the Trends page charts throughput, error rate and step-duration
   * percentiles from a history the dashboard samples every 5 s (see the README); without it,
   * only what the analytics routes give.
   */
  readonly registry?: TrendsRegistry;
};

/** What {@link createTaskerDashboard} returns. */
export interface TaskerDashboard {
  /** The API the dashboard is mounted on (made here when `tasker` was given). */
  readonly api: TaskerApi;
  /** The page's path with the API's prefix: `/tasker/ui`. */
  readonly path: string;
  /** The live feed's path with the API's prefix: `/tasker/ui-live` (Server-Sent Events). */
  readonly livePath: string;
  /** Stops sampling the `registry` for the trends' history (nothing to stop without one). */
  stop(): void;
}

const PATH = /^\/[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*$/;

const optionsSchema = z
  .object({
    api: z
      .custom<TaskerApi>(
        (v) => typeof v === 'object' && v !== null && typeof (v as TaskerApi).mount === 'function',
        {
          error: 'expected a TaskerApi (from createTaskerApi), with mount()',
        },
      )
      .optional(),
    tasker: z
      .custom<Tasker>((v) => typeof v === 'object' && v !== null && 'registry' in v, {
        error: 'expected a Tasker (from createTasker)',
      })
      .optional(),
    auth: z.unknown().optional(),
    router: z
      .custom<EventRouter>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as EventRouter).tap === 'function' &&
          typeof (v as EventRouter).route === 'function',
        { error: 'expected an EventRouter (from createEventRouter), with tap()' },
      )
      .optional(),
    registry: z
      .custom<TrendsRegistry>(
        (v) => typeof v === 'object' && v !== null && typeof (v as TrendsRegistry).collect === 'function',
        { error: 'expected a @tasker/metrics-native registry (createRegistry()), with collect()' },
      )
      .optional(),
    path: z
      .string({ error: 'expected a path such as "/ui"' })
      .regex(PATH, {
        error: (i) =>
          `expected a path such as "/ui" (no trailing slash), received ${JSON.stringify(i.input)}`,
      })
      .optional(),
  })
  .strict()
  .refine((o) => (o.api === undefined) !== (o.tasker === undefined), {
    error: 'expected exactly one of api or tasker',
    path: ['api'],
  })
  .refine((o) => o.api === undefined || o.auth === undefined, {
    error: 'auth goes with tasker; an api brings its own',
    path: ['auth'],
  });

/**
 * Mounts the dashboard under a Tasker API: the page at `<prefix><path>` and its assets below it,
 * open, with a Content Security Policy that allows only this server (no inline script, no CDN, no
 * remote font). Call it before the API serves its first request (a rule of `api.mount`).
 *
 * @throws TaskerError `CONFIG_INVALID` naming the bad option, as the rest of Tasker's configuration
 *   does; also when the path is taken (from `api.mount`).
 * @example
 * ```ts
 * const api = createTaskerApi({ tasker });
 * const dashboard = createTaskerDashboard({ api });
 * const server = await api.listen();
 * console.log(`${server.url}${dashboard.path}`);
 * ```
 */
export function createTaskerDashboard(options: TaskerDashboardOptions): TaskerDashboard {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : '(options)';
    throw new TaskerError(
      'CONFIG_INVALID',
      `createTaskerDashboard: ${field}: ${issue?.message ?? 'invalid options'}`,
    );
  }
  const api =
    options.api ??
    createTaskerApi({
      tasker: options.tasker as Tasker,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    });
  const path = options.path ?? '/ui';
  const livePath = `${api.prefix}${path}-live`;
  const assets = loadDashboardAssets();
  api.mount(path, (request, context) => answer(request, context, { prefix: api.prefix, livePath }, assets));
  // The tap's name: a backend name made of the feed's path, unique per dashboard on one router.
  const tapName = `dashboard${livePath.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  api.mount(`${path}-live`, liveFeedHandler(api, options.router, tapName), {
    permission: 'tasker.events:index',
  });
  const history =
    options.registry === undefined
      ? undefined
      : new MetricsHistory({ registry: options.registry, now: Date.now });
  api.mount(HISTORY_PATH, historyRoute(history), { permission: 'tasker.analytics:index' });
  history?.start();
  return { api, path: `${api.prefix}${path}`, livePath, stop: () => history?.stop() };
}

async function answer(
  request: Request,
  context: MountContext,
  at: { readonly prefix: string; readonly livePath: string },
  assets: DashboardAssets,
): Promise<Response> {
  const head = request.method === 'HEAD';
  if (context.subpath === '' || context.subpath === '/') {
    const html = dashboardPage({ ...at, mountPath: context.mountPath, version: assets.version });
    return new Response(head ? null : html, {
      headers: {
        ...DASHBOARD_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-cache',
      },
    });
  }
  const asset = await assets.read(context.subpath.slice(1));
  if (asset === undefined) {
    return new Response('Not found', {
      status: 404,
      headers: { ...DASHBOARD_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  return new Response(head ? null : asset.body, {
    headers: {
      ...DASHBOARD_HEADERS,
      'Content-Type': asset.contentType,
      'Cache-Control': 'no-cache',
      ETag: `"${assets.version}"`,
    },
  });
}
