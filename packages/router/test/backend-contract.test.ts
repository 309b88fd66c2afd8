import { describe, expect, it } from 'vitest';
import type { RoutedEvent, RouterBackend } from '../src/backend';
import { type ContractTestApi, runBackendContract } from '../src/testing/backend-contract';

/** A JSON-lines backend, the kind of custom plugin the README shows. */
function jsonLinesBackend(): RouterBackend & { lines: string[] } {
  const lines: string[] = [];
  return {
    name: 'jsonl',
    lines,
    handle(event: RoutedEvent) {
      const payload =
        typeof event.payload === 'object' && event.payload !== null
          ? event.payload
          : { value: event.payload };
      lines.push(
        JSON.stringify({ at: event.timestamp, event: event.name, rate: event.samplingRate, ...payload }),
      );
    },
  };
}

/** An asynchronous backend that batches and flushes, as an exporter would. */
function batchingBackend(): RouterBackend & { sent: RoutedEvent[]; flush(): Promise<void> } {
  const sent: RoutedEvent[] = [];
  let queue: RoutedEvent[] = [];
  return {
    name: 'batching',
    sent,
    async handle(event) {
      queue.push(event);
      if (queue.length >= 8) await this.flush();
    },
    async flush() {
      const batch = queue;
      queue = [];
      await new Promise((resolve) => setImmediate(resolve));
      sent.push(...batch);
    },
  };
}

runBackendContract(
  { describe, it, expect },
  {
    name: 'JSON lines',
    create: jsonLinesBackend,
    recorded: (b) => (b as ReturnType<typeof jsonLinesBackend>).lines.length,
  },
);

runBackendContract(
  { describe, it, expect },
  {
    name: 'batching async',
    create: batchingBackend,
    recorded: (b) => (b as ReturnType<typeof batchingBackend>).sent.length,
    flush: (b) => (b as ReturnType<typeof batchingBackend>).flush(),
  },
);

/** Runs the contract suite with a recording test API and returns the failed test names. */
async function contractFailures(
  backend: () => RouterBackend,
  recorded?: (b: RouterBackend) => number,
): Promise<string[]> {
  const tests: { name: string; body: () => unknown }[] = [];
  const api: ContractTestApi = {
    describe: (_name, body) => body(),
    it: (name, body) => void tests.push({ name, body }),
    expect,
  };
  runBackendContract(api, { name: 'under test', create: backend, recorded });
  const failed: string[] = [];
  for (const t of tests) {
    try {
      await t.body();
    } catch {
      failed.push(t.name);
    }
  }
  return failed;
}

describe('the contract suite itself', () => {
  it('passes a well-behaved backend', async () => {
    expect(await contractFailures(jsonLinesBackend)).toEqual([]);
  });

  it('fails a backend that throws on a catalog event', async () => {
    const failed = await contractFailures(() => ({
      name: 'fragile',
      handle(event) {
        if (event.name === 'step.failed') throw new Error('cannot read error.code');
      },
    }));
    expect(failed).toContain(
      'handles every catalog event with a complete payload without throwing or rejecting',
    );
    expect(failed).toContain('works behind a real router without errors or drops');
  });

  it('fails a backend that trusts payload shapes', async () => {
    const failed = await contractFailures(() => ({
      name: 'trusting',
      handle(event) {
        (event.payload as { taskId: string }).taskId.toUpperCase();
      },
    }));
    expect(failed).toContain(
      'tolerates payloads with missing or mistyped fields (the hot path never throws)',
    );
  });

  it('fails a backend that loses events, when it can count them', async () => {
    const failed = await contractFailures(
      () => ({ name: 'lossy', handle: () => {} }),
      () => 0,
    );
    expect(failed).toEqual(['records the events it is given, when it can tell']);
  });

  it('fails a plugin without a name', async () => {
    const failed = await contractFailures(() => ({ name: '', handle: () => {} }));
    expect(failed).toContain('has a non-empty name and a handle function');
  });
});
