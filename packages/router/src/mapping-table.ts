import type { EventMapping } from './event-mapping';
import { compareSpecificity, type EventPattern, parseEventPattern, patternMatches } from './event-pattern';

interface PatternEntry {
  readonly pattern: EventPattern;
  readonly mapping: EventMapping;
}

/**
 * The mappings of one router: exact names in a map, patterns in a list kept sorted from most to
 * least specific, so the first pattern that matches is the winner (see `event-pattern.ts`).
 * Setting a mapping for an `eventName` that already has one replaces it: the last one wins.
 */
export class MappingTable {
  readonly #all = new Map<string, EventMapping>();
  readonly #exact = new Map<string, EventMapping>();
  #patterns: PatternEntry[] = [];

  set(mapping: EventMapping): void {
    this.#all.set(mapping.eventName, mapping);
    const pattern = parseEventPattern(mapping.eventName);
    if (pattern.exact) {
      this.#exact.set(mapping.eventName, mapping);
      return;
    }
    const rest = this.#patterns.filter((e) => e.pattern.source !== pattern.source);
    rest.push({ pattern, mapping });
    rest.sort((a, b) => compareSpecificity(a.pattern, b.pattern));
    this.#patterns = rest;
  }

  /** The mapping that applies to event `name`: its exact mapping, else the most specific pattern. */
  resolve(name: string): EventMapping | undefined {
    const exact = this.#exact.get(name);
    if (exact !== undefined || this.#patterns.length === 0) return exact;
    const segments = name.split('.');
    for (const entry of this.#patterns) {
      if (patternMatches(entry.pattern, segments)) return entry.mapping;
    }
    return undefined;
  }

  /** Every mapping, in the order their event names were first mapped. */
  all(): EventMapping[] {
    return [...this.#all.values()];
  }

  clear(): void {
    this.#all.clear();
    this.#exact.clear();
    this.#patterns = [];
  }
}
