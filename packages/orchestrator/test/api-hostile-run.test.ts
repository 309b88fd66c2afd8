/**
 * A hostile run (#12): 20,000 requests per store, on PGlite and on PostgreSQL, every one over a
 * real HTTP server on 127.0.0.1 (node:http, four requests in flight on keep-alive connections,
 * bodies framed by length or chunked), with JWT authentication on and a token that holds every
 * permission, so that requests reach validation. (On a 2-core machine 10,000 took 30-40 s on
 * PGlite and 17-25 s on PostgreSQL. `TASKER_HOSTILE_REQUESTS` sets another number,
 * `TASKER_HOSTILE_SEED` another seed.)
 *
 * The routes, their path and query parameters and their body fields come from the app's own
 * OpenAPI document (`GET /tasker/openapi.json`), checked against its route table: a route or a
 * parameter added later is driven too, and a route that takes input with no baseline here fails
 * the run. A seeded PRNG (the seed is printed; request #i draws from its own generator, seeded
 * from the seed and i, so that its choices replay whatever the timing) picks a route, a valid
 * baseline request for it, and one mutation: a body field replaced by a value from the catalog
 * (U+0000, lone surrogates, surrogate keys, nesting from 10 to 400,000 levels, strings at and
 * past their limits, wrong types, 1e309, -0, 2**53+1, `__proto__` and `constructor` keys, random
 * Unicode, unknown and duplicated fields), a value deep inside a JSON field or one of its keys,
 * the whole body (invalid JSON, wrong media types, invalid UTF-8, over the size limit, chunked or
 * not), a path parameter (U+0000, invalid percent-encodings, traversal, overlong ids, unknown
 * ids) or the path itself, the method, a query parameter (the same, plus duplicates, empty
 * values and unknown names), or a page cursor (forged: base64url JSON with one element replaced,
 * or a real one damaged). A quarter of the requests are sent valid (real cursors included), so
 * that tasks exist and a worker moves their steps; some valid ones carry a hostile token (none,
 * malformed, unsigned, expired, badly signed, without permissions, or a signed one whose subject
 * is U+0000, a lone surrogate or 3,000 characters).
 *
 * Asserted: no 5xx; every request sent is answered (sent = sum of the statuses); every 4xx is
 * a problem (but node's own 431), a 400 for a field names it; an answer whose status the
 * document lists for its route fits the document's schema; a valid request is not refused (a
 * 409 only where the state may refuse it); a hostile token gets 401 (403 without permissions) on
 * a guarded route; every route, path and query parameter and body field of the document was
 * mutated; afterwards `/health/live` answers 200 within a second. Statuses the document does
 * not list for a route are printed, not asserted.
 */
import { Agent, request as httpRequest } from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRoute, createJwtAuthenticator, PERMISSIONS } from '../src/api/index';
import {
  createPgliteStore,
  createPostgresStore,
  createTasker,
  type Tasker,
  type TaskStore,
} from '../src/index';
import {
  type ApiHarness,
  apiTestDefinitions,
  responseChecker,
  routeOf,
  startApiHarness,
} from './support/api-harness';
import { INVALID_JSON, WRONG_MEDIA_TYPES } from './support/hostile-bodies';
import { describeWithPostgres } from './support/postgres';

const SEED = Number(process.env.TASKER_HOSTILE_SEED ?? 0x12_2026);
/** Requests per store: some 37 s on PGlite and 28 s on PostgreSQL on a 2-core machine. */
const REQUESTS = Number(process.env.TASKER_HOSTILE_REQUESTS ?? 20_000);
const SECRET = 'a-hostile-run-secret-of-at-least-32-bytes';
const KEY = new TextEncoder().encode(SECRET);
const MAX_BODY_BYTES = 1_048_576; // the API's default
const TIMEOUT_MS = 15_000;
/** Requests in flight at once (each on its own keep-alive connection). */
const LANES = 4;

/** mulberry32: a small seeded generator, so that a run replays. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    /** One of `entries`, each as likely as its weight. */
    weighted: <T>(entries: readonly (readonly [T, number])[]): T => {
      let x = next() * entries.reduce((n, [, w]) => n + w, 0);
      for (const [value, w] of entries) {
        x -= w;
        if (x < 0) return value;
      }
      return (entries.at(-1) as readonly [T, number])[0];
    },
    pick: <T>(list: readonly T[]): T => {
      if (list.length === 0) throw new Error('pick from an empty list');
      return list[int(list.length)] as T;
    },
  };
}
type Rng = ReturnType<typeof prng>;

type JsonObject = Record<string, unknown>;
type Segment = string | number;

interface OpenApiParameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema?: { readonly type?: string; readonly enum?: readonly string[] };
}
interface OpenApiSchema {
  readonly properties?: Record<string, unknown>;
  readonly required?: readonly string[];
}
interface OpenApiOperation {
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content: Record<string, { readonly schema: { readonly $ref?: string } & OpenApiSchema }>;
  };
  readonly responses: Record<string, unknown>;
}
interface OpenApiDocument {
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
  readonly components?: { readonly schemas?: Record<string, OpenApiSchema> };
}

/** One operation of the document, with what the run needs of it. */
interface Operation {
  readonly key: string; // `GET /tasks/{id}` (without the prefix)
  readonly method: string;
  readonly path: string; // `/tasks/{id}`
  readonly route: ApiRoute;
  readonly pathParams: readonly OpenApiParameter[];
  readonly queryParams: readonly OpenApiParameter[];
  /** Body fields (from the schema of its JSON body), or undefined without a body. */
  readonly bodyFields: readonly string[] | undefined;
  readonly bodyRequired: boolean;
  readonly statuses: ReadonlySet<number>;
}

/** What the run knows of the tasks it created (ids and the last state seen of each step). */
interface KnownTask {
  readonly id: string;
  readonly namespace: string;
  readonly steps: { id: string; status: string }[];
}
interface State {
  readonly tasks: KnownTask[];
  readonly steps: Map<string, { task: KnownTask; status: string }>;
  /** `pagination.next_cursor` of pages seen, with the order they were made for. */
  readonly cursors: { sortBy: string; sortOrder: string; cursor: string }[];
}

/** A valid request for an operation: path parameters, query overrides and a body. */
interface Baseline {
  readonly params: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: JsonObject;
  /** A valid request may meet a state that refuses it (409). */
  readonly mayConflict?: boolean;
  /** A valid request may find its schedule removed by another request (404). */
  readonly mayBeGone?: boolean;
}
type BaselineOf = (s: State, r: Rng) => Baseline;

const TASK_STATES = ['pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually'];
const SORT_KEYS = ['created_at', 'updated_at', 'completed_at', 'namespace', 'name', 'status'];

