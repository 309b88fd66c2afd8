/**
 * The aggregator with `child_process.fork()` children instead of `node:cluster` workers, and
 * `serveClusterMetrics` in a process without IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { runToExit } from '../../../../test-support/src/run-to-exit';
import { createClusterAggregator } from '../../src/index';

const script = fileURLToPath(new URL('./fork-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const execArgv = ['--conditions=@tasker/source', '--import', 'tsx'];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
      await once(child, 'exit');
    }
  }
});

it('merges the snapshots of forked children given as `processes`', async () => {
  for (const count of [3, 4]) {
    const child = fork(script, [], {
      cwd: root,
      execArgv,
      env: { ...process.env, FORK_COUNT: String(count) },
    });
    children.push(child);
    await once(child, 'message');
  }
  const aggregator = createClusterAggregator({
    processes: () => children,
    gaugeModes: { forked_level: 'min' },
  });
  const snapshot = await aggregator.collect();
  const value = (name: string) => {
    const series = snapshot.families.find((f) => f.name === name)?.series[0];
    return series !== undefined && 'value' in series ? series.value : undefined;
  };
  expect(value('forked_jobs_total')).toBe(7);
  expect(value('forked_level')).toBe(3);
  expect(value('tasker_cluster_processes')).toBe(2);
});

it('refuses to serve a registry in a process without an IPC channel', async () => {
  const run = await runToExit(process.execPath, [...execArgv, script], { cwd: root, timeoutMs: 30_000 });
  expect(run.stdout).toBe('CLUSTER_NO_IPC\n');
});
