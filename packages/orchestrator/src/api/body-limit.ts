/**
 * Caps request bodies. A declared `Content-Length` over the cap is refused before anything is
 * read; a body without one (chunked) is read up to the cap and kept in hono's body cache, so the
 * validators parse it from memory. (hono's own `bodyLimit` re-creates the `Request`, which the
 * node:http adapter's request objects do not support.)
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error';

function tooLarge(maxBytes: number): ApiError {
  // The unread rest of the body is not worth draining: the connection closes after the answer.
  return new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes`, {
    headers: { Connection: 'close' },
  });
}

export function limitBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const declared = raw.headers.get('content-length');
    if (declared !== null && !raw.headers.has('transfer-encoding')) {
      if (!/^\d+$/.test(declared) || Number(declared) > maxBytes) throw tooLarge(maxBytes);
      return next();
    }
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.byteLength;
    }
    // hono keeps body promises in `bodyCache` (its type says values); later reads come from here.
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(body.buffer);
    return next();
  };
}