/** Random Unicode, well-formed: letters, marks, bidi and zero-width controls, CJK, emoji, private use. */
function randomText(r: Rng, length: number): string {
  const ranges: readonly [number, number][] = [
    [0x20, 0x7e],
    [0xa0, 0xff],
    [0x300, 0x36f],
    [0x200b, 0x200f],
    [0x202a, 0x202e],
    [0x4e00, 0x4e80],
    [0xe000, 0xe0ff],
    [0xfdd0, 0xfdef],
    [0xfff0, 0xffff],
    [0x1f300, 0x1f6ff],
    [0x10fff0, 0x10ffff],
  ];
  let out = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = r.pick(ranges);
    out += String.fromCodePoint(lo + r.int(hi - lo + 1));
  }
  return out;
}

/** A random valid JSON value (for contexts, annotations, inputs and results). */
function randomJson(r: Rng, depth = 0): unknown {
  const k = r.int(depth > 3 ? 4 : 7);
  if (k === 0) return r.int(1000) - 500;
  if (k === 1) return randomText(r, r.int(12));
  if (k === 2) return r.chance(0.5);
  if (k === 3) return null;
  if (k === 4) return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
  return Object.fromEntries(
    Array.from({ length: 1 + r.int(3) }, (_, i) => [
      `${r.pick(['k', 'ключ', '😀', 'a b'])}${i}`,
      randomJson(r, depth + 1),
    ]),
  );
}

