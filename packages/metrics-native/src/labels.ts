import { LABEL_NAME } from './metric-name';

/**
 * The label values of one series of an instrument whose label names are `L`: one string per
 * name. A wrong or missing name is a compile error.
 *
 * @example
 * ```ts
 * const requests = registry.counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['method', 'status'] });
 * requests.inc({ method: 'GET', status: '200' });
 * ```
 */
export type LabelValues<L extends string> = { readonly [K in L]: string };

/**
 * The labels of an exemplar, such as `{ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }`. At most
 * 128 characters of names and values together (the OpenMetrics limit).
 */
export type ExemplarLabels = Readonly<Record<string, string>>;

/** The OpenMetrics limit on the characters of an exemplar's label names and values together. */
export const MAX_EXEMPLAR_CHARS = 128;

/**
 * Why `labels` cannot be an exemplar's labels, or undefined when it can. Not on the plain update
 * path: it runs only for updates that carry an exemplar.
 */
export function exemplarProblem(labels: unknown): string | undefined {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return 'expected an object of label name → string value';
  }
  // UTF-16 lengths first: a string has at most as many code points as UTF-16 units, so code
  // points are counted only when the lengths exceed the limit (a trace id's labels never do).
  let units = 0;
  let count = 0;
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    const value = (labels as Record<string, unknown>)[name];
    if (!validExemplarName(name))
      return `exemplar label name ${JSON.stringify(name)} is not a valid label name`;
    if (typeof value !== 'string') return `exemplar label "${name}" must be a string`;
    units += name.length + value.length;
    count++;
  }
  if (count === 0) return 'expected at least one exemplar label';
  if (units <= MAX_EXEMPLAR_CHARS) return undefined;
  let chars = 0;
  for (const name in labels) {
    if (!Object.hasOwn(labels, name)) continue;
    chars += codePoints(name) + codePoints((labels as Record<string, string>)[name] as string);
  }
  if (chars > MAX_EXEMPLAR_CHARS) {
    return `exemplar labels have ${chars} characters, more than the ${MAX_EXEMPLAR_CHARS} OpenMetrics allows`;
  }
  return undefined;
}

/** Exemplar label names already found valid: a few names (`trace_id`, `span_id`) come every time. */
const validNames = new Set<string>();

function validExemplarName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!LABEL_NAME.test(name)) return false;
  if (validNames.size < 256) validNames.add(name);
  return true;
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
