/**
 * Where a backend reports what it dropped. The hot path never throws: a bad event is dropped,
 * counted, and the first drop of each kind is passed to `warn` (default `process.emitWarning`).
 */
export type Warn = (message: string) => void;

/** The default `warn`: a process warning, which Node prints once per message by default. */
export const defaultWarn: Warn = (message) => process.emitWarning(message, { code: 'TASKER_ADAPTER' });

/** Counts drops by reason and warns once per reason. */
export class DropCounter {
  readonly #counts = new Map<string, number>();
  readonly #warn: Warn;
  readonly #backend: string;

  constructor(backend: string, warn: Warn) {
    this.#backend = backend;
    this.#warn = warn;
  }

  /** Counts one drop of `reason`; warns with `detail()` the first time (detail is built only then). */
  drop(reason: string, detail: () => string): void {
    const n = this.#counts.get(reason);
    if (n === undefined) {
      this.#counts.set(reason, 1);
      try {
        this.#warn(
          `[tasker ${this.#backend}] ${detail()} (further drops of this kind are counted, not reported)`,
        );
      } catch {
        // A throwing warn must not break the hot path either.
      }
    } else this.#counts.set(reason, n + 1);
  }

  /** Drops so far, by reason. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  total(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }
}