const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}0${'}'.repeat(levels)}`;
const jsonString = (s: string) => JSON.stringify(s);

/** Values, as JSON text, that replace one body field or one value inside a JSON field. */
function hostileJson(r: Rng): { kind: string; text: string } {
  const pick = r.int(12);
  switch (pick) {
    case 0:
      return { kind: 'nul', text: jsonString(r.pick(['a\u0000b', '\u0000', `${'x'.repeat(50)}\u0000`])) };
    case 1:
      return {
        kind: 'surrogate',
        text: jsonString(r.pick(['a\ud800b', '\udc00', 'ab\udbff', '\ude00\ud83d'])),
      };
    case 2:
      return {
        kind: 'surrogate-key',
        text: JSON.stringify(
          r.pick([{ 'k\ud800': 1 }, { '\u0000': 'v' }, { a: { '\udfff': [1] } }, { '\udc00k': null }]),
        ),
      };
    case 3: {
      const levels = r.pick([10, 62, 63, 64, 65, 100, 512, 513, 2_000, 50_000, 400_000]);
      return { kind: 'deep', text: r.chance(0.5) ? nestedArrays(levels) : nestedObjects(levels) };
    }
    case 4: {
      const n = r.pick([0, 1, 99, 100, 101, 199, 200, 201, 499, 500, 501, 1_999, 2_000, 2_001, 100_000]);
      return { kind: 'long-string', text: jsonString(r.pick(['x', 'ü', '😀']).repeat(n)) };
    }
    case 5: {
      const n = r.pick([99, 100, 101, 999, 1_000, 1_001]);
      return { kind: 'long-array', text: JSON.stringify(Array.from({ length: n }, (_, i) => `s${i}`)) };
    }
    case 6:
      return {
        kind: 'wrong-type',
        text: r.pick([
          'null',
          'true',
          'false',
          '0',
          '-1',
          '1.5',
          '[]',
          '{}',
          '[1,"two"]',
          '{"$ne":1}',
          '""',
          '" "',
        ]),
      };
    case 7:
      return {
        kind: 'number',
        text: r.pick([
          '1e309',
          '-1e309',
          '-0',
          '9007199254740993',
          '1e-400',
          '123456789012345678901234567890',
          '0.1e1',
          '1E2',
        ]),
      };
    case 8:
      return {
        kind: 'proto',
        text: r.pick([
          '{"__proto__":{"polluted":1}}',
          '{"constructor":{"prototype":{"polluted":1}}}',
          '{"__proto__":null}',
          '{"toString":1,"hasOwnProperty":2,"valueOf":{}}',
        ]),
      };
    case 9:
      return { kind: 'unicode', text: jsonString(randomText(r, 1 + r.int(40))) };
    case 10:
      return {
        kind: 'controls',
        text: jsonString(r.pick(['\u202e\u200b\ufeff\uffff\u2028', '\t\n\r\b\f', '\u0001\u001f\u007f'])),
      };
    default:
      return { kind: 'random-json', text: JSON.stringify(randomJson(r)) };
  }
}

/** A random UUID from the seeded generator (no task or step has it). */
const uuidOf = (r: Rng) =>
  [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => r.int(16).toString(16)).join('')).join('-');

/** Path parameter values, already percent-encoded where they must be. */
function hostilePathValue(r: Rng, current: string, s: State): { kind: string; value: string } {
  const k = r.int(9);
  if (k === 0) return { kind: 'path-nul', value: r.pick(['%00', 'a%00b', `${current}%00`]) };
  if (k === 1)
    return {
      kind: 'path-encoding',
      value: r.pick(['%ZZ', '%', '%E2%82', '%ED%A0%80', '%ED%B0%80', '%C0%AE%C0%AE', '%uD800']),
    };
  if (k === 2)
    return {
      kind: 'path-traversal',
      value: r.pick([
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e',
        '..',
        '.',
        '..%5C..%5Cwindows',
        '%2F',
        '%252e%252e',
      ]),
    };
  if (k === 3)
    return { kind: 'path-overlong', value: r.pick(['x', '0', 'f']).repeat(r.pick([37, 300, 5_000])) };
  if (k === 4)
    return {
      kind: 'path-unknown-id',
      value: r.pick([uuidOf(r), uuidOf(r).toUpperCase(), '00000000-0000-0000-0000-000000000000']),
    };
  if (k === 5) {
    const other = s.tasks.length > 0 ? r.pick(s.tasks) : undefined;
    const step = other?.steps[0]?.id;
    return {
      kind: 'path-other-id',
      value: r.pick([current.toUpperCase(), other?.id ?? current, step ?? current]),
    };
  }
  if (k === 6) return { kind: 'path-unicode', value: encodeURIComponent(randomText(r, 1 + r.int(20))) };
  if (k === 7)
    return {
      kind: 'path-wrong-type',
      value: r.pick(['-1', 'null', 'undefined', '%7B%7D', '1e309', 'true', '%20']),
    };
  return { kind: 'path-empty', value: '' };
}

const SORT_INTERNAL: Record<string, string> = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  completed_at: 'completedAt',
  namespace: 'namespace',
  name: 'name',
  status: 'state',
};
/** Values for one element of a forged cursor. */
const CURSOR_VALUES: readonly unknown[] = [
  'a\u0000b',
  'a\ud800',
  '',
  'x'.repeat(900),
  '1e3',
  '-0',
  '12345678901234567',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '-9999999999999999999',
  '00000000000000000001',
  null,
  0,
  -1,
  1.5,
  1e300,
  2 ** 53,
  -(2 ** 53),
  true,
  [],
  {},
  'createdAt',
  'desc',
  '00000000-0000-0000-0000-00000000000G',
  'AAAAAAAA-0000-4000-8000-000000000000',
];
/** Sort keys of a time order (epoch ms as text), at and past what the store takes. */
const NUMERIC_KEYS: readonly string[] = [
  '-0',
  '0',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '-9999999999999999999',
  '00000000000000000001',
  '1e3',
  '1.5',
  ' 1',
  '',
];
/**
 * A forged cursor: the opaque cursor is base64url JSON `[sortKey, order, key, createdAt, id]`;
 * one element replaced, the array cut or lengthened, or a real cursor's text damaged.
 */
function forgedCursor(r: Rng, sortBy: string, sortOrder: string, s: State): { kind: string; value: string } {
  const real = s.cursors.length > 0 ? r.pick(s.cursors).cursor : undefined;
  if (real !== undefined && r.chance(0.3)) {
    const at = r.int(real.length);
    const damaged = r.pick([
      `${real.slice(0, at)}${r.pick(['A', '_', '-', '0'])}${real.slice(at + 1)}`,
      real.slice(0, at),
      `${real}${r.pick(['A', 'AA', '%3D', '.', '%00'])}`,
      real.split('').reverse().join(''),
    ]);
    return { kind: 'query-cursor', value: damaged };
  }
  const by = SORT_INTERNAL[sortBy] ?? 'createdAt';
  const key = by === 'createdAt' ? null : by.endsWith('At') ? '1700000000000' : 'shop';
  const fields: unknown[] = [by, sortOrder, key, 1_700_000_000_000, uuidOf(r)];
  const k = r.int(10);
  if (k === 0) fields.length = r.int(5);
  else if (k === 1) fields.push(r.pick(CURSOR_VALUES));
  // The sort key most often (its text is compared in SQL), with values of its kind.
  else if (k < 6) fields[2] = r.pick(by.endsWith('At') && r.chance(0.7) ? NUMERIC_KEYS : CURSOR_VALUES);
  else fields[r.int(5)] = r.pick(CURSOR_VALUES);
  const json = r.chance(0.1) ? r.pick(['{}', 'null', '"x"', '[', '\u0000']) : JSON.stringify(fields);
  return { kind: 'query-cursor', value: Buffer.from(json).toString('base64url') };
}

/** Query values, already percent-encoded where they must be. */
function hostileQueryValue(r: Rng): { kind: string; value: string } {
  const k = r.int(6);
  if (k === 0) return { kind: 'query-nul', value: r.pick(['%00', 'a%00b', 'shop%00']) };
  if (k === 1)
    return {
      kind: 'query-encoding',
      value: r.pick([
        '%ED%A0%80',
        'a%ED%B0%80b',
        '%ED%A0%BD%ED%B8%80',
        '%uD800',
        '%ZZ',
        '%',
        '%%',
        '%E2%82',
        '%F0%9F%98',
      ]),
    };
  if (k === 2)
    return {
      kind: 'query-number',
      value: r.pick([
        '1e309',
        '-0',
        '9007199254740993',
        'NaN',
        'Infinity',
        '0x10',
        '%201',
        '1%20',
        '+1',
        '1.5',
        '-1',
        '0',
        '101',
        '1000001',
        '1_0',
      ]),
    };
  if (k === 3)
    return { kind: 'query-long', value: r.pick(['x', '%C3%BC']).repeat(r.pick([100, 101, 200, 201, 2_000])) };
  if (k === 4) return { kind: 'query-unicode', value: encodeURIComponent(randomText(r, 1 + r.int(30))) };
  return {
    kind: 'query-odd',
    value: r.pick([
      '',
      '__proto__',
      'constructor',
      '%5B%5D',
      'a,b,,',
      '%2C',
      'TRUE',
      'pending,,error',
      'null',
    ]),
  };
}

const MEDIA_TYPES = [...WRONG_MEDIA_TYPES, ''];
/** Not JSON, and a byte-order mark before JSON (which the server reads past). */
const BODIES_NOT_JSON = [...INVALID_JSON, '\ufeff{}'];

/** Hostile credentials, each with what a guarded route answers. */
type TokenKind = 'invalid' | 'forbidden' | 'hostile-subject';
async function hostileTokens(): Promise<{ header: string | undefined; kind: TokenKind; label: string }[]> {
  const sign = (
    claims: JsonObject,
    o: { sub?: string; exp?: string | number | null; key?: Uint8Array } = {},
  ) => {
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(o.sub ?? 'hostile')
      .setIssuedAt();
    if (o.exp !== null) jwt = jwt.setExpirationTime(o.exp ?? '10m');
    return jwt.sign(o.key ?? KEY);
  };
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const all = { permissions: [...PERMISSIONS] };
  return [
    { header: undefined, kind: 'invalid', label: 'no token' },
    { header: 'Bearer', kind: 'invalid', label: 'Bearer alone' },
    { header: 'Bearer ', kind: 'invalid', label: 'Bearer and a space' },
    { header: 'Bearer not.a.jwt', kind: 'invalid', label: 'garbage' },
    { header: `Bearer ${'A'.repeat(6_000)}`, kind: 'invalid', label: 'a 6 KB garbage token' },
    { header: 'Basic dXNlcjpwYXNz', kind: 'invalid', label: 'Basic' },
    {
      header: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'root', ...all })}.`,
      kind: 'invalid',
      label: 'alg none',
    },
    {
      header: `Bearer ${await sign(all, { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') })}`,
      kind: 'invalid',
      label: 'another key',
    },
    {
      header: `Bearer ${await sign(all, { exp: Math.floor(Date.now() / 1000) - 60 })}`,
      kind: 'invalid',
      label: 'expired',
    },
    { header: `Bearer ${await sign(all, { exp: null })}`, kind: 'invalid', label: 'no exp' },
    { header: `Bearer ${await sign(all, { exp: '3d' })}`, kind: 'invalid', label: 'valid for 3 days' },
    { header: `Bearer ${await sign(all, { sub: '' })}`, kind: 'invalid', label: 'empty subject' },
    { header: `Bearer ${await sign({ permissions: [] })}`, kind: 'forbidden', label: 'no permissions' },
    {
      header: `Bearer ${await sign({ permissions: { admin: true, 'tasker.task:index': true }, roles: 'user' })}`,
      kind: 'forbidden',
      label: 'permissions an object',
    },
    {
      header: `Bearer ${await sign({ permissions: [1, null, {}, 'tasker.*'], roles: ['__proto__', 'constructor'] })}`,
      kind: 'forbidden',
      label: 'odd claims',
    },
    {
      header: `Bearer ${await sign(all, { sub: 'a\u0000b' })}`,
      kind: 'hostile-subject',
      label: 'subject with U+0000',
    },
    {
      header: `Bearer ${await sign(all, { sub: 'a\ud800' })}`,
      kind: 'hostile-subject',
      label: 'subject with a lone surrogate',
    },
    {
      header: `Bearer ${await sign(all, { sub: 's'.repeat(3_000) })}`,
      kind: 'hostile-subject',
      label: 'a 3,000-character subject',
    },
  ];
}

