import { describe, expect, it } from 'vitest';
import { chunkTasks, parseTaskFile } from './submit-many-command';

describe('tasker submit-many: reading the file', () => {
  it('reads JSON Lines, skipping blank lines, and remembers each line', () => {
    const tasks = parseTaskFile('{"name":"a"}\n\n{"name":"b"}\r\n', 'orders.jsonl');
    expect(tasks).toEqual([
      { body: { name: 'a' }, where: 'line 1' },
      { body: { name: 'b' }, where: 'line 3' },
    ]);
  });

  it('reads a JSON array or { tasks: [...] }, naming each element', () => {
    expect(parseTaskFile('[{"name":"a"},{"name":"b"}]', 'orders.json').map((t) => t.where)).toEqual([
      'element 0',
      'element 1',
    ]);
    expect(parseTaskFile('{"tasks":[{"name":"a"}]}', 'orders.json')).toEqual([
      { body: { name: 'a' }, where: 'element 0' },
    ]);
  });

  it('names the line or element that is not a task, and exits with the usage code', () => {
    expect(() => parseTaskFile('{"name":"a"}\n{"name":\n', 'x.ndjson')).toThrow(
      /^x\.ndjson, line 2: not valid JSON/,
    );
    expect(() => parseTaskFile('{"name":"a"}\n[1]\n', 'x.jsonl')).toThrow('x.jsonl, line 2: expected a task');
    expect(() => parseTaskFile('[{"name":"a"}, 7]', 'x.json')).toThrow('x.json, element 1: expected a task');
    expect(() => parseTaskFile('{"name":"a"}', 'x.json')).toThrow('expected an array of tasks');
    let caught: unknown;
    try {
      parseTaskFile('{', 'x.json');
    } catch (error) {
      caught = error;
    }
    expect((caught as { exitCode?: number } | undefined)?.exitCode).toBe(2);
  });
});

describe('tasker submit-many: cutting requests', () => {
  const task = (n: number, size = 10) => ({ body: { name: 'x'.repeat(size) }, where: `line ${n}` });

  it('cuts at the count, keeping the order', () => {
    const chunks = chunkTasks(
      [1, 2, 3, 4, 5].map((n) => task(n)),
      2,
      1_000_000,
    );
    expect(chunks.map((c) => c.map((t) => t.where))).toEqual([
      ['line 1', 'line 2'],
      ['line 3', 'line 4'],
      ['line 5'],
    ]);
  });

  it('cuts before a request would pass the byte budget; a task larger than it goes alone', () => {
    // Each task is 22 bytes of JSON ({"name":"xxxxxxxxxx"} and its comma), the frame 12.
    const chunks = chunkTasks(
      [1, 2, 3].map((n) => task(n)),
      100,
      12 + 2 * 22,
    );
    expect(chunks.map((c) => c.length)).toEqual([2, 1]);
    const big = chunkTasks([task(1), task(2, 500), task(3)], 100, 100);
    expect(big.map((c) => c.map((t) => t.where))).toEqual([['line 1'], ['line 2'], ['line 3']]);
  });
});
