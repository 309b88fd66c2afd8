import { describe, expect, it } from 'vitest';
import { keepsKey, samplingHash, samplingThreshold } from './consistent-sampling';

/** The documented hash, written plainly over TextEncoder bytes, as a second opinion. */
function referenceHash(key: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) h = Math.imul(h ^ byte, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('consistent sampling hash', () => {
  it('matches the golden vectors', () => {
    // Pinned values: changing them changes which tasks every deployed process keeps.
    expect(samplingHash('')).toBe(0xab3e7c0b);
    expect(samplingHash('task-1')).toBe(GOLDEN['task-1']);
    expect(samplingHash('task-2')).toBe(GOLDEN['task-2']);
    expect(samplingHash('3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBe(GOLDEN.uuid);
    expect(samplingHash('épreuve')).toBe(GOLDEN.accent);
    expect(samplingHash('任务🚀')).toBe(GOLDEN.cjkEmoji);
  });

  it('gives fixed decisions for fixed keys and rates', () => {
    const decisions = ['task-1', 'task-2', 'task-3', 'task-4', 'task-5', 'task-6', 'task-7', 'task-8'].map(
      (k) => [0.1, 0.5, 0.9].map((rate) => (keepsKey(k, rate) ? 1 : 0)).join(''),
    );
    expect(decisions).toEqual(GOLDEN_DECISIONS);
  });

  it('hashes the UTF-8 bytes, lone surrogates as U+FFFD', () => {
    for (const key of ['a', 'ü', '€', '𝄞', 'mixed-ü-€-𝄞-end', '\u{10ffff}', 'x'.repeat(300)]) {
      expect(samplingHash(key)).toBe(referenceHash(key));
    }
    expect(samplingHash('a\ud800b')).toBe(referenceHash('a\ufffdb'));
    expect(samplingHash('\udc00')).toBe(referenceHash('\ufffd'));
  });

  it('keeps a key at every rate above one where it is kept', () => {
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`;
      let kept = false;
      for (const rate of [0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1]) {
        const now = keepsKey(key, rate);
        if (kept) expect(now).toBe(true);
        kept = now;
      }
      expect(kept).toBe(true);
    }
  });

  it('keeps nothing at rate 0 and everything at rate 1', () => {
    expect(samplingThreshold(0)).toBe(0);
    expect(samplingThreshold(1)).toBe(2 ** 32);
    for (let i = 0; i < 1000; i++) {
      expect(keepsKey(`t${i}`, 0)).toBe(false);
      expect(keepsKey(`t${i}`, 1)).toBe(true);
    }
  });
});

const GOLDEN = {
  'task-1': 0x5dbef2f9,
  'task-2': 0xb8adabcf,
  uuid: 0x6c8e6c29,
  accent: 0x5cc090ba,
  cjkEmoji: 0x3e9cb698,
};
// Per key: kept at rates 0.1, 0.5, 0.9.
const GOLDEN_DECISIONS = ['011', '001', '011', '001', '011', '011', '001', '001'];
