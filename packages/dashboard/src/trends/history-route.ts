/**
 * `GET <prefix>/analytics/history?range=15m|1h|24h`: the trends' history, mounted by the
 * dashboard next to the API's own analytics routes and guarded by the same permission,
 * `tasker.analytics:index`. Without a `registry` it answers `{ "registry": false }`, so the page
 * can say what to give.
 */
import { ApiError, type MountHandler } from '@tasker/orchestrator/api';
import { historyToWire, type NoHistoryWire } from './history-wire';
import { type MetricsHistory, TREND_RANGES, type TrendRange } from './metrics-history';

/** Where the route is mounted, under the API's prefix. */
export const HISTORY_PATH = '/analytics/history';

const isRange = (v: string): v is TrendRange => Object.hasOwn(TREND_RANGES, v);

/** The handler of {@link HISTORY_PATH} for `history` (undefined: no registry was given). */
export function historyRoute(history: MetricsHistory | undefined): MountHandler {
  return (request, context) => {
    if (context.subpath !== '')
      throw new ApiError('ROUTE_NOT_FOUND', `no route ${new URL(request.url).pathname}`);
    const range = new URL(request.url).searchParams.get('range') ?? '15m';
    if (!isRange(range)) {
      const message = `expected one of ${Object.keys(TREND_RANGES).join(', ')}, received ${JSON.stringify(range)}`;
      throw new ApiError('VALIDATION_FAILED', `range: ${message}`, { errors: [{ field: 'range', message }] });
    }
    const windowMs = TREND_RANGES[range];
    const body =
      history === undefined
        ? ({ registry: false } satisfies NoHistoryWire)
        : historyToWire(history.read(windowMs), range, windowMs);
    return Response.json(body, { headers: { 'Cache-Control': 'no-store' } });
  };
}
