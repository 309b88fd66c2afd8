/**
 * Caps request bodies. A declared `Content-Length` over the cap is refused before anything is
 * read; a body without one (chunked) is read up to the cap and kept in hono's body cache, so the
 * validators parse it from memory. (hono's own `bodyLimit` re-creates the `Request`, which the
 * node:http adapter's request objects do not support.)
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error';

/** How much of an over-limit body is read and discarded before the connection is closed. */
export const DRAIN_LIMIT_BYTES = 128 * 1024 * 1024;

function tooLarge(maxBytes: number): ApiError {
  // The connection closes after this answer (the unread rest of the body cannot be told apart
  // from a next request); the node listener reads and discards that rest first, so that the
  // client gets this answer instead of a reset (see node-server.ts).
  return new ApiError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes`, {
    headers: { Connection: 'close' },
  });
}

/**
 * Refuses a declared `Content-Length` over the cap at once, reading nothing (so it may run
 * before authentication).
 */
export function limitDeclaredBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    const declared = raw.headers.get('content-length');
    if (raw.body !== null && declared !== null && !raw.headers.has('transfer-encoding')) {
      if (!/^\d+$/.test(declared) || Number(declared) > maxBytes) throw tooLarge(maxBytes);
    }
    return next();
  };
}

/**
 * Reads a body without a declared length (chunked) up to the cap. It runs after
 * authentication, so that an anonymous client cannot make the server buffer anything.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const declared = raw.headers.get('content-length');
    if (declared !== null && !raw.headers.has('transfer-encoding')) return next();
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      // The 413 goes at once; the connection then closes lingering (`./node-server.ts`): the
      // rest of the body is read and dropped, up to DRAIN_LIMIT_BYTES, so that the client gets
      // the answer rather than a reset.
      if (size > maxBytes) throw tooLarge(maxBytes);
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

/** `application/json`, optionally with `charset=utf-8`: the only request media type the API reads. */
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(;[ \t]*charset[ \t]*=[ \t]*("utf-8"|utf-8)[ \t]*)?$/i;

/** Refuses (415) a body whose media type is anything but `application/json` in UTF-8. */
export function requireJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body === null) return next();
    const declared = raw.headers.get('content-length');
    if (declared === '0' && !raw.headers.has('transfer-encoding')) return next();
    const type = raw.headers.get('content-type') ?? '';
    if (!JSON_MEDIA_TYPE.test(type.trim())) {
      throw new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        `The request body must be application/json (UTF-8), received ${type === '' ? 'no Content-Type' : JSON.stringify(type.slice(0, 100))}`,
      );
    }
    return next();
  };
}
