import { describe, expect, it } from 'vitest';
import { RawJson, slicedJsonResponse } from './sliced-json';

describe('slicedJsonResponse', () => {
  it('spells exactly what JSON.stringify spells, in many chunks, with surrogate pairs across chunk ends', async () => {
    // Emoji (surrogate pairs) at every offset, so that some pair straddles each 64 Ki boundary.
    const items = Array.from({ length: 40 }, (_, i) => ({
      i,
      text: `${'a'.repeat(i)}${'😀'.repeat(20_000)}`,
    }));
    // Already serialized: written out piece by piece, as it is.
    const raw = { context: { big: '😀'.repeat(50_000) }, n: 1 };
    const rawItem = new RawJson('{"context":', JSON.stringify(raw.context), ',"n":1}');
    const response = slicedJsonResponse<unknown, 200>(200, [
      '{"items":[',
      { items: [...items, rawItem] },
      '],"empty":[',
      { items: [] },
      `],"n":${JSON.stringify(items.length)}}`,
    ]);
    expect(response.headers.get('content-type')).toBe('application/json');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(chunks.length).toBeGreaterThan(20);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(JSON.stringify({ items: [...items, raw], empty: [], n: 40 }));
    expect(text).not.toContain('\ufffd');
  });

  it('yields to the event loop between chunks', async () => {
    const items = Array.from({ length: 64 }, (_, i) => ({ i, s: 'x'.repeat(64 * 1024) }));
    const response = slicedJsonResponse<unknown, 200>(200, ['[', { items }, ']']);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const text = await response.text();
    clearInterval(timer);
    expect(JSON.parse(text)).toHaveLength(64);
    expect(ticks).toBeGreaterThan(10);
  });
});