/** Baselines, by `METHOD /path`: a route that takes input and is missing here fails the run. */
const BASELINES: Record<string, BaselineOf> = {
  'GET /handlers/{namespace}': (_s, r) => ({ params: { namespace: r.pick(['shop', 'ops']) } }),
  'GET /handlers/{namespace}/{name}': (_s, r) => {
    const shop = r.chance(0.5);
    return {
      params: shop ? { namespace: 'shop', name: 'checkout' } : { namespace: 'ops', name: 'audit' },
      query: { version: shop ? r.pick(['1.0.0', '1.1.0', 'latest', '^1']) : r.pick(['2.0.0', 'latest']) },
    };
  },
  'GET /tasks': () => ({ params: {} }),
  'POST /tasks': (_s, r) => ({ params: {}, body: submitBody(r) }),
  'POST /tasks/batch': (_s, r) => ({
    params: {},
    body: { tasks: Array.from({ length: 1 + r.int(3) }, () => submitBody(r)) },
  }),
  'GET /tasks/{id}': (s, r) => ({ params: { id: someTask(s, r).id } }),
  'PATCH /tasks/{id}': (s, r) => ({
    params: { id: someTask(s, r).id },
    body: r.chance(0.5)
      ? { reason: randomText(r, r.int(30)) }
      : {
          tags: Array.from({ length: r.int(4) }, () => `t${r.int(9)}`),
          ...(r.chance(0.5) ? { reason: 'r' } : {}),
        },
  }),
  'DELETE /tasks/{id}': (s, r) => ({ params: { id: someTask(s, r).id }, mayConflict: true }),
  'GET /tasks/{id}/workflow_steps': (s, r) => ({ params: { id: someTask(s, r).id } }),
  'GET /tasks/{id}/workflow_steps/{stepId}': (s, r) => ({ params: someStep(s, r) }),
  'PATCH /tasks/{id}/workflow_steps/{stepId}': (s, r) => ({
    params: someStep(s, r),
    body: r.chance(0.5)
      ? { retry_limit: r.int(1001) }
      : { inputs: randomJson(r), ...(r.chance(0.3) ? { retry_limit: 0 } : {}) },
  }),
  'DELETE /tasks/{id}/workflow_steps/{stepId}': (s, r) => ({ params: someStep(s, r), mayConflict: true }),
  'POST /tasks/{id}/workflow_steps/{stepId}/retry': (s, r) => ({
    params: someStep(s, r, ['error']),
    ...(r.chance(0.7) ? { body: r.chance(0.5) ? {} : { reason: randomText(r, 10) } } : {}),
    mayConflict: true,
  }),
  'POST /tasks/{id}/workflow_steps/{stepId}/resolve': (s, r) => ({
    params: someStep(s, r, ['pending', 'error', 'waiting_for_retry']),
    ...(r.chance(0.7)
      ? { body: { ...(r.chance(0.5) ? { result: randomJson(r) } : {}), reason: 'by hand' } }
      : {}),
    mayConflict: true,
  }),
  'GET /analytics/bottlenecks': () => ({ params: {} }),
  'GET /retention': () => ({ params: {} }),
  // The live event feed (#15): answered with its headers, then left (see `send`).
  'GET /events/stream': (s, r) => {
    const query: Record<string, string> = r.chance(0.5)
      ? { task_id: someTask(s, r).id }
      : { events: r.pick(['task.', 'step.completed', 'task.,step.', 'workflow.']) };
    return { params: {}, query };
  },
  // Schedules (#14): a pool of eight names that requests add (409 when taken) and remove (404
  // for the others then).
  'POST /schedules': (_s, r) => ({ params: {}, body: scheduleBody(r), mayConflict: true }),
  'GET /schedules/{name}': (_s, r) => ({ params: { name: someSchedule(r) }, mayBeGone: true }),
  'DELETE /schedules/{name}': (_s, r) => ({ params: { name: someSchedule(r) }, mayBeGone: true }),
  'POST /schedules/{name}/pause': (_s, r) => ({ params: { name: someSchedule(r) }, mayBeGone: true }),
  'POST /schedules/{name}/resume': (_s, r) => ({ params: { name: someSchedule(r) }, mayBeGone: true }),
  'GET /docs/assets/{file}': (_s, r) => ({
    params: { file: r.pick(['swagger-ui.css', 'favicon-32x32.png']) },
  }),
};

function someSchedule(r: Rng): string {
  return `hostile-${r.int(8)}`;
}
function scheduleBody(r: Rng): JsonObject {
  const body: JsonObject = {
    name: someSchedule(r),
    cron: r.pick(['0 0 * * *', '@hourly', '*/10 * * * *', '30 2 * * *', '0 */5 * * * *']),
    namespace: 'shop',
    task_name: 'checkout',
    context: { order_id: `s-${r.int(1e6)}` },
  };
  if (r.chance(0.5)) body.timezone = r.pick(['UTC', 'Europe/Berlin', 'America/New_York']);
  if (r.chance(0.5)) body.version = r.pick(['1.0.0', 'latest', '^1']);
  if (r.chance(0.5)) body.catch_up = r.pick(['none', 'latest', 'all']);
  if (r.chance(0.5)) body.catch_up_limit = 1 + r.int(100);
  if (r.chance(0.5)) body.paused = r.chance(0.5);
  return body;
}
function someTask(s: State, r: Rng): KnownTask {
  return r.pick(s.tasks.length > 60 ? s.tasks.slice(-60) : s.tasks);
}
function someStep(s: State, r: Rng, prefer?: readonly string[]): { id: string; stepId: string } {
  if (prefer !== undefined && r.chance(0.8)) {
    const matching = [...s.steps].filter(([, v]) => prefer.includes(v.status)).slice(-40);
    if (matching.length > 0) {
      const [stepId, { task }] = r.pick(matching);
      return { id: task.id, stepId };
    }
  }
  const task = someTask(s, r);
  return { id: task.id, stepId: r.pick(task.steps).id };
}
function submitBody(r: Rng): JsonObject {
  const shop = r.chance(0.6);
  const body: JsonObject = shop
    ? {
        namespace: 'shop',
        name: 'checkout',
        version: r.pick(['1.0.0', '1.1.0', 'latest', '^1']),
        context: { order_id: `o-${r.int(1e6)}`, ...(r.chance(0.5) ? { amount: 1 + r.int(500) } : {}) },
      }
    : { namespace: 'ops', name: 'audit', version: '2.0.0', context: randomJson(r) };
  if (r.chance(0.3)) body.initiator = randomText(r, r.int(20));
  if (r.chance(0.3)) body.source_system = 'hostile-run';
  if (r.chance(0.3)) body.reason = randomText(r, r.int(40));
  if (r.chance(0.3)) body.tags = Array.from({ length: r.int(4) }, (_, i) => `tag-${i}`);
  if (r.chance(0.3)) body.annotations = { note: randomJson(r) };
  if (r.chance(0.2)) body.identity_key = `key-${r.int(50)}`;
  if (shop && r.chance(0.2)) body.bypass_steps = ['notify'];
  return body;
}

