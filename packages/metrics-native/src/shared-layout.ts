import type { InstrumentConfig } from './instrument-options';

/**
 * Where each instrument of a shared registry lives in its one `SharedArrayBuffer`.
 *
 * Every thread computes the same layout from the same declarations, so the buffer carries no
 * directory: the creating thread and each attaching thread lay the instruments out in
 * declaration order and get the same offsets.
 *
 * The registry starts with one `Int32` per lane: 0 while the lane is free, 1 once a thread
 * holds it (see `shared-registry.ts`). Then, per instrument, 8-byte aligned:
 *
 * | region      | type         | length                        | written by                         |
 * | ----------- | ------------ | ----------------------------- | ---------------------------------- |
 * | header      | Int32Array   | {@link HEADER_FIELDS}         | `Atomics.add` (slow paths only)    |
 * | table       | Int32Array   | power of two ≥ 2 × limit      | CAS on claim, `Atomics.store` once |
 * | published   | Int32Array   | slots                         | `Atomics.store` once per series    |
 * | keyStart    | Int32Array   | slots                         | the series' creator, before publish|
 * | keyLength   | Int32Array   | slots                         | the series' creator, before publish|
 * | created     | Float64Array | slots                         | the series' creator, before publish|
 * | keys        | Uint16Array  | limit × labelCharsPerSeries   | the series' creator, before publish|
 * | lanes       | Float64Array | maxThreads × laneStride       | each thread in its own lane only   |
 * | laneSums    | Float64Array | maxThreads × sumStride (hist.)| each thread in its own lane only   |
 * | cells       | Float64Array | slots (gauge)                 | CAS on the bits (`BigInt64Array`)  |
 *
 * `slots` is 1 for an unlabelled instrument, else the series limit plus the overflow series
 * (the last slot). `stride` is 1, or the number of buckets with `+Inf` for a histogram. Lanes
 * start on a 64-byte boundary and each is a whole number of 64-byte lines, so two threads never
 * write the same cache line (an unlabelled counter's lanes would otherwise be 8 bytes apart,
 * and every increment would take the line from the other cores).
 */

/** Header fields of one instrument, each an Int32 counted with `Atomics.add`. */
export const NEXT_SLOT = 0;
export const FOLDED = 1;
export const INVALID_VALUE = 2;
export const INVALID_LABELS = 3;
export const INVALID_EXEMPLAR = 4;
export const KEY_CHARS_USED = 5;
/** Non-zero once an update has been folded into the overflow series. */
export const OVERFLOW_USED = 6;
export const HEADER_FIELDS = 8;

/** The views of one instrument's region, made over the shared buffer. */
export interface FamilyRegion {
  readonly slots: number;
  readonly stride: number;
  /** Cells from one thread's lane to the next: slots × stride rounded up to a cache line. */
  readonly laneStride: number;
  /** Sums from one thread's lane to the next: slots rounded up to a cache line. */
  readonly sumStride: number;
  readonly header: Int32Array;
  /** 0 empty, {@link CLAIMING} while a thread writes the key, else slot + 1. */
  readonly table: Int32Array;
  readonly published: Int32Array;
  readonly keyStart: Int32Array;
  readonly keyLength: Int32Array;
  readonly created: Float64Array;
  readonly keys: Uint16Array;
  readonly lanes: Float64Array;
  readonly laneSums: Float64Array;
  readonly cells: Float64Array;
  readonly cellBits: BigInt64Array;
}

/** A table entry whose key is being written by the thread that claimed it. */
export const CLAIMING = -1;

/** The layout of a whole shared registry. */
export interface SharedLayout {
  readonly byteLength: number;
  /** One Int32 per lane at offset 0. */
  readonly laneOwners: (buffer: SharedArrayBuffer) => Int32Array;
  /** Views of instrument `index` (in declaration order). */
  readonly region: (buffer: SharedArrayBuffer, index: number) => FamilyRegion;
}

