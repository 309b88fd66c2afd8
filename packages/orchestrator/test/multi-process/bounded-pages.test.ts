/**
 * Bounded pages (issue #12, acceptance 2). 100 tasks with a 1 MiB context each; a server process
 * with a 256 MB heap (`--max-old-space-size=256`) answers eight clients at once, each walking
 * every page of `GET /tasks?limit=100&include=context` by its cursor, while a ninth client asks
 * `/health/live` every 50 ms. Before pages had a byte budget, each of those pages was about
 * 100 MB, and four at once killed a server with a 384 MB heap. Now the server lives, every page
 * keeps to the 4 MiB budget, every client sees all 100 tasks once, and `/health/live` answers
 * promptly throughout.
 */
import { afterAll, expect, it } from 'vitest';
import { ScriptProcesses } from '../../../../test-support/src/script-processes';
import { createPostgresStore, type NewTask } from '../../src/index';
import { oneStepTask } from '../support/one-step-task';
import { describeWithPostgres } from '../support/postgres';

const TASKS = 100;
const CLIENTS = 8;
const BUDGET = 4 * 1024 * 1024;

/** About 1 MiB of JSON: 4,096 small objects. */
const context = (n: number) => ({
  n,
  items: Array.from({ length: 4_096 }, (_, i) => ({ i, s: `${n}:${i}:`.padEnd(240, 'x') })),
});

const task = (n: number): NewTask => oneStepTask({ namespace: 'big', name: 'context', context: context(n) });

describeWithPostgres('bounded pages under a 256 MB heap', (database) => {
  // The server script is compiled once and loaded by plain node (see test-support's script-bundle.ts).
  const servers = new ScriptProcesses(new URL('./api-server-process.ts', import.meta.url).pathname, {
    bundle: true,
  });
  const probes = new ScriptProcesses(new URL('./health-probe.mjs', import.meta.url).pathname);
  afterAll(async () => {
    await probes.killAll();
    await servers.killAll();
  });

  it('eight clients walk 100 tasks of 1 MiB context at once; the server lives and /health/live stays fast', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 2 });
    try {
      for (let n = 0; n < TASKS; n++) await store.createTask(task(n), 1_000_000 + n);
    } finally {
      await store.close();
    }
    const server = await servers.start({
      TASKER_MP_DATABASE_URL: url,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256`,
    });
    const base = `${server.lines.find((l) => l.startsWith('url\t'))?.split('\t')[1]}/tasker`;

    const probe = await probes.start({ TASKER_MP_BASE: base });
    const walk = async () => {
      const seen: number[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const r = await fetch(
          `${base}/tasks?limit=100&include=context${cursor === null ? '' : `&cursor=${cursor}`}`,
        );
        const text = await r.text();
        expect(r.status).toBe(200);
        sizes.push(Buffer.byteLength(text));
        const page = JSON.parse(text) as {
          tasks: { context: { n: number; items: unknown[] } }[];
          pagination: { next_cursor: string | null; total: number };
        };
        expect(page.pagination.total).toBe(TASKS);
        for (const t of page.tasks) {
          expect(t.context.items).toHaveLength(4_096);
          seen.push(t.context.n);
        }
        cursor = page.pagination.next_cursor;
      } while (cursor !== null);
      return { seen, sizes };
    };

    const started = performance.now();
    const walks = await Promise.all(Array.from({ length: CLIENTS }, walk));
    const elapsed = performance.now() - started;
    await probes.stop(probe);

    for (const { seen, sizes } of walks) {
      expect(seen).toEqual(Array.from({ length: TASKS }, (_, i) => TASKS - 1 - i));
      // A page keeps to the budget (measured on the database's JSON text; the wire differs by
      // whitespace and field names only).
      expect(Math.max(...sizes)).toBeLessThan(BUDGET * 1.05);
    }
    const lags = server.lines.filter((l) => l.startsWith('lag\t')).map((l) => Number(l.split('\t')[1]));
    const heaps = server.lines.filter((l) => l.startsWith('heap\t')).map((l) => Number(l.split('\t')[1]));
    const answers = probe.lines.filter((l) => l.startsWith('latency\t')).map((l) => l.split('\t'));
    expect(answers.every(([, status]) => status === '200')).toBe(true);
    const health = answers.map(([, , ms]) => Number(ms)).sort((a, b) => a - b);
    const slowest = health.at(-1) ?? Number.NaN;
    const median = health[Math.floor(health.length / 2)] ?? Number.NaN;
    const pages = walks.reduce((sum, w) => sum + w.sizes.length, 0);
    console.log(
      `bounded pages: ${CLIENTS} clients × ${TASKS} tasks of 1 MiB in ${pages} pages, ${(elapsed / 1000).toFixed(1)} s; ` +
        `/health/live ${health.length} answers, median ${median.toFixed(0)} ms, slowest ${slowest.toFixed(0)} ms; ` +
        `server event loop held at most ${Math.max(...lags)} ms; heap at most ${Math.max(...heaps)} MiB`,
    );
    expect(server.child.exitCode).toBeNull();
    expect(health.length).toBeGreaterThan(10);
    // Eight streams, their PostgreSQL backends and this test share two cores: the probe waits
    // behind them at times, but never long (one run: median 30 ms, slowest 629 ms).
    expect(median).toBeLessThan(250);
    expect(slowest).toBeLessThan(1_500);
    expect(Math.max(...heaps)).toBeLessThan(200);
    expect(await servers.stop(server)).toEqual({ code: 0, signal: null });
  }, 300_000);
});
