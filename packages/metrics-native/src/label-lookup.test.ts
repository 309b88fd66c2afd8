import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compileLookup,
  deleteValues,
  insertValues,
  type LabelTrie,
  lookupValues,
  walkTrie,
} from './label-lookup';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot } from './snapshot';

const NAMES = ['method', 'route', 'status'];

function trieWith(rows: string[][]): LabelTrie {
  const root: LabelTrie = new Map();
  rows.forEach((values, slot) => {
    insertValues(root, values, slot);
  });
  return root;
}

const ROWS = [
  ['GET', '/a', '200'],
  ['GET', '/a', '500'],
  ['GET', '/b', '200'],
  ['POST', '/a', '201'],
];

describe.each([
  ['compiled', true],
  ['generic', false],
])('%s lookup', (_kind, compile) => {
  const root = trieWith(ROWS);
  const lookup = compileLookup(NAMES, root, compile);

  it('finds the slot of each label set, whatever the key order', () => {
    expect(lookup({ method: 'GET', route: '/a', status: '200' })).toBe(0);
    expect(lookup({ status: '500', route: '/a', method: 'GET' })).toBe(1);
    expect(lookup({ method: 'GET', route: '/b', status: '200' })).toBe(2);
    expect(lookup({ method: 'POST', route: '/a', status: '201' })).toBe(3);
  });

  it('returns -1 for unknown, partial, non-string or non-object labels', () => {
    expect(lookup({ method: 'GET', route: '/a', status: '404' })).toBe(-1);
    expect(lookup({ method: 'GET', route: '/a' })).toBe(-1);
    expect(lookup({ method: 'GET', route: '/a', status: 200 })).toBe(-1);
    expect(lookup(null)).toBe(-1);
    expect(lookup(undefined)).toBe(-1);
    expect(lookup('GET')).toBe(-1);
    expect(lookup(42)).toBe(-1);
    expect(lookup(['GET', '/a', '200'])).toBe(-1);
  });

  it('sees series inserted after it was compiled', () => {
    insertValues(root, ['PUT', '/c', '204'], 9);
    expect(lookup({ method: 'PUT', route: '/c', status: '204' })).toBe(9);
  });

  it('works for one label', () => {
    const one = trieWith([['x'], ['y']]);
    const find = compileLookup(['k'], one, compile);
    expect([find({ k: 'x' }), find({ k: 'y' }), find({ k: 'z' }), find({})]).toEqual([0, 1, -1, -1]);
  });

  it('reads label names that are JavaScript keywords or prototype names', () => {
    const names = ['class', 'constructor', '__proto_x', 'toString'];
    const root2 = trieWith([['a', 'b', 'c', 'd']]);
    const find = compileLookup(names, root2, compile);
    expect(find({ class: 'a', constructor: 'b', __proto_x: 'c', toString: 'd' })).toBe(0);
    expect(find({ class: 'a', __proto_x: 'c' })).toBe(-1);
  });
});

describe('trie maintenance', () => {
  it('deletes a series and prunes the levels it leaves empty', () => {
    const root = trieWith(ROWS);
    expect(deleteValues(root, ['POST', '/a', '201'])).toBe(3);
    expect(root.has('POST')).toBe(false);
    expect(deleteValues(root, ['GET', '/b', '200'])).toBe(2);
    expect((root.get('GET') as LabelTrie).has('/b')).toBe(false);
    expect(deleteValues(root, ['GET', '/b', '200'])).toBe(-1);
    expect(deleteValues(root, ['GET', '/a', 'nope'])).toBe(-1);
    expect(lookupValues(root, ['GET', '/a', '500'])).toBe(1);
  });

  it('walks every series with its values, deleting those the visitor asks to', () => {
    const root = trieWith(ROWS);
    const seen: string[] = [];
    walkTrie(root, 3, (values, slot) => {
      seen.push(`${values.join(' ')}=${slot}`);
      return slot % 2 === 1;
    });
    expect(seen).toEqual(['GET /a 200=0', 'GET /a 500=1', 'GET /b 200=2', 'POST /a 201=3']);
    const left: number[] = [];
    walkTrie(root, 3, (_values, slot) => {
      left.push(slot);
      return false;
    });
    expect(left).toEqual([0, 2]);
    expect(root.has('POST')).toBe(false);
  });
});

describe('registry without compiled lookups', () => {
  it('records the same data', () => {
    const record = (compileLabelLookups: boolean) => {
      const registry = createRegistry({ compileLabelLookups, now: () => 0, warn: () => {} });
      const c = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'], seriesLimit: 3 });
      for (let i = 0; i < 20; i++) c.inc({ a: `a${i % 3}`, b: `b${i % 2}` }, i);
      c.inc({ a: 'x' } as never);
      return registry.collect().families[0] as CounterFamilySnapshot;
    };
    const compiled = record(true);
    expect(record(false)).toEqual(compiled);
    expect(compiled.foldedUpdates).toBeGreaterThan(0);
    expect(compiled.dropped.invalidLabels).toBe(1);
  });
});

describe('where code generation is disallowed', () => {
  it('falls back to the generic lookup and records the same data', () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `
      import { createRegistry } from ${JSON.stringify(index)};
      const registry = createRegistry({ warn: () => {} });
      const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'] });
      counter.inc({ a: 'x', b: 'y' });
      counter.inc({ b: 'y', a: 'x' }, 2);
      counter.labels({ a: 'x', b: 'y' }).inc(4);
      counter.inc({ a: 'x' });
      let generation = 'allowed';
      try { new Function('return 1'); } catch { generation = 'refused'; }
      const family = registry.collect().families[0];
      console.log(JSON.stringify({ generation, series: family.series, dropped: family.dropped }));
    `;
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(out) as {
      generation: string;
      series: { labels: object; value: number }[];
      dropped: object;
    };
    expect(result.generation).toBe('refused');
    expect(result.series.map((s) => [s.labels, s.value])).toEqual([[{ a: 'x', b: 'y' }, 7]]);
    expect(result.dropped).toEqual({ invalidValue: 0, invalidLabels: 1, invalidExemplar: 0 });
  });
});