/** Slots of an instrument: one, or the limit plus the overflow series. */
export function slotCount(config: InstrumentConfig): number {
  return config.labelNames.length === 0 ? 1 : config.seriesLimit + 1;
}

function tableSize(config: InstrumentConfig): number {
  if (config.labelNames.length === 0) return 0;
  let size = 2;
  while (size < 2 * config.seriesLimit) size *= 2;
  return size;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
/** Float64 cells per 64-byte cache line. */
const LINE_CELLS = 8;
const wholeLines = (cells: number): number => Math.ceil(cells / LINE_CELLS) * LINE_CELLS;

/** Lays out `configs` for `maxThreads` lanes and `labelChars` key characters per series. */
export function sharedLayout(
  configs: readonly InstrumentConfig[],
  maxThreads: number,
  labelChars: number,
): SharedLayout {
  const starts: number[] = [];
  let offset = align8(4 * maxThreads);
  for (const config of configs) {
    // Each region starts on a 64-byte boundary, so its lanes' alignment holds in the buffer.
    offset = Math.ceil(offset / 64) * 64;
    starts.push(offset);
    offset += familyBytes(config, maxThreads, labelChars, undefined, 0).bytes;
  }
  return {
    byteLength: offset,
    laneOwners: (buffer) => new Int32Array(buffer, 0, maxThreads),
    region: (buffer, index) =>
      familyBytes(configs[index] as InstrumentConfig, maxThreads, labelChars, buffer, starts[index] as number)
        .region as FamilyRegion,
  };
}

/** Measures one instrument's region and, given a buffer, makes its views. */
function familyBytes(
  config: InstrumentConfig,
  maxThreads: number,
  labelChars: number,
  buffer: SharedArrayBuffer | undefined,
  start: number,
): { bytes: number; region: FamilyRegion | undefined } {
  const slots = slotCount(config);
  const stride = config.type === 'histogram' ? config.buckets.length + 1 : 1;
  const keyChars = config.labelNames.length === 0 ? 0 : config.seriesLimit * labelChars;
  const laneStride = wholeLines(slots * stride);
  const sumStride = wholeLines(slots);
  const laneCells = config.type === 'gauge' ? 0 : maxThreads * laneStride;
  const laneSums = config.type === 'histogram' ? maxThreads * sumStride : 0;
  const cells = config.type === 'gauge' ? slots : 0;
  let at = start;
  const take = (bytes: number, alignment = 8): number => {
    const here = Math.ceil(at / alignment) * alignment;
    at = here + align8(bytes);
    return here;
  };
  const header = take(4 * HEADER_FIELDS);
  const table = take(4 * tableSize(config));
  const published = take(4 * slots);
  const keyStart = take(4 * slots);
  const keyLength = take(4 * slots);
  const created = take(8 * slots);
  const keys = take(2 * keyChars);
  const lanes = take(8 * laneCells, 64);
  const sums = take(8 * laneSums, 64);
  const cellAt = take(8 * cells);
  const bytes = at - start;
  if (buffer === undefined) return { bytes, region: undefined };
  return {
    bytes,
    region: {
      slots,
      stride,
      laneStride,
      sumStride,
      header: new Int32Array(buffer, header, HEADER_FIELDS),
      table: new Int32Array(buffer, table, tableSize(config)),
      published: new Int32Array(buffer, published, slots),
      keyStart: new Int32Array(buffer, keyStart, slots),
      keyLength: new Int32Array(buffer, keyLength, slots),
      created: new Float64Array(buffer, created, slots),
      keys: new Uint16Array(buffer, keys, keyChars),
      lanes: new Float64Array(buffer, lanes, laneCells),
      laneSums: new Float64Array(buffer, sums, laneSums),
      cells: new Float64Array(buffer, cellAt, cells),
      cellBits: new BigInt64Array(buffer, cellAt, cells),
    },
  };
}
