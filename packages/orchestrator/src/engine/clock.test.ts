import { describe, expect, it } from 'vitest';
import { createSyncedClock } from './clock';
import { leaseTiming } from './lease-timing';

/** A local clock and a database clock 5 s ahead of it, with a round trip chosen per sample. */
function scene(roundTrips: number[]) {
  let local = 1_000_000;
  const source = async () => {
    const rtt = roundTrips.shift() ?? 2;
    local += rtt / 2;
    const remote = local + 5_000;
    local += rtt / 2;
    return remote;
  };
  return { source, local: () => local, wait: (ms: number) => (local += ms) };
}

describe('createSyncedClock', () => {
  it('follows the source through the offset of its sample', async () => {
    const s = scene([2]);
    const clock = createSyncedClock(s.source, { local: s.local });
    expect(await clock.sync()).toEqual({ offsetMs: 5_000, roundTripMs: 2, accepted: true });
    s.wait(1_234);
    expect(clock.now()).toBe(s.local() + 5_000);
    expect(clock.errorBoundMs).toBe(1);
    expect(clock.maxErrorMs).toBe(100);
  });

  it('discards a sample whose round trip waited out an outage, keeping the offset', async () => {
    // The server's reading lands at the end of a 20 s round trip: the midpoint rule would put
    // the clock 10 s ahead.
    let local = 0;
    let calls = 0;
    const source = async () => {
      calls++;
      if (calls === 2) {
        local += 20_000;
        return local + 5_000;
      }
      local += 1;
      const remote = local + 5_000;
      local += 1;
      return remote;
    };
    const clock = createSyncedClock(source, { local: () => local });
    await clock.sync();
    const sample = await clock.sync();
    expect(sample.accepted).toBe(false);
    expect(sample.roundTripMs).toBe(20_000);
    expect(clock.offsetMs).toBe(5_000);
    expect(clock.now()).toBe(local + 5_000);
    expect(clock.errorBoundMs).toBe(1);
  });

  it('keeps the quickest of its first samples, even over the bound, until a good one comes', async () => {
    const s = scene([900, 400, 700, 600, 800, 50]);
    const clock = createSyncedClock(s.source, { local: s.local, maxRoundTripMs: 200, initialSamples: 5 });
    const first = await clock.sync();
    expect(first).toMatchObject({ roundTripMs: 400, accepted: true });
    expect(clock.errorBoundMs).toBe(200);
    expect(await clock.sync()).toMatchObject({ roundTripMs: 50, accepted: true });
    expect(clock.errorBoundMs).toBe(25);
  });

  it('does not move when the machine’s wall clock is set back', async () => {
    const s = scene([2]);
    const clock = createSyncedClock(s.source);
    await clock.sync();
    const before = clock.now();
    const realNow = Date.now;
    Date.now = () => realNow() - 3_600_000;
    try {
      expect(clock.now()).toBeGreaterThanOrEqual(before);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('leaseTiming', () => {
  it('renews every third of the default lease and stops a handler 800 ms before expiry', () => {
    expect(leaseTiming(10_000, 100, 100)).toEqual({ renewEveryMs: 10_000 / 3, abortBeforeExpiryMs: 800 });
  });

  it('renews twice in the window when the window is shorter than two thirds of the lease', () => {
    // 2 s lease: window 2000 - (200 + 100 + 200) = 1500 ms.
    expect(leaseTiming(2_000, 100, 100)).toEqual({ renewEveryMs: 2_000 / 3, abortBeforeExpiryMs: 500 });
    expect(leaseTiming(1_000, 100, 100).renewEveryMs).toBe(300);
  });

  it('refuses a lease with no room for a renewal, naming engine.leaseMs', () => {
    expect(() => leaseTiming(300, 100, 100)).toThrow(/engine\.leaseMs \(300\) must exceed 330 ms/);
  });
});
