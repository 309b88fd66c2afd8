/**
 * Span attributes from user data (custom event payloads, extra step attributes), with
 * sensitive fields filtered: a field whose name contains one of the patterns
 * (case-insensitive) keeps its key and gets the value `[FILTERED]`, as in the original Tasker.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';

/** The original Tasker's defaults. */
export const DEFAULT_SENSITIVE_FIELDS: readonly string[] = Object.freeze([
  'passw',
  'secret',
  'token',
  '_key',
  'crypt',
  'salt',
  'certificate',
  'otp',
  'ssn',
]);

export const FILTERED = '[FILTERED]';

/** Turns records into `tasker.`-prefixed attributes with sensitive fields filtered. */
export class AttributeFilter {
  readonly #patterns: readonly string[];
  readonly #verdicts = new Map<string, boolean>();

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map((p) => p.toLowerCase());
  }

  /** True when `field` names something sensitive. */
  isSensitive(field: string): boolean {
    let v = this.#verdicts.get(field);
    if (v === undefined) {
      const lower = field.toLowerCase();
      v = this.#patterns.some((p) => lower.includes(p));
      if (this.#verdicts.size < 1000) this.#verdicts.set(field, v);
    }
    return v;
  }

  /**
   * Adds the primitive fields of `record` to `into` as `tasker.<field>` (nested objects are
   * left out: attributes are flat); strings are cut at 1000 characters.
   */
  addAttributes(into: Attributes, record: unknown, skip?: ReadonlySet<string>): Attributes {
    if (typeof record !== 'object' || record === null) return into;
    for (const [field, value] of Object.entries(record)) {
      if (skip?.has(field)) continue;
      const attribute = attributeValue(value);
      if (attribute === undefined) continue;
      into[field.startsWith('tasker.') ? field : `tasker.${field}`] = this.isSensitive(field)
        ? FILTERED
        : attribute;
    }
    return into;
  }
}

function attributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return value.length > 1000 ? `${value.slice(0, 1000)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  return undefined;
}
