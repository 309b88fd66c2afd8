/**
 * The bound handles (metrics-native handles, prom-client children) of one label set, one per
 * outcome, bound on first use and reused after: a lifecycle event then costs a map read and an
 * update, with no label object built.
 */
export class OutcomeHandles<O extends string, H> {
  readonly #bind: (outcome: O) => H;
  readonly #handles = new Map<O, H>();

  constructor(bind: (outcome: O) => H) {
    this.#bind = bind;
  }

  get(outcome: O): H {
    let handle = this.#handles.get(outcome);
    if (handle === undefined) {
      handle = this.#bind(outcome);
      this.#handles.set(outcome, handle);
    }
    return handle;
  }
}
