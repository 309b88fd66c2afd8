/**
 * A JSON response written in slices. `JSON.stringify` of a whole page of tasks holds the event
 * loop for as long as the page is large (about 1.2 s for 100 MB), and builds the whole text at
 * once. Here each slice sends at most {@link CHUNK_CHARS} of text, made one value at a time, and
 * yields to the event loop (`setImmediate`) before the next. A value already serialized
 * ({@link RawJson}, such as a context as the database gave it) is sent piece by piece, never
 * joined into one larger string. No slice holds the loop for longer than its largest single
 * value takes to serialize, which a page's byte budget bounds.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';

/** JSON text written out as it is, from its pieces in order (an item already serialized). */
export class RawJson {
  readonly pieces: readonly string[];
  constructor(...pieces: string[]) {
    this.pieces = pieces;
  }
}

/**
 * Text as it is, or the items of an array, written comma-separated without their brackets (each
 * with `JSON.stringify`, or as it is when it is {@link RawJson}).
 */
export type JsonPart = string | { readonly items: readonly unknown[] };

/** Text encoded and sent in one slice at most (UTF-16 code units). */
const CHUNK_CHARS = 64 * 1024;

/** The texts of `parts`, in order, one value at a time. */
function* texts(parts: readonly JsonPart[]): Generator<string> {
  for (const p of parts) {
    if (typeof p === 'string') {
      yield p;
      continue;
    }
    for (const [i, value] of p.items.entries()) {
      if (i > 0) yield ',';
      if (value instanceof RawJson) yield* value.pieces;
      else yield JSON.stringify(value);
    }
  }
}

/**
 * `parts` in order, as one `application/json` response; typed as the `T` they spell, for the
 * route's response schema.
 */
export function slicedJsonResponse<T, S extends 200 | 201>(
  status: S,
  parts: readonly JsonPart[],
  headers: Record<string, string> = {},
): Response & TypedResponse<JSONParsed<T>, S, 'json'> {
  const encoder = new TextEncoder();
  const source = texts(parts);
  let current: string | undefined;
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await yieldToLoop();
      let chunk = '';
      while (chunk.length < CHUNK_CHARS) {
        if (current === undefined) {
          const next = source.next();
          if (next.done === true) break;
          current = next.value;
          offset = 0;
        }
        let end = Math.min(current.length, offset + CHUNK_CHARS - chunk.length);
        // Never between the two halves of a surrogate pair: each would be encoded as U+FFFD.
        const last = current.charCodeAt(end - 1);
        if (end < current.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
        if (end <= offset) break;
        chunk += current.slice(offset, end);
        offset = end;
        if (offset >= current.length) current = undefined;
      }
      if (chunk.length > 0) controller.enqueue(encoder.encode(chunk));
      else controller.close();
    },
  });
  return new Response(body, {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
  }) as Response & TypedResponse<JSONParsed<T>, S, 'json'>;
}
