import { describe, expect, it } from 'vitest';
import { jsonDepthOver } from './json-depth';

describe('JSON body depth', () => {
  it('counts objects and arrays inside one another, not brackets inside strings', () => {
    expect(jsonDepthOver('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(jsonDepthOver('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(jsonDepthOver(`{"s":"${'['.repeat(100)}"}`, 1)).toBe(false);
    // An escaped quote does not end the string; an escaped backslash before the quote does.
    expect(jsonDepthOver(String.raw`{"s":"\"[[[[","t":"\\"}`, 1)).toBe(false);
    expect(jsonDepthOver(String.raw`{"s":"\\","t":[[1]]}`, 2)).toBe(true);
    expect(jsonDepthOver('[],[],[]', 1)).toBe(false);
  });

  it('scans 400,000 levels in one pass', () => {
    const deep = `${'['.repeat(400_000)}${']'.repeat(400_000)}`;
    expect(jsonDepthOver(deep, 64)).toBe(true);
    expect(jsonDepthOver(deep, 400_000)).toBe(false);
  });
});
