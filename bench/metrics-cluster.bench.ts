/**
 * A scrape of a 4-worker `node:cluster` from its primary (issue #16): @tasker/metrics-native's
 * createClusterAggregator + the exporter's serializer against prom-client 15.1.3's
 * `AggregatorRegistry.clusterMetrics()`, on the same cluster, in one run.
 *
 * - Each worker (bench/metrics-cluster-worker.ts) holds the same series in both libraries:
 *   a counter of 1,000 label sets, a histogram of 200 (default buckets), a gauge of 50 — about
 *   4,000 merged sample lines. Before every round the primary asks each worker to update every
 *   series of both (untimed), so no output can be reused whole.
 * - Scrape latency is wall time on the primary from the request to the rendered text (ours:
 *   `serializeBytes(await aggregator.collect())`; prom-client: `await clusterMetrics()`), which
 *   includes the workers' own collect and the IPC both ways. Rounds alternate which goes first.
 * - CPU time per scrape, summed over the primary and the 4 workers (each worker tells its
 *   `process.cpuUsage()` before and after), is the same comparison without the waits of a
 *   busy machine: wall time on a shared 2-core machine is mostly time spent waiting to run.
 * - Both outputs are checked to give the same counter total before the timing counts.
 * - Increment cost is CPU time in one worker, rounds interleaved: a bound counter of a registry
 *   served to the cluster against one of a registry that is not (single-process), and
 *   prom-client's bound counter in the same worker for reference.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { createSerializer } from '@tasker/exporter-prometheus';
import { createClusterAggregator } from '@tasker/metrics-native';
import * as prom from 'prom-client';
import { assertChecked, type CaseResult, ratio, writeReport } from './harness';

const WORKERS = 4;
const ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 21);
const WARMUP = 3;

const exec = fileURLToPath(new URL('./metrics-cluster-worker.ts', import.meta.url));
cluster.setupPrimary({ exec });

function reply<T>(worker: Worker, cmd: string, body: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: { cmd?: string } & T) => {
      if (message?.cmd !== (cmd === 'touch' ? 'touched' : cmd)) return;
      worker.off('message', listener);
      resolve(message);
    };
    worker.on('message', listener);
    worker.send({ cmd, ...body });
  });
}

function counterTotal(text: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('bench_cluster_requests_total{'))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const workers: Worker[] = [];
try {
  const ready: Promise<unknown>[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork();
    workers.push(worker);
    ready.push(
      new Promise((resolve) =>
        worker.on('message', (m: { cmd?: string }) => m?.cmd === 'ready' && resolve(undefined)),
      ),
    );
  }
  await Promise.all(ready);

  const aggregator = createClusterAggregator({ timeoutMs: 30_000 });
  const serializer = createSerializer();
  const theirs = new prom.AggregatorRegistry();
  const decoder = new TextDecoder();

  const ours = async () => decoder.decode(serializer.serializeBytes(await aggregator.collect()));
  const promClient = () => theirs.clusterMetrics();

  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  const oursCpuMs: number[] = [];
  const theirsCpuMs: number[] = [];
  /** CPU ms used so far by the primary and every worker. */
  const cpuMs = async () => {
    const workersMicros = await Promise.all(workers.map((w) => reply<{ micros: number }>(w, 'cpu')));
    const own = process.cpuUsage();
    return (own.user + own.system + workersMicros.reduce((sum, m) => sum + m.micros, 0)) / 1000;
  };
  const problems: string[] = [];
  let lines = 0;
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    await Promise.all(workers.map((w) => reply(w, 'touch')));
    const order = r % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours'];
    const texts: Record<string, string> = {};
    for (const which of order) {
      const cpuBefore = await cpuMs();
      const start = process.hrtime.bigint();
      texts[which] = which === 'ours' ? await ours() : await promClient();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const cpu = (await cpuMs()) - cpuBefore;
      if (r >= WARMUP) {
        (which === 'ours' ? oursMs : theirsMs).push(ms);
        (which === 'ours' ? oursCpuMs : theirsCpuMs).push(cpu);
      }
    }
    const a = counterTotal(texts.ours as string);
    const b = counterTotal(texts.theirs as string);
    const expected = WORKERS * 1000 * (r + 1);
    if (a !== expected || b !== expected)
      problems.push(`round ${r}: counter total ${a} (tasker), ${b} (prom-client), expected ${expected}`);
    lines = (texts.ours as string).split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  }
  assertChecked('the cluster scrape', problems);

  const increments = (await reply<{ results: CaseResult[] }>(workers[0] as Worker, 'increments')).results;

  const asCase = (name: string, ms: number[]): CaseResult => {
    const rounds = ms.map((v) => Math.round(v * 1e6));
    const sorted = [...rounds].sort((x, y) => x - y);
    return {
      name,
      roundsNsPerOp: rounds,
      medianNsPerOp: sorted[sorted.length >> 1] as number,
      minNsPerOp: sorted[0] as number,
    };
  };
  const scrapes = [
    asCase('ClusterAggregator.collect + serialize (4 workers)', oursMs),
    asCase('prom-client AggregatorRegistry.clusterMetrics (4 workers)', theirsMs),
  ];
  const cpu = [
    asCase('ClusterAggregator.collect + serialize, CPU of all 5 processes', oursCpuMs),
    asCase('prom-client clusterMetrics, CPU of all 5 processes', theirsCpuMs),
  ];
  const [served, single, promInc] = increments.map((c) => c.name) as [string, string, string];
  writeReport({
    subject: 'metrics-cluster',
    description: `A scrape of a ${WORKERS}-worker node:cluster from its primary, ${lines} merged sample lines: @tasker/metrics-native's cluster aggregator against prom-client 15.1.3's AggregatorRegistry on the same workers, and the cost of an increment in a worker (issue #16).`,
    groups: [
      {
        name: 'Cluster scrape (wall time, ns per scrape)',
        options: { iterations: 1, rounds: ROUNDS, clock: 'wall' },
        cases: scrapes,
      },
      {
        name: 'Cluster scrape (CPU time of the primary and the workers, ns per scrape)',
        options: { iterations: 1, rounds: ROUNDS, clock: 'cpu' },
        cases: cpu,
      },
      {
        name: 'Increment in a cluster worker',
        options: { iterations: 2_000_000, rounds: 15, warmupRounds: 3 },
        cases: increments,
      },
    ],
    ratios: [
      ratio(
        scrapes,
        'prom-client / tasker (cluster scrape, 4 workers)',
        scrapes[1]?.name as string,
        scrapes[0]?.name as string,
        5,
        'atLeast',
      ),
      ratio(
        cpu,
        'prom-client / tasker (CPU per cluster scrape, 5 processes)',
        cpu[1]?.name as string,
        cpu[0]?.name as string,
      ),
      ratio(increments, 'served / single-process (bound counter increment)', served, single, 1.05),
      ratio(increments, 'prom-client / tasker (increment in a cluster worker)', promInc, served),
    ],
    notes: [
      'CPU per scrape includes one small cpu-query message per process (the same for both).',
      'The increment target is "as fast as single-process"; 1.05 allows for the noise between two runs of the same code: serving a registry to the cluster adds nothing to its hot path (the IPC work happens on collect).',
      `Scrape rounds alternate which library goes first; ${WARMUP} warm-up rounds are not counted.`,
    ],
  });
} finally {
  for (const worker of workers) {
    const pid = worker.process.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
