/**
 * How far a process's events are published, for recovery after it dies.
 *
 * Every write that records transitions is entered here before it is sent, and left once its
 * events are published (or it failed). The heartbeat reports a watermark W: every transition
 * this process wrote with an id ≤ W has had its events published. If the process dies, another
 * republishes its transitions with ids > W (`writer` = its number), so nothing committed is
 * lost; what it had published after W is published twice, with the same event ids.
 *
 * Why W is safe: the heartbeat returns the transition sequence's `last_value`, and each write
 * remembers the value last seen when it was sent (its floor). A write's rows get ids from the
 * sequence after it is sent, so above its floor (the sequence never goes back, and its cache
 * is 1). W is the smallest floor among writes still open, or, when none is open, the value last
 * seen, which every later write's rows exceed.
 */
export class PublishLedger {
  /** The transition sequence's value, as last seen. */
  #seen = 0;
  /** The floors of writes whose events are not published yet (a multiset, by count). */
  readonly #open = new Map<number, number>();

  /** Records a fresh reading of the transition sequence. */
  observe(sequenceValue: number): void {
    if (sequenceValue > this.#seen) this.#seen = sequenceValue;
  }

  /** Enters a write about to be sent; call the result once its events are published or it failed. */
  enter(): () => void {
    const floor = this.#seen;
    this.#open.set(floor, (this.#open.get(floor) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = (this.#open.get(floor) ?? 1) - 1;
      if (n === 0) this.#open.delete(floor);
      else this.#open.set(floor, n);
    };
  }

  /** Every transition of this process with an id up to this one has its events published. */
  watermark(): number {
    let w = this.#seen;
    for (const floor of this.#open.keys()) if (floor < w) w = floor;
    return w;
  }

  /** Writes still open. */
  get open(): number {
    let n = 0;
    for (const c of this.#open.values()) n += c;
    return n;
  }
}
