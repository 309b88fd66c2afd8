/**
 * A JSON response written in slices. `JSON.stringify` of a whole page of tasks holds the event
 * loop for as long as the page is large (about 1.2 s for 100 MB); here the body is made one
 * value at a time, and a slice ends once it holds {@link SLICE_BYTES} or has taken
 * {@link SLICE_MS}, then yields to the event loop (`setImmediate`) before the next. No slice
 * holds it for longer than its largest single value takes to serialize, which a page's byte
 * budget bounds.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';

/** Text as it is, or the items of an array, written comma-separated without their brackets. */
export type JsonPart = string | { readonly items: readonly unknown[] };

const SLICE_BYTES = 256 * 1024;
const SLICE_MS = 8;

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
  let part = 0;
  let item = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await yieldToLoop();
      const started = performance.now();
      let slice = '';
      while (part < parts.length && slice.length < SLICE_BYTES && performance.now() - started < SLICE_MS) {
        const p = parts[part] as JsonPart;
        if (typeof p === 'string') {
          slice += p;
          part += 1;
        } else if (item < p.items.length) {
          slice += (item === 0 ? '' : ',') + JSON.stringify(p.items[item]);
          item += 1;
        } else {
          part += 1;
          item = 0;
        }
      }
      if (slice.length > 0) controller.enqueue(encoder.encode(slice));
      if (part >= parts.length) controller.close();
    },
  });
  return new Response(body, {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
  }) as Response & TypedResponse<JSONParsed<T>, S, 'json'>;
}
