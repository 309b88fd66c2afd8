/**
 * Interactive documentation from the `swagger-ui-dist` package: its files are read from the
 * package on first use and served by the API itself, so the page needs nothing but this
 * server (no CDN, no validator badge, no external font).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissingPeer, missingPeerMessage, SWAGGER_UI_PEER } from '../../optional-peer';
import { ApiError } from '../api-error';

/** The files of `swagger-ui-dist` the page uses, by the name it asks for. */
export const DOCS_ASSETS = Object.freeze({
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const);

export type DocsAsset = keyof typeof DOCS_ASSETS;

/** The documentation page's files, from `swagger-ui-dist` (an optional peer dependency). */
export interface DocsAssets {
  /**
   * Resolves once `swagger-ui-dist` is found; without it, rejects with a `DOCS_UNAVAILABLE`
   * {@link ApiError} (a 501 problem response) whose detail gives the install command.
   */
  available(): Promise<void>;
  /** One file's bytes (each read once per process); rejects as {@link DocsAssets.available} does. */
  read(name: DocsAsset): Promise<Uint8Array>;
}

/**
 * Where `swagger-ui-dist` is installed. Imported on first use only, so the API loads and serves
 * everything else without it.
 */
async function swaggerUiRoot(): Promise<string> {
  try {
    return (await import('swagger-ui-dist/absolute-path.js')).default();
  } catch (error) {
    if (!isMissingPeer(error, SWAGGER_UI_PEER)) throw error;
    throw new ApiError('DOCS_UNAVAILABLE', missingPeerMessage(SWAGGER_UI_PEER), { cause: error });
  }
}

/** Finds `swagger-ui-dist` on first use and caches its files (a failed lookup is retried). */
export function createDocsAssets(): DocsAssets {
  const cache = new Map<DocsAsset, Promise<Uint8Array>>();
  let root: Promise<string> | undefined;
  const findRoot = () => {
    if (root === undefined) {
      const found = swaggerUiRoot();
      // Not cached when missing, so installing the package needs no restart.
      found.catch(() => {
        if (root === found) root = undefined;
      });
      root = found;
    }
    return root;
  };
  return {
    async available() {
      await findRoot();
    },
    read(name) {
      let asset = cache.get(name);
      if (asset === undefined) {
        asset = findRoot().then((dir) => readFile(join(dir, name)));
        asset.catch(() => cache.delete(name));
        cache.set(name, asset);
      }
      return asset;
    },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Headers of the documentation page: a Content Security Policy that allows only this server's
 * scripts, styles, images and fetches, nothing inline (the page's own script is
 * `/docs/init.js`), no framing, and no MIME sniffing. The browser test loads the page under it
 * and sees no violation.
 */
export const DOCS_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
});

/** The page: Swagger UI pointed at the document, its script served by the API. */
export function docsPage(prefix: string): string {
  const base = escapeHtml(prefix);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tasker API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${base}/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="${base}/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/docs/assets/swagger-ui-bundle.js"></script>
<script src="${base}/docs/init.js"></script>
</body>
</html>
`;
}

/** The script that starts Swagger UI (apart from the page, so a strict CSP can forbid inline scripts). */
export function docsInitScript(prefix: string): string {
  return `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(`${prefix}/openapi.json`)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;
}
