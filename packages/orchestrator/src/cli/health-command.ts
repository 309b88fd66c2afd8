/**
 * `tasker health`: asks `/health/ready` and `/health/status` and prints both verdicts with what
 * failed. Exit 0 when both answer 200, 1 when either answers 503 (or the API cannot be reached).
 *
 * Remote (`--api`), `/health/status` needs a token holding `tasker.health_status:index` when the
 * server requires authentication (`--token` or TASKER_API_TOKEN), unless the server was
 * configured with `auth.healthStatusRequiresAuth: false`. In-process (`--config`), the API is
 * built over the configured store without authentication, as for every local command: whoever
 * can read the configuration and reach the database needs no token. This process runs no
 * workers, so the verdict is the database's and the worker registry's: the workers of every
 * other process on that store.
 */
import { CliError, EXIT } from './cli-error';
import { withConnection } from './commands';
import type { ConnectionOptions } from './connection';

const print = (text: string) => process.stdout.write(`${text}\n`);

/** `/health/ready`'s answer (the fields printed here). */
interface ReadyWire {
  status: 'ready' | 'not_ready';
  checks: Record<string, { status: 'pass' | 'fail'; duration_ms: number; message?: string }>;
}

/** `/health/status`'s answer (the fields printed here). */
interface StatusWire {
  status: 'healthy' | 'unhealthy';
  reasons: string[];
  live_workers: number;
  error_rate: number;
  attempts: { ended: number; failed: number };
  window: { ms: number };
  queue: { lag_ms: number };
}

/** Runs `tasker health`; resolves to its exit code. */
export async function healthCommand(options: ConnectionOptions & { json?: boolean }): Promise<number> {
  return withConnection('health', options, async ({ client, local }) => {
    const ready = await client.answer<ReadyWire>('GET', '/health/ready', [200, 503]);
    const status = await client.answer<StatusWire | { code?: string; detail?: string }>(
      'GET',
      '/health/status',
      [200, 503, 401, 403],
    );
    if (status.status === 401 || status.status === 403) {
      const problem = status.body as { code?: string; detail?: string };
      throw new CliError(
        `GET /health/status failed: ${status.status} ${problem.code ?? ''} ${problem.detail ?? ''}`.trim() +
          (status.status === 401
            ? '\n  give a token holding tasker.health_status:index with --token or TASKER_API_TOKEN'
            : '\n  the token lacks tasker.health_status:index'),
        EXIT.failed,
      );
    }
    const healthy = ready.status === 200 && status.status === 200;
    if (options.json) {
      print(
        JSON.stringify(
          {
            healthy,
            ready: { http_status: ready.status, body: ready.body },
            status: { http_status: status.status, body: status.body },
          },
          null,
          2,
        ),
      );
      return healthy ? EXIT.ok : EXIT.failed;
    }
    const checks = Object.entries(ready.body.checks);
    print(
      `ready: ${ready.body.status} (${ready.status}): ` +
        checks.map(([name, c]) => `${name} ${c.status} ${c.duration_ms} ms`).join(', '),
    );
    for (const [name, c] of checks) if (c.status === 'fail') print(`  ${name}: ${c.message ?? 'failed'}`);
    const s = status.body as StatusWire;
    print(
      `status: ${s.status} (${status.status}): ${s.live_workers} live worker${s.live_workers === 1 ? '' : 's'}, ` +
        `${s.attempts.failed} of ${s.attempts.ended} step attempts failed in the last ${s.window.ms} ms, ` +
        `queue lag ${s.queue.lag_ms} ms`,
    );
    for (const reason of s.reasons) print(`  ${reason}`);
    if (local !== undefined) {
      print(`(in-process over the ${local.config.store.kind} store: this process runs no workers)`);
    }
    return healthy ? EXIT.ok : EXIT.failed;
  });
}
