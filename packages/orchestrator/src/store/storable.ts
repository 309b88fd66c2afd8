/**
 * What PostgreSQL can store: the store refuses any other value with a typed error (code
 * `INPUT_INVALID`, naming the field) before it reaches a driver.
 *
 * - Text may not contain U+0000: `text` columns refuse it ("invalid byte sequence 0x00") and so
 *   does `jsonb` ("unsupported Unicode escape sequence").
 * - Text must be well-formed UTF-16: a lone surrogate (`"\ud800"`) is refused by `jsonb` and
 *   silently stored as U+FFFD in `text`.
 * - JSON values nest at most {@link MAX_STORED_DEPTH} levels: `JSON.stringify` recurses, and
 *   overflows the stack at a few thousand.
 *
 * The walk is iterative (an explicit stack), so that a value nested far deeper than the limit
 * cannot overflow the stack while it is checked. Object keys are text too.
 */
import { TaskerError } from '../errors';

/** The deepest JSON value the store accepts (an object or array inside another counts one). */
export const MAX_STORED_DEPTH = 512;

const NUL = '\u0000';

/** What is wrong with a text, or undefined when it is storable. */
export function textProblem(text: string): string | undefined {
  if (text.includes(NUL)) return 'contains U+0000 (NUL), which PostgreSQL cannot store';
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed())
    return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** `text` with U+0000 and lone surrogates replaced by U+FFFD (for messages that quote it). */
export function replaceUnstorable(text: string): string {
  return (text as string & { toWellFormed(): string }).toWellFormed().replaceAll(NUL, '\ufffd');
}

/** Where in a JSON value: `$`, `$.a`, `$.a[2]`, `$["odd key"]`. */
export function pathOf(segments: readonly (string | number)[]): string {
  let path = '$';
  for (const s of segments) {
    if (typeof s === 'number') path += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) path += `.${s}`;
    else path += `[${JSON.stringify(replaceUnstorable(s))}]`;
  }
  return path;
}

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

function segmentsOf(frame: Frame): (string | number)[] {
  const out: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) out.push(f.key);
  return out.reverse();
}

/** A problem in a JSON value, and where: `path` is `$`, `$.a`, `$.a[1]`, `$["odd key"]`. */
export interface JsonProblem {
  readonly path: string;
  readonly problem: string;
}

/**
 * The first problem in a JSON value, or undefined when every text in it (keys included) is
 * storable and it nests at most `maxDepth` levels.
 */
export function jsonProblem(value: unknown, maxDepth: number = MAX_STORED_DEPTH): JsonProblem | undefined {
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const v = frame.value;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem !== undefined) return { path: pathOf(segmentsOf(frame)), problem };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth)
      return {
        path: pathOf(segmentsOf(frame)),
        problem: `nests deeper than ${maxDepth} levels (the most the store accepts)`,
      };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: frame, key: i });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const problem = textProblem(key);
      if (problem !== undefined)
        return { path: pathOf([...segmentsOf(frame), key]), problem: `(a key) ${problem}` };
      stack.push({ value: (v as Record<string, unknown>)[key], depth, parent: frame, key });
    }
  }
  return undefined;
}

/** Throws `INPUT_INVALID` naming `field` when `value` (a text or undefined) is not storable. */
export function assertStorableText(field: string, value: string | null | undefined): void {
  if (value === undefined || value === null) return;
  const problem = textProblem(value);
  if (problem !== undefined) throw new TaskerError('INPUT_INVALID', `${field}: ${problem}`);
}

/** Throws `INPUT_INVALID` naming `field` (and the path inside it) when a JSON value is not storable. */
export function assertStorableJson(field: string, value: unknown): void {
  const found = jsonProblem(value);
  if (found !== undefined)
    throw new TaskerError('INPUT_INVALID', `${field}${found.path.slice(1)}: ${found.problem}`);
}
