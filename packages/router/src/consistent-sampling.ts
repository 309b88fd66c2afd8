/**
 * Consistent sampling: the keep-or-drop decision for a key is a pure function of the key and
 * the rate, so every process keeps or drops all events of one task together.
 *
 * The hash, fixed so that every version and every process agrees:
 * 1. Encode `String(key)` as UTF-8 (a lone surrogate encodes as U+FFFD, as `TextEncoder` does).
 * 2. FNV-1a, 32 bits: offset basis 0x811c9dc5, prime 0x01000193, over those bytes.
 * 3. The murmur3 `fmix32` finaliser (xor-shift 16, ×0x85ebca6b, xor-shift 13, ×0xc2b2ae35,
 *    xor-shift 16), so that keys that differ in one character spread over the whole range.
 * 4. Keep the event when `hash < floor(rate × 2^32)`, with the hash read as unsigned.
 *
 * Because the threshold grows with the rate, a key kept at rate r is kept at every rate above
 * r. The golden vectors in `consistent-sampling.test.ts` pin the function down.
 */

/** The 32-bit sampling hash of `key`, as an unsigned integer. */
export function samplingHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
      continue;
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < key.length ? key.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
        continue;
      }
      c = 0xfffd;
    }
    h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193);
    h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The threshold a hash is compared with for `rate` (0..1). */
export function samplingThreshold(rate: number): number {
  return Math.floor(rate * 0x1_0000_0000);
}

/** True when the events of `key` are kept at `rate`. */
export function keepsKey(key: string, rate: number): boolean {
  return samplingHash(key) < samplingThreshold(rate);
}