/** Valid query values by parameter name; others come from the parameter's enum, else are left out. */
const VALID_QUERY: Record<string, (r: Rng) => string> = {
  namespace: (r) => r.pick(['shop', 'ops', 'nothing']),
  name: (r) => r.pick(['checkout', 'audit']),
  version: (r) => r.pick(['1.0.0', '2.0.0']),
  status: (r) => Array.from({ length: 1 + r.int(3) }, () => r.pick(TASK_STATES)).join(','),
  limit: (r) => String(1 + r.int(50)),
  offset: (r) => String(r.int(40)),
  sort_by: (r) => r.pick(SORT_KEYS),
  sort_order: (r) => r.pick(['asc', 'desc']),
  period_hours: (r) => String(1 + r.int(720)),
  include_dependencies: (r) => r.pick(['true', 'false']),
};

/** Positions inside a JSON value (for a nested mutation): paths to every value and key. */
function positionsOf(value: unknown, path: Segment[] = [], out: Segment[][] = []): Segment[][] {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) positionsOf(v, [...path, i], out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) positionsOf(v, [...path, k], out);
  if (path.length > 0) out.push(path);
  return out;
}
function updateAt(value: unknown, path: readonly Segment[], update: (v: unknown) => unknown): unknown {
  if (path.length === 0) return update(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? updateAt(v, rest, update) : v));
  return Object.fromEntries(
    Object.entries(value as JsonObject).map(([k, v]) => [k, k === head ? updateAt(v, rest, update) : v]),
  );
}
const MARK = 'HOSTILE-MARK-91c2';
/** `body` as JSON text with the value at `path` replaced by the JSON text `raw`. */
function withRaw(body: JsonObject, path: readonly Segment[], raw: string): string {
  const marked =
    path.length === 1 && !Object.hasOwn(body, path[0] as string)
      ? { ...body, [path[0] as string]: MARK }
      : updateAt(body, path, () => MARK);
  return JSON.stringify(marked).replace(JSON.stringify(MARK), () => raw);
}

/** A request on the wire. */
interface Wire {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  readonly chunked?: boolean;
}
interface Planned {
  readonly op: Operation;
  readonly wire: Wire;
  /** `valid`, `token:<label>`, or the mutation's kind. */
  readonly kind: string;
  readonly valid: boolean;
  readonly token?: TokenKind;
  readonly mayConflict: boolean;
  readonly mayBeGone: boolean;
  /** What was mutated: `body.context`, `query.limit`, `path.id`, … (coverage). */
  readonly target?: string;
}

