import { CLAIMING, type FamilyRegion, KEY_CHARS_USED, NEXT_SLOT } from './shared-layout';

/** What {@link findOrCreateSeries} returns when the series cannot have a slot of its own. */
export const NO_SLOT = -1;

/**
 * How many times a lookup re-reads an entry that another thread is claiming before it gives
 * up and folds the update. A claim writes a few dozen characters, so it is never reached
 * unless the claiming thread was stopped (`worker.terminate()`) in the middle of one.
 */
const CLAIM_SPINS = 1 << 20;

/**
 * Finds the slot of the series whose key is `key` (its label values as JSON), creating it if no
 * thread has. Several threads may create series at once; they agree on each key's slot without
 * a lock or a message:
 *
 * 1. The key's hash picks an entry of the open-addressing table; entries are probed linearly.
 * 2. An empty entry is claimed with `Atomics.compareExchange(0 → CLAIMING)`. Only one thread
 *    wins; a loser re-reads the entry, which now holds the winner's key.
 * 3. The winner takes the next slot (`Atomics.add`), writes the key into the character arena and
 *    the slot's creation time, then publishes with `Atomics.store(slot + 1)`. A reader that
 *    sees the published entry through `Atomics.load` also sees the key written before it.
 * 4. A reader that meets a CLAIMING entry waits for it: the key being written may be its own.
 *
 * Returns {@link NO_SLOT} when the series limit is reached, when the arena has no room for the
 * key, or when a claim never completes; the caller folds the update into the overflow series.
 * Slots are never freed, so a key's slot never changes once published.
 */
export function findOrCreateSeries(region: FamilyRegion, key: string, limit: number, now: number): number {
  const table = region.table;
  const mask = table.length - 1;
  let index = hashKey(key) & mask;
  for (let probes = 0; probes < table.length; ) {
    let entry = Atomics.load(table, index);
    if (entry === 0) {
      if (Atomics.load(region.header, NEXT_SLOT) >= limit) return NO_SLOT;
      entry = Atomics.compareExchange(table, index, 0, CLAIMING);
      if (entry === 0) return claim(region, index, key, limit, now);
    }
    for (let spins = 0; entry === CLAIMING; spins++) {
      if (spins === CLAIM_SPINS) return NO_SLOT;
      entry = Atomics.load(table, index);
    }
    // The claimer gave up (limit or arena full): the entry is empty again, probe it again.
    if (entry === 0) continue;
    if (keyEquals(region, entry - 1, key)) return entry - 1;
    index = (index + 1) & mask;
    probes++;
  }
  return NO_SLOT;
}

/** Completes the claim of table entry `index` for `key`: takes a slot, writes, publishes. */
function claim(region: FamilyRegion, index: number, key: string, limit: number, now: number): number {
  const slot = Atomics.add(region.header, NEXT_SLOT, 1);
  const start = slot < limit ? Atomics.add(region.header, KEY_CHARS_USED, key.length) : 0;
  if (slot >= limit || start + key.length > region.keys.length) {
    // Full: release the entry. A slot taken past the limit, or whose key had no room, stays
    // unpublished and is never scraped.
    Atomics.store(region.table, index, 0);
    return NO_SLOT;
  }
  const keys = region.keys;
  for (let c = 0; c < key.length; c++) keys[start + c] = key.charCodeAt(c);
  region.keyStart[slot] = start;
  region.keyLength[slot] = key.length;
  region.created[slot] = now;
  Atomics.store(region.published, slot, 1);
  Atomics.store(region.table, index, slot + 1);
  return slot;
}

function keyEquals(region: FamilyRegion, slot: number, key: string): boolean {
  if (region.keyLength[slot] !== key.length) return false;
  const keys = region.keys;
  const start = region.keyStart[slot] as number;
  for (let c = 0; c < key.length; c++) {
    if (keys[start + c] !== key.charCodeAt(c)) return false;
  }
  return true;
}

/** The key of a published `slot`, as written by its creator. */
export function readKey(region: FamilyRegion, slot: number): string {
  const start = region.keyStart[slot] as number;
  const end = start + (region.keyLength[slot] as number);
  let key = '';
  // In pieces: String.fromCharCode takes its arguments on the stack.
  for (let at = start; at < end; at += 4096) {
    key += String.fromCharCode(...region.keys.subarray(at, Math.min(end, at + 4096)));
  }
  return key;
}

/** FNV-1a over the UTF-16 code units of `key`. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let c = 0; c < key.length; c++) {
    hash = Math.imul(hash ^ key.charCodeAt(c), 0x01000193);
  }
  return hash >>> 0;
}
