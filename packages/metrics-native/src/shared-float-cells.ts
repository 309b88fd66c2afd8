/**
 * Float64 cells that several threads update in place: a shared gauge's values.
 *
 * `Atomics` works on integer arrays only, so a float add is a compare-and-swap loop on the
 * cell's 64 bits, seen through a `BigInt64Array` over the same memory: read the bits, compute
 * the new float, and swap the bits in only if no other thread changed them in between;
 * otherwise retry with the value that thread wrote. No update is lost, and a reader sees a
 * whole value, never half of one.
 *
 * The bits are converted to and from a float through a private 8-byte scratch buffer of this
 * thread (one per instance, not shared).
 */
export class SharedFloatCells {
  readonly #bits: BigInt64Array;
  readonly #scratchFloat = new Float64Array(1);
  readonly #scratchBits = new BigInt64Array(this.#scratchFloat.buffer);

  constructor(bits: BigInt64Array) {
    this.#bits = bits;
  }

  /** Adds `delta` to cell `index`, atomically. */
  add(index: number, delta: number): void {
    const bits = this.#bits;
    const float = this.#scratchFloat;
    const scratch = this.#scratchBits;
    let seen = Atomics.load(bits, index);
    for (;;) {
      scratch[0] = seen;
      float[0] = (float[0] as number) + delta;
      const found = Atomics.compareExchange(bits, index, seen, scratch[0] as bigint);
      if (found === seen) return;
      seen = found;
    }
  }

  /** Sets cell `index` to `value`: the last `set` of any thread wins. */
  set(index: number, value: number): void {
    this.#scratchFloat[0] = value;
    Atomics.store(this.#bits, index, this.#scratchBits[0] as bigint);
  }

  /** Reads cell `index` whole. */
  get(index: number): number {
    this.#scratchBits[0] = Atomics.load(this.#bits, index);
    return this.#scratchFloat[0] as number;
  }
}
