/** Request bodies and media types that the API must refuse, shared by the hostile-input tests. */

/** Text that is not JSON (or not one JSON value): 400 `INVALID_JSON`. */
export const INVALID_JSON: readonly string[] = [
  '{',
  '[1,',
  '"unterminated',
  'nul',
  '{"a":}',
  "{'a':1}",
  '{"reason":"x",}',
  '\u0000',
  '{} x',
  '{"a":1}}',
];

/** Media types other than `application/json` in UTF-8: 415. */
export const WRONG_MEDIA_TYPES: readonly string[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/merge-patch+json',
];
