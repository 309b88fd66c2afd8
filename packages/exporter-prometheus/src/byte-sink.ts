/**
 * Where a scrape is written: UTF-8 bytes in 64 KiB chunks, ready for an HTTP body or gzip.
 *
 * Writing bytes rather than appending strings spares the two costs that dominated a string
 * render of 75,000 lines (bench/exporter-prometheus.bench.ts): flattening a rope of some
 * 200,000 pieces, then encoding 6 MB of text to UTF-8 for the response. Cached parts are
 * stored as bytes and copied; numbers are written as ASCII digits without making a string
 * when they are integers, which counts and most counter values are.
 */

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;
/** Integers below this are written digit by digit; larger ones go through `String()`. */
const DIGIT_LIMIT = 2 ** 53;

export class ByteSink {
  #chunks: Uint8Array[] = [];
  #buf: Uint8Array;
  #pos = 0;
  /** Where the bytes not yet drained start in `#buf`. */
  #start = 0;
  #written = 0;

  /**
   * @param expectedBytes what the caller expects to write (the size of the previous scrape):
   * one buffer that size, plus an eighth, usually holds the whole render, with no copying.
   */
  constructor(expectedBytes = CHUNK) {
    this.#buf = Buffer.allocUnsafe(Math.max(CHUNK, Math.ceil(expectedBytes * 1.125)));
  }

  /** Bytes written since the sink was made. */
  get written(): number {
    return this.#written + this.#pos;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    if (this.#pos > this.#start) this.#chunks.push(this.#buf.subarray(this.#start, this.#pos));
    this.#written += this.#pos;
    this.#buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.#pos = 0;
    this.#start = 0;
  }

  /** Copies all of `src` (one memcpy: cached prefixes are kept as separate views for this). */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.#room(n);
    this.#buf.set(src, this.#pos);
    this.#pos += n;
  }

  /** Writes a string that holds only ASCII characters (formatted numbers, keywords). */
  ascii(text: string): void {
    this.#room(text.length);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    this.#pos = pos;
  }

  /** Writes any string as UTF-8 (exemplar labels: rare, so a temporary buffer is fine). */
  utf8(text: string): void {
    this.bytes(Buffer.from(text, 'utf8'));
  }

  newline(): void {
    this.#room(1);
    this.#buf[this.#pos++] = NEWLINE;
  }

  /**
   * A sample value: integers as digits, anything else as `formatted(value)` (`+Inf`, `NaN`,
   * decimals).
   */
  number(value: number, formatted: (value: number) => string): void {
    if (!Number.isInteger(value) || value >= DIGIT_LIMIT || value <= -DIGIT_LIMIT || Object.is(value, -0)) {
      this.ascii(formatted(value));
      return;
    }
    this.#room(17);
    const buf = this.#buf;
    let v = value;
    if (v < 0) {
      buf[this.#pos++] = MINUS;
      v = -v;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let pos = this.#pos + digits;
    this.#pos = pos;
    do {
      const next = Math.floor(v / 10);
      buf[--pos] = ZERO + (v - next * 10);
      v = next;
    } while (v > 0);
  }

  /** Hands over what was written since the last drain, as views (no copy), in order. */
  drain(): Uint8Array[] {
    if (this.#pos > this.#start) {
      this.#chunks.push(this.#buf.subarray(this.#start, this.#pos));
      this.#start = this.#pos;
    }
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks;
  }
}