function hostileRunCases(label: string, makeStore: () => Promise<TaskStore>) {
  let store: TaskStore;
  let h: ApiHarness;
  let agent: Agent;
  let worker: Tasker | undefined;
  let port = 0;
  let auth = '';
  let doc: OpenApiDocument;
  let operations: Operation[] = [];
  let tokens: Awaited<ReturnType<typeof hostileTokens>> = [];
  const state: State = { tasks: [], steps: new Map(), cursors: [] };
  const unexpected: string[] = [];

  /** One request, on a keep-alive connection of the agent. */
  const send = (w: Wire): Promise<{ status: number; type: string; text: string }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: w.method,
          path: w.path,
          // Framing written out: node frames no DELETE or OPTIONS body by itself.
          headers:
            w.body === undefined
              ? w.headers
              : w.chunked
                ? { ...w.headers, 'transfer-encoding': 'chunked' }
                : { ...w.headers, 'content-length': String(Buffer.byteLength(w.body)) },
          agent,
          timeout: TIMEOUT_MS,
        },
        (res) => {
          // The event stream (#15) stays open: its status and headers are the answer, and the
          // connection goes (it is not reused once the stream ends).
          if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
            res.destroy();
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text: '' });
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      if (w.body === undefined) req.end();
      else if (w.chunked) {
        req.write(w.body);
        req.end();
      } else req.end(w.body);
    });

  /** How many known steps were last seen in each state (the worker moves them). */
  const stepStates = () => {
    const counts = new Map<string, number>();
    for (const { status } of state.steps.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
    return [...counts].map(([s, n]) => `${s} ${n}`).join(', ');
  };

  /** Learns task and step ids and states from an answer. */
  const learn = (body: unknown) => {
    if (body === null || typeof body !== 'object') return;
    const b = body as JsonObject;
    const steps = (Array.isArray(b.workflow_steps) ? b.workflow_steps : []) as JsonObject[];
    if (typeof b.task_id === 'string' && typeof b.namespace === 'string' && steps.length > 0) {
      let task = state.tasks.find((t) => t.id === b.task_id);
      if (task === undefined) {
        task = { id: b.task_id, namespace: b.namespace, steps: [] };
        state.tasks.push(task);
      }
      for (const s of steps) {
        const id = String(s.workflow_step_id);
        const known = task.steps.find((x) => x.id === id);
        if (known === undefined) task.steps.push({ id, status: String(s.status) });
        else known.status = String(s.status);
        state.steps.set(id, { task, status: String(s.status) });
      }
    } else if (typeof b.workflow_step_id === 'string' && typeof b.status === 'string') {
      const known = state.steps.get(b.workflow_step_id);
      if (known !== undefined) known.status = b.status;
    }
  };

  beforeAll(async () => {
    store = await makeStore();
    h = await startApiHarness(store, {
      auth: { authenticate: createJwtAuthenticator({ secret: SECRET }), onRefusedToken: () => {} },
      metricsHandler: async () =>
        new Response('tasker_up 1\n', { headers: { 'content-type': 'text/plain' } }),
      onError: (error, request) => {
        unexpected.push(
          `${request.method} ${request.url.slice(0, 200)}: ${(error as Error)?.stack ?? String(error)}`,
        );
      },
    });
    port = h.server.port;
    agent = new Agent({ keepAlive: true, maxSockets: LANES });
    auth = `Bearer ${await new SignJWT({ permissions: [...PERMISSIONS] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('hostile-run')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(KEY)}`;
    tokens = await hostileTokens();
    // The document, as a client reads it.
    const got = await send({ method: 'GET', path: `${h.api.prefix}/openapi.json`, headers: {} });
    expect(got.status).toBe(200);
    doc = JSON.parse(got.text) as OpenApiDocument;
    const prefix = h.api.prefix;
    operations = Object.entries(doc.paths).flatMap(([full, ops]) =>
      Object.entries(ops).map(([m, op]): Operation => {
        const method = m.toUpperCase();
        const route = h.api.routes.find((r) => r.method === method && r.path === full);
        if (route === undefined)
          throw new Error(`${method} ${full} is in the document, not in the route table`);
        const params = op.parameters ?? [];
        const media = op.requestBody?.content['application/json']?.schema;
        const schema =
          media?.$ref === undefined ? media : doc.components?.schemas?.[media.$ref.split('/').pop() ?? ''];
        return {
          key: `${method} ${full.slice(prefix.length)}`,
          method,
          path: full.slice(prefix.length),
          route,
          pathParams: params.filter((p) => p.in === 'path'),
          queryParams: params.filter((p) => p.in === 'query'),
          bodyFields: schema === undefined ? undefined : Object.keys(schema.properties ?? {}),
          bodyRequired: op.requestBody?.required === true,
          statuses: new Set(Object.keys(op.responses).map(Number)),
        };
      }),
    );
    // Tasks to start from, and a worker so that their steps move.
    for (let i = 0; i < 6; i++) {
      const body =
        i % 2 === 0
          ? { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: `s-${i}` } }
          : { namespace: 'ops', name: 'audit', version: '2.0.0', context: {} };
      const created = await send({
        method: 'POST',
        path: `${prefix}/tasks`,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(created.status, created.text).toBe(201);
      learn(JSON.parse(created.text));
    }
    // A worker with the engine's default intervals (woken by notifications): with PGlite in
    // this process, the harness's 20 ms polling would hold up every request behind its queries.
    worker = createTasker({
      store,
      tasks: apiTestDefinitions(),
      config: { backoff: { jitter: 0 } },
      onError: () => {},
    });
    await worker.start();
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    agent?.destroy();
    await h?.close();
    await store?.close();
  });

  it('drives every route of the document, and has a baseline for each that takes input', () => {
    expect(operations.map((o) => `${o.method} ${h.api.prefix}${o.path}`).sort()).toEqual(
      h.api.routes.map((r) => `${r.method} ${r.path}`).sort(),
    );
    const missing = operations
      .filter((o) => o.pathParams.length + o.queryParams.length > 0 || o.bodyFields !== undefined)
      .filter((o) => BASELINES[o.key] === undefined)
      .map((o) => o.key);
    expect(missing, 'routes that take input and have no baseline').toEqual([]);
    for (const o of operations.filter((x) => x.bodyFields !== undefined))
      expect(o.bodyFields?.length, `${o.key}: body fields in the document`).toBeGreaterThan(0);
  });

  /** Plans request `i`: a route, its baseline, and one mutation (or none). */
  function plan(r: Rng): Planned {
    const op = r.chance(0.75)
      ? r.pick(operations.filter((o) => BASELINES[o.key] !== undefined))
      : r.pick(operations);
    const base: Baseline = (BASELINES[op.key] ?? (() => ({ params: {} })))(state, r);
    const query: [string, string][] = [];
    for (const p of op.queryParams) {
      const forced = base.query?.[p.name];
      const valid =
        forced ??
        VALID_QUERY[p.name]?.(r) ??
        (p.schema?.enum === undefined ? undefined : r.pick(p.schema.enum));
      if (valid !== undefined && (forced !== undefined || r.chance(0.4)))
        query.push([p.name, encodeURIComponent(valid)]);
    }
    // A page after one seen before: a real cursor, in the order it was made for (no offset).
    if (op.queryParams.some((p) => p.name === 'cursor') && state.cursors.length > 0 && r.chance(0.3)) {
      const c = r.pick(state.cursors.slice(-20));
      const rest = query.filter(([k]) => !['sort_by', 'sort_order', 'offset', 'cursor'].includes(k));
      query.length = 0;
      query.push(...rest, ['sort_by', c.sortBy], ['sort_order', c.sortOrder], ['cursor', c.cursor]);
    }
    const params: Record<string, string> = { ...base.params };
    let body: string | Buffer | undefined = base.body === undefined ? undefined : JSON.stringify(base.body);
    const headers: Record<string, string> = { authorization: auth };
    let method = op.method;
    let kind = 'valid';
    let target: string | undefined;
    let chunked = r.chance(0.1);
    let token: TokenKind | undefined;
    let suffix = '';
    let prefix = h.api.prefix;

    const roll = r.next();
    if (roll < 0.25) {
      // Valid as planned.
    } else if (roll < 0.3) {
      const t = r.pick(tokens);
      if (t.header === undefined) delete headers.authorization;
      else headers.authorization = t.header;
      token = t.kind;
      kind = `token:${t.label}`;
    } else {
      // One mutation, of a kind the route has (weighted towards its input).
      const kinds: [string, number][] = [
        ['path-shape', 1],
        ['method', 1],
        ['query-extra', 1],
      ];
      if (op.bodyFields !== undefined) kinds.push(['body-field', 8], ['body-nested', 3], ['body-whole', 2]);
      if (op.queryParams.length > 0) kinds.push(['query', 5]);
      if (op.queryParams.some((p) => p.name === 'cursor')) kinds.push(['cursor', 3]);
      if (op.pathParams.length > 0) kinds.push(['path', 4]);
      const what = r.weighted(kinds);
      if (what === 'body-field' && op.bodyFields !== undefined) {
        const field = r.pick(op.bodyFields);
        const value = hostileJson(r);
        body = withRaw(base.body ?? {}, [field], value.text);
        kind = `body:${value.kind}`;
        target = `body.${field}`;
      } else if (what === 'body-nested' && op.bodyFields !== undefined) {
        const b = base.body ?? {};
        const positions = positionsOf(b).filter((p) => p.length > 1);
        if (positions.length === 0) {
          // Nothing nested in this baseline: an unknown or duplicated field instead.
          const extra = r.pick([
            'unknown',
            'ünknown',
            '__proto__',
            'constructor',
            'k\u0000',
            'k\ud800',
            ...op.bodyFields,
          ]);
          const text = JSON.stringify(b);
          const value = hostileJson(r);
          body =
            text === '{}'
              ? `{${jsonString(extra)}:${value.text}}`
              : `${text.slice(0, -1)},${jsonString(extra)}:${value.text}}`;
          kind = `body-extra:${value.kind}`;
          target = 'body.(extra)';
        } else {
          const path = r.pick(positions);
          if (typeof path.at(-1) === 'string' && r.chance(0.4)) {
            const key = r.pick([
              'k\u0000',
              'k\ud800',
              '\udc00',
              '__proto__',
              'constructor',
              '',
              randomText(r, 5),
            ]);
            const renamed = updateAt(b, path.slice(0, -1), (o) =>
              Object.fromEntries(
                Object.entries(o as JsonObject).map(([k, v]) => [k === path.at(-1) ? key : k, v]),
              ),
            );
            body = JSON.stringify(renamed);
            kind = 'body-nested:key';
          } else {
            const value = hostileJson(r);
            body = withRaw(b, path, value.text);
            kind = `body-nested:${value.kind}`;
          }
          target = `body.${String(path[0])}`;
        }
      } else if (what === 'body-whole') {
        const w = r.int(6);
        target = 'body';
        if (w === 0) {
          body = r.pick(BODIES_NOT_JSON);
          kind = 'body-whole:invalid-json';
        } else if (w === 1) {
          body = r.pick(['[]', '1', 'null', '"text"', 'true', '']);
          kind = 'body-whole:not-an-object';
        } else if (w === 2) {
          body = body ?? '{}';
          headers['content-type'] = r.pick(MEDIA_TYPES);
          kind = 'body-whole:media-type';
        } else if (w === 3) {
          const size = MAX_BODY_BYTES + r.pick([-20, 1, 100, 65_536]);
          body = `{"reason":"${'x'.repeat(Math.max(0, size - 14))}"}`;
          kind = 'body-whole:size-limit';
        } else if (w === 4) {
          // The bytes of U+D800 (invalid UTF-8) inside a string of a valid body.
          const text = JSON.stringify(base.body ?? { reason: 'x' });
          const at = text.indexOf('":"') + 3;
          body =
            at > 2
              ? Buffer.concat([
                  Buffer.from(text.slice(0, at)),
                  Buffer.from([0xed, 0xa0, 0x80]),
                  Buffer.from(text.slice(at)),
                ])
              : text;
          kind = 'body-whole:invalid-utf8';
        } else {
          // A duplicated field whose second value is hostile (the last one wins).
          const text = JSON.stringify(base.body ?? {});
          const field = r.pick(op.bodyFields ?? ['reason']);
          const dup = `${jsonString(field)}:${hostileJson(r).text}`;
          body = text === '{}' ? `{${dup}}` : `${text.slice(0, -1)},${dup}}`;
          kind = 'body-whole:duplicate-field';
        }
      } else if ((what === 'query' || what === 'cursor') && op.queryParams.length > 0) {
        const p =
          what === 'cursor'
            ? (op.queryParams.find((x) => x.name === 'cursor') as OpenApiParameter)
            : r.pick(op.queryParams);
        if (what === 'cursor') {
          // A cursor forged for the order asked for (a cursor of another order is refused first).
          const rest = query.filter(([k]) => k !== 'sort_by' && k !== 'sort_order');
          query.length = 0;
          query.push(...rest, ['sort_by', r.pick(SORT_KEYS)], ['sort_order', r.pick(['asc', 'desc'])]);
        }
        const sortOf = (name: string, fallback: string) => query.find(([k]) => k === name)?.[1] ?? fallback;
        const value =
          what === 'cursor' || (p.name === 'cursor' && r.chance(0.5))
            ? forgedCursor(r, sortOf('sort_by', 'created_at'), sortOf('sort_order', 'desc'), state)
            : hostileQueryValue(r);
        const rest = query.filter(([k]) => k !== p.name);
        query.length = 0;
        query.push(...rest, [p.name, value.value]);
        if (r.chance(0.2)) query.push([p.name, r.pick(['', value.value, '1'])]); // given twice
        kind = value.kind;
        target = `query.${p.name}`;
      } else if (what === 'query-extra') {
        const name = r.pick([
          'unknown',
          '__proto__',
          'constructor',
          'na%00me',
          '%ZZ',
          '',
          'a[b]',
          'limit[]',
          '%ED%A0%80',
        ]);
        query.push([name, hostileQueryValue(r).value]);
        if (r.chance(0.3)) query.push(['&&=', '']);
        kind = 'query-extra';
      } else if (what === 'path' && op.pathParams.length > 0) {
        const p = r.pick(op.pathParams);
        const value = hostilePathValue(r, params[p.name] ?? '', state);
        params[p.name] = value.value;
        kind = value.kind;
        target = `path.${p.name}`;
      } else if (what === 'method') {
        method = r.pick(
          ['PUT', 'OPTIONS', 'HEAD', 'GET', 'POST', 'PATCH', 'DELETE', 'TRACE'].filter(
            (m) => m !== op.method,
          ),
        );
        kind = 'method';
      } else {
        const shape = r.int(6);
        if (shape === 0) suffix = '/';
        else if (shape === 1) suffix = `/${r.pick(['x', '..', '.', '%2e%2e', 'workflow_steps', 'retry'])}`;
        else if (shape === 2)
          prefix = r.pick([
            `${prefix}/`,
            `/${prefix}`,
            prefix.toUpperCase(),
            `${prefix}/.`,
            `${prefix}/x/..`,
          ]);
        else if (shape === 3) suffix = r.pick(['%00', '%2F', ';x=1', '#frag']);
        else if (shape === 4) prefix = `${prefix}${'/%2e'.repeat(1 + r.int(3))}`;
        else suffix = `/${'a/'.repeat(1 + r.int(40))}`;
        kind = 'path-shape';
      }
    }
    if (body !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json';
    if (body === undefined) chunked = false;
    if (method === 'HEAD' || method === 'GET' || method === 'TRACE') {
      body = undefined;
      chunked = false;
      delete headers['content-type'];
    }
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? 'x');
    const search = query.length === 0 ? '' : `?${query.map(([k, v]) => `${k}=${v}`).join('&')}`;
    return {
      op,
      wire: {
        method,
        path: `${prefix}${path}${suffix}${search}`,
        headers,
        ...(body === undefined ? {} : { body, chunked }),
      },
      kind,
      valid: kind === 'valid',
      ...(token === undefined ? {} : { token }),
      mayConflict: base.mayConflict === true,
      mayBeGone: base.mayBeGone === true,
      ...(target === undefined ? {} : { target }),
    };
  }

  it(`answers ${REQUESTS.toLocaleString('en')} hostile requests without a 5xx`, async () => {
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    const targets = new Set<string>();
    const perRoute = new Map<string, number>();
    const violations: string[] = [];
    const failures: string[] = [];
    let sent = 0;
    const started = performance.now();
    const undocumented = new Map<string, number>();
    const check = responseChecker(doc as unknown as Record<string, unknown>);
    const one = async (i: number): Promise<void> => {
      // Each request draws from its own generator, seeded from the run's seed and its number.
      const p = plan(prng(Math.imul(SEED ^ 0x9e3779b9, 0x85ebca6b) + i * 0x27d4eb2f));
      const what = `#${i} ${p.kind} ${p.wire.method} ${p.wire.path.slice(0, 160)}`;
      sent++;
      let answer: Awaited<ReturnType<typeof send>>;
      try {
        answer = await send(p.wire);
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
        return;
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      kinds.set(p.kind.split(':')[0] ?? p.kind, (kinds.get(p.kind.split(':')[0] ?? p.kind) ?? 0) + 1);
      perRoute.set(p.op.key, (perRoute.get(p.op.key) ?? 0) + 1);
      if (p.target !== undefined) targets.add(`${p.op.key} ${p.target}`);
      const detail = `${what} → ${answer.status} ${answer.text.slice(0, 200)}`;
      if (answer.status >= 500) {
        violations.push(`5xx: ${detail}`);
        return;
      }
      let parsed: unknown;
      if (answer.type.includes('json') && answer.text !== '') {
        try {
          parsed = JSON.parse(answer.text);
        } catch {
          violations.push(`not JSON: ${detail}`);
          return;
        }
      }
      // 431 is node's own answer to a request line and headers over 16 KB, before the app.
      if (answer.status >= 400 && answer.status !== 431 && p.wire.method !== 'HEAD') {
        const problem = parsed as JsonObject | undefined;
        if (
          answer.type !== 'application/problem+json' ||
          problem?.status !== answer.status ||
          typeof problem.code !== 'string' ||
          typeof problem.detail !== 'string'
        ) {
          violations.push(`not a problem: ${detail}`);
        } else if (
          answer.status === 400 &&
          ['VALIDATION_FAILED', 'INPUT_INVALID'].includes(problem.code) &&
          !(Array.isArray(problem.errors) && problem.errors.length > 0)
        )
          violations.push(`a 400 that names no field: ${detail}`);
      }
      if (p.valid) {
        const ok =
          answer.status < 300 ||
          (p.mayConflict && answer.status === 409) ||
          (p.mayBeGone && answer.status === 404);
        if (!ok) violations.push(`a valid request refused: ${detail}`);
      } else if (p.token !== undefined && p.op.route.permission !== null) {
        const expected = p.token === 'invalid' ? [401] : p.token === 'forbidden' ? [403] : undefined;
        if (expected !== undefined && !expected.includes(answer.status))
          violations.push(`a hostile token not refused: ${detail}`);
      }
      // The answer is the document's: its status is listed for the route, its body fits the schema.
      const pathname = p.wire.path.split('?')[0] ?? '';
      const route = routeOf(h.api.routes, p.wire.method, pathname);
      if (route !== undefined) {
        const documented =
          doc.paths[route.path]?.[route.method.toLowerCase()]?.responses[String(answer.status)];
        if (documented === undefined) {
          const key = `${route.method} ${route.path} ${answer.status}`;
          undocumented.set(key, (undocumented.get(key) ?? 0) + 1);
        } else {
          try {
            check(route, answer.status, answer.type, parsed ?? answer.text);
          } catch (error) {
            violations.push(
              `not the document's answer: ${detail}: ${(error as Error).message.slice(0, 300)}`,
            );
          }
        }
      }
      learn(parsed);
      const cursor = (parsed as { pagination?: { next_cursor?: unknown } } | undefined)?.pagination
        ?.next_cursor;
      // Only from valid requests: a mutated one may carry `sort_by` twice, and the order the
      // server paged by is then not the one `q.get` reads back.
      if (answer.status === 200 && p.valid && typeof cursor === 'string') {
        // The query as the server read it: a path-shape mutation may put `#frag` before the `?`,
        // and then the server saw no query at all (its cursor is for the default order).
        const q = new URL(p.wire.path, 'http://127.0.0.1').searchParams;
        state.cursors.push({
          sortBy: q.get('sort_by') ?? 'created_at',
          sortOrder: q.get('sort_order') ?? 'desc',
          cursor,
        });
      }
    };
    // A few requests in flight at once, each lane on its own keep-alive connection.
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < REQUESTS; i = next++) await one(i);
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    const seconds = (performance.now() - started) / 1000;
    const counts = [...statuses].sort(([a], [b]) => a - b);
    console.log(
      `hostile run (${label}, seed ${SEED}): ${sent} requests in ${seconds.toFixed(1)} s — ${counts
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}${failures.length > 0 ? `, no answer: ${failures.length}` : ''} (${[...kinds]
        .sort(([, a], [, b]) => b - a)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}; ${state.tasks.length} tasks, their steps last seen ${stepStates()})`,
    );
    for (const v of [...violations, ...failures, ...unexpected].slice(0, 20)) console.error(v);
    if (undocumented.size > 0)
      console.log(
        `hostile run (${label}): statuses the document does not list for the route: ${[...undocumented]
          .map(([k, n]) => `${k.replace(h.api.prefix, '')} ×${n}`)
          .join(', ')}`,
      );
    expect(failures, 'requests without an answer').toEqual([]);
    expect(counts.reduce((n, [, c]) => n + c, 0)).toBe(sent);
    expect(counts.filter(([s]) => s >= 500)).toEqual([]);
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(violations.slice(0, 10)).toEqual([]);
    // Coverage: every route, every query parameter and body field of the document was mutated.
    for (const o of operations) {
      expect(perRoute.get(o.key) ?? 0, o.key).toBeGreaterThan(0);
      for (const q of o.queryParams)
        expect(targets.has(`${o.key} query.${q.name}`), `${o.key} ?${q.name}`).toBe(true);
      for (const q of o.pathParams)
        expect(targets.has(`${o.key} path.${q.name}`), `${o.key} {${q.name}}`).toBe(true);
      for (const f of o.bodyFields ?? [])
        expect(targets.has(`${o.key} body.${f}`), `${o.key} body ${f}`).toBe(true);
    }
    for (const status of [200, 201, 400, 401, 403, 404, 405, 409, 413, 415])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  }, 180_000);

  it('answers /health/live with 200 within a second afterwards', async () => {
    const started = performance.now();
    const live = await send({ method: 'GET', path: `${h.api.prefix}/health/live`, headers: {} });
    expect(live.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    const route = routeOf(h.api.routes, 'GET', `${h.api.prefix}/health/live`);
    expect(route?.permission).toBeNull();
  });
}

describe('hostile run (PGlite)', () => hostileRunCases('pglite', () => createPgliteStore()));
describeWithPostgres('hostile run (PostgreSQL)', (database) =>
  hostileRunCases('postgres', () => createPostgresStore({ connectionString: database().url, poolSize: 4 })),
);
