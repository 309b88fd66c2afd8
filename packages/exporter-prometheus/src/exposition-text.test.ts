import { describe, expect, it } from 'vitest';
import { escapeLabelValue, escapeTextHelp, formatSeconds, formatValue, labelBlock } from './exposition-text';

describe('exposition text rules', () => {
  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('a\\b')).toBe('a\\\\b');
    expect(escapeLabelValue('say "hi"')).toBe('say \\"hi\\"');
    expect(escapeLabelValue('two\nlines')).toBe('two\\nlines');
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    expect(escapeLabelValue('ünïcødé ✓')).toBe('ünïcødé ✓');
    expect(escapeLabelValue('')).toBe('');
  });

  it('escapes only backslash and newline in text-format HELP', () => {
    expect(escapeTextHelp('a "quoted" \\ help\nline')).toBe('a "quoted" \\\\ help\\nline');
  });

  it('writes +Inf, -Inf and NaN, and numbers that parse back exactly', () => {
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe('-Inf');
    expect(formatValue(Number.NaN)).toBe('NaN');
    for (const v of [0, 1, -1, 0.1, 1e-7, 1.5e21, 123456789.125, Number.MAX_SAFE_INTEGER]) {
      expect(Number(formatValue(v))).toBe(v);
    }
  });

  it('writes OpenMetrics timestamps in seconds', () => {
    expect(formatSeconds(1_700_000_000_250)).toBe('1700000000.25');
  });

  it('builds label blocks, with extra pairs last', () => {
    expect(labelBlock({})).toBe('');
    expect(labelBlock({}, 'le="+Inf"')).toBe('{le="+Inf"}');
    expect(labelBlock({ a: 'x', b: 'y"z' })).toBe('{a="x",b="y\\"z"}');
    expect(labelBlock({ a: 'x' }, 'le="0.5"')).toBe('{a="x",le="0.5"}');
  });
});
