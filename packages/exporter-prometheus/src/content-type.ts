/** The two exposition formats. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** Prometheus text format 0.0.4. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** OpenMetrics 1.0.0. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The content type of a format. */
export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

interface MediaRange {
  readonly type: string;
  readonly version: string | undefined;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [typePart, ...params] = part.split(';');
    const type = (typePart ?? '').trim().toLowerCase();
    if (type.length === 0) continue;
    let q = 1;
    let version: string | undefined;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const key = param.slice(0, eq).trim().toLowerCase();
      const value = param
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
      if (key === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      } else if (key === 'version') {
        version = value;
      }
    }
    ranges.push({ type, version, q });
  }
  return ranges;
}

/**
 * Picks the format for an `Accept` header, by q-value: OpenMetrics 1.0 when the client ranks
 * `application/openmetrics-text` (version 1.0.0 or unversioned) at least as high as anything
 * else it accepts, else text 0.0.4, which every scraper reads. Prometheus 2.x asks for
 * OpenMetrics first.
 */
export function negotiateFormat(accept: string | null | undefined): ExpositionFormat {
  if (accept === null || accept === undefined || accept.length === 0) return 'text';
  let openMetrics = 0;
  let other = 0;
  for (const range of parseAccept(accept)) {
    if (range.type === 'application/openmetrics-text') {
      if (range.version === undefined || range.version === '1.0.0')
        openMetrics = Math.max(openMetrics, range.q);
    } else {
      other = Math.max(other, range.q);
    }
  }
  return openMetrics > 0 && openMetrics >= other ? 'openmetrics' : 'text';
}

/** True when an `Accept-Encoding` header accepts gzip (q above 0). */
export function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  if (acceptEncoding === null || acceptEncoding === undefined) return false;
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.split(';');
    const name = (coding ?? '').trim().toLowerCase();
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
