/**
 * Ids for events whose publisher passed none to `route()`.
 *
 * A generated id is `<prefix>-<counter>`: the prefix is 96 random bits drawn once per router,
 * when it is made, and the counter counts that router's generated ids in base 36, at least two
 * digits (`…-00`, `…-01`, …, `…-zz`, `…-100`). Two routers, in one process or in many, share a
 * prefix with negligible probability, so a generated id names one call to `route()` and no other
 * event.
 *
 * Speed: nothing random is drawn per event (that would be a call into crypto per event), and
 * no `counter.toString(36)` either: with it, routing to two no-op backends took about twice as long
 * (24 → 50 ns, an A/B of the "publisher passes the time" case of bench/router.bench.ts). So the
 * two low base-36 digits come from a table made once, and the higher digits are converted once
 * per 1,296 ids: an id costs a table read and a concatenation (24 → 33 ns in the same A/B; an id
 * passed by the publisher costs nothing measurable).
 */

/** Two base-36 digits for every value below 36²: '00' … 'zz'. */
const LOW_DIGITS: readonly string[] = Object.freeze(
  Array.from({ length: 36 * 36 }, (_, i) => i.toString(36).padStart(2, '0')),
);

/** The generated event ids of one router. */
export class EventIdSource {
  readonly #prefix: string;
  /** The prefix and the counter's digits above the low two. */
  #block: string;
  #high = 0;
  #low = 0;

  constructor() {
    const words = globalThis.crypto.getRandomValues(new Uint32Array(3));
    let prefix = '';
    for (const word of words) prefix += word.toString(36).padStart(7, '0');
    this.#prefix = `${prefix}-`;
    this.#block = this.#prefix;
  }

  /** The next id; never the same twice. */
  next(): string {
    let low = this.#low++;
    if (low === LOW_DIGITS.length) {
      this.#block = this.#prefix + (++this.#high).toString(36);
      this.#low = 1;
      low = 0;
    }
    return this.#block + (LOW_DIGITS[low] as string);
  }
}
