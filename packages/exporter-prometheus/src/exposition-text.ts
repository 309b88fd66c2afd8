/**
 * The escaping and number rules of the two exposition formats.
 *
 * - Label values, both formats: `\` → `\\`, `"` → `\"`, newline → `\n`.
 * - HELP, text 0.0.4: `\` → `\\`, newline → `\n` (quotes stay as they are).
 * - HELP, OpenMetrics 1.0: like label values (`"` is escaped too).
 * - Values: `+Inf`, `-Inf`, `NaN`, else the shortest round-trip decimal (JavaScript's, which
 *   Go's `ParseFloat` and Python's `float` read back exactly).
 * - OpenMetrics timestamps (`_created`, exemplars) are seconds since the epoch.
 */

const NEEDS_ESCAPE = /[\\"\n]/;
const NEEDS_TEXT_HELP_ESCAPE = /[\\\n]/;

/** Escapes a label value (both formats) or an OpenMetrics HELP text. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes a HELP text for the text 0.0.4 format. */
export function escapeTextHelp(help: string): string {
  if (!NEEDS_TEXT_HELP_ESCAPE.test(help)) return help;
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as both formats write it. */
export function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

/** Epoch milliseconds as OpenMetrics seconds. */
export function formatSeconds(epochMs: number): string {
  return String(epochMs / 1000);
}

/** `{a="x",b="y"}` for label pairs, or `` when there are none; `extra` is appended raw. */
export function labelBlock(labels: Readonly<Record<string, string>>, extra?: string): string {
  let out = '';
  for (const name in labels) {
    out += `${out.length === 0 ? '' : ','}${name}="${escapeLabelValue(labels[name] as string)}"`;
  }
  if (extra !== undefined) out += `${out.length === 0 ? '' : ','}${extra}`;
  return out.length === 0 ? '' : `{${out}}`;
}
