import type { LabelTrie } from './label-lookup';

/**
 * A walk over a label trie (see `label-lookup.ts`) that can stop after any series and resume
 * later, while the trie changes in between: a sliced collect walks a family a few hundred
 * series at a time and yields to the event loop between slices.
 *
 * It keeps one `Map` iterator per level. A Map iterator stays valid while its map changes:
 * entries deleted before the walk reaches them are not visited, entries added are visited when
 * the walk reaches the end of their level. So a series removed before its turn is skipped, and
 * a series added during the walk may be visited; the collect tells those apart by their
 * allocation serial (`SeriesStore.serials`).
 */
export class TrieCursor {
  /** The current series' label values, in declared order (a reused array). */
  readonly values: string[];
  readonly #depth: number;
  readonly #levels: LabelTrie[];
  readonly #iterators: Iterator<[string, LabelTrie | number]>[];
  #level = 0;
  #done = false;

  constructor(root: LabelTrie, depth: number) {
    this.#depth = depth;
    this.values = new Array<string>(depth).fill('');
    this.#levels = [root];
    this.#iterators = [root.entries()];
  }

  /** The slot of the next series, or -1 when the walk is over. */
  next(): number {
    if (this.#done) return -1;
    for (;;) {
      const level = this.#level;
      const step = (this.#iterators[level] as Iterator<[string, LabelTrie | number]>).next();
      if (step.done === true) {
        if (level === 0) {
          this.#done = true;
          return -1;
        }
        this.#leave(level);
        continue;
      }
      const [value, next] = step.value;
      this.values[level] = value;
      if (typeof next === 'number') return next;
      if (level + 1 >= this.#depth) continue; // not reached: the last level maps to slots
      this.#level = level + 1;
      this.#levels[level + 1] = next;
      this.#iterators[level + 1] = next.entries();
    }
  }

  /** Deletes the current series from the trie (its slot is the caller's to release). */
  deleteCurrent(): void {
    const level = this.#depth - 1;
    (this.#levels[level] as LabelTrie).delete(this.values[level] as string);
  }

  /** Goes up from a finished level, pruning it from its parent if it is empty. */
  #leave(level: number): void {
    const node = this.#levels[level] as LabelTrie;
    const parent = this.#levels[level - 1] as LabelTrie;
    const key = this.values[level - 1] as string;
    // Only the level this walk went through: remove() may have pruned it and an insert made
    // a new one under the same value since.
    if (node.size === 0 && parent.get(key) === node) parent.delete(key);
    this.#level = level - 1;
  }
}
