import type { EventMapping } from './event-mapping';
import { MappingTable } from './mapping-table';

/**
 * The two layers of a router's mappings, and which one decides an event name.
 *
 * - `default`: the table the router was made with (`DEFAULT_EVENT_MAPPINGS`, or the
 *   `mappings` option when given), and what a library suggests with `mapDefault()` (the
 *   orchestrator does so for the events it registers).
 * - `user`: every mapping added with `map()` or `configure()`.
 *
 * A name that any `user` mapping matches is decided by the `user` layer, whatever the `default`
 * layer holds: `map('step.*', …)` applies to `step.completed` although the default table maps
 * `step.completed` exactly. Within one layer the most specific mapping wins (see
 * `event-pattern.ts`), and the last mapping for one `eventName` replaces the earlier one.
 */
export type MappingLayer = 'default' | 'user';

/** Which layer and mapping decided an event name. */
export interface MappingDecision {
  readonly layer: MappingLayer;
  /** The deciding mapping's `eventName`: the name itself or a pattern. */
  readonly mapping: string;
}

export interface ResolvedMapping {
  readonly layer: MappingLayer;
  readonly mapping: EventMapping;
}

export class MappingLayers {
  readonly #default = new MappingTable();
  readonly #user = new MappingTable();

  set(layer: MappingLayer, mapping: EventMapping): void {
    (layer === 'user' ? this.#user : this.#default).set(mapping);
  }

  /** The mapping that applies to event `name`, and its layer: the user's first. */
  resolve(name: string): ResolvedMapping | undefined {
    const user = this.#user.resolve(name);
    if (user !== undefined) return { layer: 'user', mapping: user };
    const fallback = this.#default.resolve(name);
    return fallback === undefined ? undefined : { layer: 'default', mapping: fallback };
  }

  /**
   * Every mapping in effect for its `eventName`: the default layer's in the order they were
   * first added, less those whose `eventName` the user mapped too, then the user's.
   */
  all(): EventMapping[] {
    const user = this.#user.all();
    const shadowed = new Set(user.map((m) => m.eventName));
    return [...this.#default.all().filter((m) => !shadowed.has(m.eventName)), ...user];
  }

  /** How many mappings each layer holds (a shadowed default one included). */
  sizes(): Record<MappingLayer, number> {
    return { default: this.#default.all().length, user: this.#user.all().length };
  }

  /** Empties the user layer and sets the default layer to `initial`. */
  restore(initial: readonly EventMapping[]): void {
    this.#default.clear();
    this.#user.clear();
    for (const mapping of initial) this.#default.set(mapping);
  }
}
