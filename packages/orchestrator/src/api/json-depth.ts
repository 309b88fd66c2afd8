/**
 * The nesting limit of JSON request bodies, checked on the raw text before anything parses it.
 *
 * The scan is one loop over the characters with a depth counter (strings skipped, escapes
 * included), so a body nested 400,000 levels deep costs one pass and no stack: it is refused
 * with a 400 that says how deep is allowed, and never reaches `JSON.parse`, zod or the store
 * (whose `JSON.stringify` recurses). A body that is not JSON at all passes through, for the
 * validator to refuse as it does today.
 */
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error';

/** Default deepest nesting of a JSON body: an object or array inside another counts one level. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting in `text` read as JSON, stopping as soon as it passes `limit`. */
export function jsonDepthOver(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/** Refuses JSON bodies nested deeper than `maxDepth` (400 `VALIDATION_FAILED`, field `body`). */
export function limitJsonDepth(maxDepth: number): MiddlewareHandler {
  return async (c, next) => {
    // It runs after `requireJsonBody`: a body here is JSON by its media type.
    if (c.req.raw.body === null) return next();
    const text = await c.req.text();
    if (jsonDepthOver(text, maxDepth)) {
      const message = `nests deeper than ${maxDepth} levels (objects and arrays inside one another)`;
      throw new ApiError('VALIDATION_FAILED', `Invalid request body: body: ${message}`, {
        errors: [{ field: 'body', message }],
      });
    }
    return next();
  };
}
