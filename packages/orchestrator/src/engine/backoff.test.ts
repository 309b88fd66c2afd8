import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, mergeBackoff } from './backoff';

const noJitter = () => 0.5;

describe('backoffDelay', () => {
  it('follows the original schedule, then attempt² seconds, capped at 300 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 17, 18, 30].map((a) =>
      backoffDelay(DEFAULT_BACKOFF, a, noJitter),
    );
    expect(delays).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 49_000, 64_000, 289_000, 300_000, 300_000,
    ]);
  });

  it('spreads delays over ±10 % with the jitter source', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 3, () => 0)).toBe(3_600);
    expect(backoffDelay(DEFAULT_BACKOFF, 3, () => 0.999999)).toBe(4_400);
  });

  it('lets retryAfter win, capped at the maximum, without jitter', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0, 7_000)).toBe(7_000);
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0, 900_000)).toBe(300_000);
  });

  it('applies task then step overrides', () => {
    const policy = mergeBackoff(DEFAULT_BACKOFF, { maxDelayMs: 10_000 }, { delaysMs: [50], jitter: 0 });
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 5, () => 0)).toBe(10_000);
  });
});
