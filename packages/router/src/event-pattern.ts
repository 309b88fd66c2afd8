/**
 * Event-name patterns, and which pattern wins when several match.
 *
 * A name is dot-separated segments (`step.completed`). A mapping's `eventName` may use:
 * - `*` for exactly one segment: `step.*` matches `step.completed`, not `step.a.b`;
 * - `**` as the last segment, for one or more segments: `observability.**` matches
 *   `observability.step.backoff`. A lone `**` matches every event.
 *
 * Specificity, when several mappings of one layer match a name (a user mapping beats every
 * default one first: see `mapping-layers.ts`): compare the patterns segment by segment,
 * left to right; at the first position where they differ, a literal beats `*` and `*` beats
 * `**`. So an exact name beats every pattern, `step.*` beats `*.completed`, and `a.*.**` beats
 * `a.**`. When one pattern runs out first at equal ranks, the longer one wins. Two distinct
 * patterns that match the same name always differ somewhere, so the winner is never a tie.
 */

const LITERAL = 0;
const STAR = 1;
const GLOBSTAR = 2;
type SegmentKind = typeof LITERAL | typeof STAR | typeof GLOBSTAR;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const EVENT_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/;

/** A parsed pattern. `exact` is true when it has no wildcard. */
export interface EventPattern {
  readonly source: string;
  readonly exact: boolean;
  readonly segments: readonly string[];
  readonly kinds: readonly SegmentKind[];
}

/**
 * Why `source` is not a valid name or pattern, or `undefined` when it is valid.
 */
export function patternProblem(source: string): string | undefined {
  if (source.length === 0) return 'must not be empty';
  const segments = source.split('.');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '**') {
      if (i !== segments.length - 1) return `"**" may only be the last segment, in "${source}"`;
      continue;
    }
    if (segment === '*') continue;
    if (segment.length === 0) return `has an empty segment, in "${source}"`;
    if (!SEGMENT.test(segment)) {
      return `segment "${segment}" may hold only letters, digits, "_" and "-" (or be "*" / "**")`;
    }
  }
  return undefined;
}

/** Parses a pattern that {@link patternProblem} accepted. */
export function parseEventPattern(source: string): EventPattern {
  const segments = source.split('.');
  const kinds = segments.map((s): SegmentKind => (s === '**' ? GLOBSTAR : s === '*' ? STAR : LITERAL));
  return Object.freeze({
    source,
    exact: kinds.every((k) => k === LITERAL),
    segments: Object.freeze(segments),
    kinds: Object.freeze(kinds),
  });
}

/** True when `name` (already split on dots) matches `pattern`. */
export function patternMatches(pattern: EventPattern, nameSegments: readonly string[]): boolean {
  const { segments, kinds } = pattern;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i];
    if (kind === GLOBSTAR) return nameSegments.length > i;
    if (i >= nameSegments.length) return false;
    if (kind === LITERAL && segments[i] !== nameSegments[i]) return false;
  }
  return nameSegments.length === kinds.length;
}

/**
 * Orders patterns from most to least specific (the rule in this file's header): negative when
 * `a` is more specific than `b`.
 */
export function compareSpecificity(a: EventPattern, b: EventPattern): number {
  const n = Math.min(a.kinds.length, b.kinds.length);
  for (let i = 0; i < n; i++) {
    const diff = (a.kinds[i] as number) - (b.kinds[i] as number);
    if (diff !== 0) return diff;
  }
  return b.kinds.length - a.kinds.length;
}

/** True for a concrete dotted event name such as `order.fulfilled` (no wildcards). */
export function isDottedEventName(name: string): boolean {
  return EVENT_NAME.test(name);
}
