import { describe, expect, it } from 'vitest';
import type { RoutedEvent, RouterBackend } from '../src/backend';
import { CATALOG_EVENT_NAMES, type CatalogEventName } from '../src/catalog';
import {
  type ContractTestApi,
  type RecordedProbe,
  runBackendContract,
} from '../src/testing/backend-contract';

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

/** Both backends above record every event they are given: one line, one sent entry. */
const EVERY_CATALOG_EVENT = CATALOG_EVENT_NAMES as readonly CatalogEventName[];

const jsonLines: RecordedProbe = {
  count: (b) => (b as ReturnType<typeof jsonLinesBackend>).lines.length,
  events: EVERY_CATALOG_EVENT,
};

runBackendContract(
  { describe, it, expect },
  { name: 'JSON lines', create: jsonLinesBackend, recorded: jsonLines },
);

runBackendContract(
  { describe, it, expect },
  {
    name: 'batching async',
    create: batchingBackend,
    recorded: {
      count: (b) => (b as ReturnType<typeof batchingBackend>).sent.length,
      events: EVERY_CATALOG_EVENT,
    },
    flush: (b) => (b as ReturnType<typeof batchingBackend>).flush(),
  },
);

runBackendContract(
  { describe, it, expect },
  { name: 'JSON lines, seen only through the router', create: jsonLinesBackend, recorded: null },
);

/** The contract's case names, by what they check. */
const CASE = {
  shape: 'has a non-empty name and a handle function',
  catalog:
    'handles every catalog event with a complete payload without throwing or rejecting, recording each it records once',
  records: 'records each event it is given, once, behind a real router',
  malformed: 'tolerates payloads with missing or mistyped fields (the hot path never throws)',
  sampled: 'records a sampled event once, and a registered custom event at most once',
  ids: 'receives the event id: the publisher’s as given, else a unique one, and records distinct ids as distinct events',
  router: 'works behind a real router without errors or drops',
};

/** Runs the contract suite with a recording test API and returns the failed test names. */
async function contractFailures(
  backend: () => RouterBackend,
  recorded: RecordedProbe | null = null,
): Promise<string[]> {
  const tests: { name: string; body: () => unknown }[] = [];
  const api: ContractTestApi = {
    describe: (_name, body) => body(),
    it: (name, body) => void tests.push({ name, body }),
    expect,
  };
  runBackendContract(api, { name: 'under test', create: backend, recorded });
  expect(tests.map((t) => t.name)).toEqual(Object.values(CASE));
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
  /** Counts what a backend built on `lines` recorded, for the events listed. */
  const counting = (lines: unknown[], events: readonly CatalogEventName[] = EVERY_CATALOG_EVENT) => ({
    backend: lines,
    probe: { count: () => lines.length, events } satisfies RecordedProbe,
  });

  it('passes a well-behaved backend, with a probe and without one', async () => {
    expect(await contractFailures(jsonLinesBackend, jsonLines)).toEqual([]);
    expect(await contractFailures(jsonLinesBackend, null)).toEqual([]);
  });

  it('passes a backend that drops a repeated id', async () => {
    const lines: string[] = [];
    const { probe } = counting(lines);
    const failed = await contractFailures(() => {
      lines.length = 0;
      return {
        name: 'deduplicating',
        handle(event) {
          if (!lines.includes(event.id)) lines.push(event.id);
        },
      };
    }, probe);
    expect(failed).toEqual([]);
  });

  it('fails a backend that throws on a catalog event, also without a probe', async () => {
    const failed = await contractFailures(() => ({
      name: 'fragile',
      handle(event) {
        if (event.name === 'step.failed') throw new Error('cannot read error.code');
      },
    }));
    expect(failed).toEqual([CASE.catalog, CASE.records, CASE.malformed, CASE.router]);
  });

  it('fails a backend that trusts payload shapes', async () => {
    const failed = await contractFailures(() => ({
      name: 'trusting',
      handle(event) {
        (event.payload as { taskId: string }).taskId.toUpperCase();
      },
    }));
    expect(failed).toContain(CASE.malformed);
  });

  it('fails a backend that loses every event, in each case that can see it', async () => {
    const failed = await contractFailures(() => ({ name: 'lossy', handle: () => {} }), {
      count: () => 0,
      events: ['task.completed'],
    });
    expect(failed).toEqual([CASE.catalog, CASE.records, CASE.sampled, CASE.ids, CASE.router]);
  });

  it('fails a backend that loses some of the events it says it records', async () => {
    const lines: string[] = [];
    const { probe } = counting(lines);
    const failed = await contractFailures(() => {
      lines.length = 0;
      return {
        name: 'no steps',
        handle(event) {
          if (!event.name.startsWith('step.')) lines.push(event.name);
        },
      };
    }, probe);
    expect(failed).toEqual([CASE.catalog, CASE.records, CASE.router]);
  });

  it('fails a backend that records an event twice', async () => {
    const lines: string[] = [];
    const { probe } = counting(lines);
    const failed = await contractFailures(() => {
      lines.length = 0;
      return { name: 'double', handle: (event) => void lines.push(event.id, event.id) };
    }, probe);
    expect(failed).toEqual([CASE.catalog, CASE.records, CASE.sampled, CASE.ids]);
  });

  it('fails a backend that takes distinct events of one name for repeats', async () => {
    const lines: string[] = [];
    const { probe } = counting(lines);
    const failed = await contractFailures(() => {
      lines.length = 0;
      return {
        name: 'deduplicating by name',
        handle(event) {
          if (!lines.includes(event.name)) lines.push(event.name);
        },
      };
    }, probe);
    expect(failed).toEqual([CASE.ids]);
  });

  it('fails a probe that lists no event, or one outside the catalog', async () => {
    const good = () => jsonLinesBackend();
    expect(await contractFailures(good, { count: () => 0, events: [] })).toContain(CASE.shape);
    expect(
      await contractFailures(good, { count: () => 0, events: ['shop.order_fulfilled' as CatalogEventName] }),
    ).toContain(CASE.shape);
  });

  it('cannot see, without a probe, a backend that silently does nothing (give a probe)', async () => {
    expect(await contractFailures(() => ({ name: 'silent', handle: () => {} }), null)).toEqual([]);
  });

  it('refuses a probe in the earlier form (a bare count function), or none at all, at once', () => {
    const api: ContractTestApi = { describe: (_n, body) => body(), it: () => {}, expect };
    const options = (recorded: unknown) => ({ name: 'old', create: jsonLinesBackend, recorded }) as never;
    expect(() =>
      runBackendContract(
        api,
        options(() => 0),
      ),
    ).toThrow(
      'runBackendContract "old": recorded: expected { count(backend), events: [catalog event names] }, or null for a backend that cannot tell what it recorded, received a function (the earlier form)',
    );
    expect(() => runBackendContract(api, options(undefined))).toThrow(/received undefined$/);
  });

  it('fails a plugin without a name', async () => {
    const failed = await contractFailures(() => ({ name: '', handle: () => {} }));
    expect(failed).toContain(CASE.shape);
  });
});
