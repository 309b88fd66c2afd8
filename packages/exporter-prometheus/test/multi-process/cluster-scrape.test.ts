/**
 * A real `node:cluster` of 4 workers (cluster-primary.ts) under load, scraped over HTTP from its
 * primary: the merged counters give the exact total, never go down, and the scrape still
 * answers when a worker is stopped (SIGSTOP: unresponsive) or gone (SIGKILL: departed).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type ScriptProcess, ScriptProcesses } from '../../../../test-support/src/script-processes';

const INCREMENTS = 200_000;
const script = fileURLToPath(new URL('./cluster-primary.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const primaries = new ScriptProcesses(script, { cwd: root });
const workerPids = new Set<number>();

afterAll(async () => {
  for (const pid of workerPids) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await primaries.killAll();
});

/** Sample name and label block → value, from a text-format scrape. */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

function total(samples: Map<string, number>, prefix: string): number {
  let sum = 0;
  for (const [name, value] of samples) if (name.startsWith(prefix)) sum += value;
  return sum;
}

function pidsOf(primary: ScriptProcess, word: string): number[] {
  return primary.lines.filter((l) => l.startsWith(`${word} `)).map((l) => Number(l.slice(word.length + 1)));
}

async function until(what: string, check: () => boolean, onTurn?: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await (onTurn?.() ?? new Promise((r) => setTimeout(r, 25)));
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('gives the exact total of 4 workers under load, never decreasing, with a worker stopped or gone', async () => {
  const primary = await primaries.start({
    CLUSTER_INCREMENTS: String(INCREMENTS),
    CLUSTER_TIMEOUT_MS: '500',
  });
  for (const pid of pidsOf(primary, 'worker')) workerPids.add(pid);
  const url = (primary.lines.find((l) => l.startsWith('url ')) as string).slice(4);
  const seen: number[] = [];
  const record = async () => {
    const samples = await scrape(url);
    const jobs = total(samples, 'cluster_fixture_jobs_total{');
    expect(jobs).toBeGreaterThanOrEqual(seen.at(-1) ?? 0);
    seen.push(jobs);
    return samples;
  };

  // Scraped while the workers count.
  await until(
    '4 workers done',
    () => pidsOf(primary, 'done').length === 4,
    async () => {
      await record();
    },
  );
  let samples = await record();
  expect(seen.at(-1)).toBe(4 * INCREMENTS);
  expect(samples.get('cluster_fixture_seconds_count')).toBe(4 * INCREMENTS);
  expect(samples.get('cluster_fixture_seconds_bucket{le="1"}')).toBe(4 * INCREMENTS);
  expect(samples.get('cluster_fixture_seconds_bucket{le="0.1"}')).toBe(0);
  expect(samples.get('tasker_cluster_processes')).toBe(4);
  expect(samples.get('tasker_cluster_processes_unresponsive')).toBe(0);
  // pid mode: one busy series per worker.
  const busy = [...samples.keys()].filter((k) => k.startsWith('cluster_fixture_busy{pid="'));
  expect(busy.sort()).toEqual([...workerPids].map((pid) => `cluster_fixture_busy{pid="${pid}"}`).sort());

  // A stopped worker does not answer: the scrape answers anyway, with its last values.
  const [stopped, killed] = [...workerPids] as [number, number];
  process.kill(stopped, 'SIGSTOP');
  try {
    samples = await record();
    expect(samples.get('tasker_cluster_processes_unresponsive')).toBe(1);
    expect(seen.at(-1)).toBe(4 * INCREMENTS);
  } finally {
    process.kill(stopped, 'SIGCONT');
  }

  // A worker that exits keeps its counts in the merge.
  process.kill(killed, 'SIGKILL');
  await until(`exit of ${killed}`, () => pidsOf(primary, 'exit').includes(killed));
  samples = await record();
  expect(samples.get('tasker_cluster_processes')).toBe(3);
  expect(samples.get('tasker_cluster_processes_unresponsive')).toBe(0);
  expect(seen.at(-1)).toBe(4 * INCREMENTS);
  expect(samples.get('cluster_fixture_seconds_count')).toBe(4 * INCREMENTS);

  // Its replacement starts from zero; the merged counter goes on from the total.
  process.kill(primary.pid, 'SIGUSR2');
  await until(
    'the replacement done',
    () => pidsOf(primary, 'done').length === 5,
    async () => {
      for (const pid of pidsOf(primary, 'worker')) workerPids.add(pid);
      await record();
    },
  );
  samples = await record();
  expect(seen.at(-1)).toBe(5 * INCREMENTS);
  expect(samples.get('tasker_cluster_processes')).toBe(4);
}, 60_000);
