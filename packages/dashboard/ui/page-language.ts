/**
 * The language figures are formatted in: the browser's, when Intl takes it.
 *
 * It is worked out before uPlot loads (trend-chart.tsx imports this module just before it),
 * because uPlot makes an `Intl.NumberFormat(navigator.language)` when its module is evaluated,
 * and that throws a RangeError for a tag Intl does not take: headless Chromium started under a
 * POSIX locale reports `en-US@posix`. The throw would stop the whole bundle, every page with
 * it. Such a browser is given a `navigator.language` Intl accepts (the tag without its `@…`
 * modifier, else `en`); a browser whose tag is valid is left as it is.
 */
function valid(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

function checkedLanguage(): string {
  const tag = typeof navigator === 'undefined' ? 'en' : navigator.language;
  if (valid(tag)) return tag;
  const bare = tag.replace(/@.*$/, '');
  const usable = valid(bare) ? bare : 'en';
  Object.defineProperty(navigator, 'language', { value: usable, configurable: true });
  return usable;
}

export const pageLanguage: string = checkedLanguage();
