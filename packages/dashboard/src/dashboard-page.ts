/** The dashboard's HTML shell and the headers every answer of the mount carries. */

/**
 * A Content Security Policy that allows only this server's scripts, styles, images and fetches:
 * no inline script or style, no CDN, no remote font, no framing. The browser test loads the page
 * under it and sees no violation.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page: the app's script and style, and where the API and the live feed are (`meta` tags the
 * script reads, so nothing is inline).
 */
export function dashboardPage(at: {
  prefix: string;
  mountPath: string;
  livePath: string;
  version: string;
}): string {
  const mount = escapeHtml(at.mountPath);
  const v = encodeURIComponent(at.version);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tasker</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="tasker-api" content="${escapeHtml(at.prefix)}">
<meta name="tasker-live" content="${escapeHtml(at.livePath)}">
<link rel="icon" type="image/svg+xml" href="${mount}/favicon.svg?v=${v}">
<link rel="stylesheet" href="${mount}/app.css?v=${v}">
<script type="module" src="${mount}/app.js?v=${v}"></script>
</head>
<body>
<noscript>The Tasker dashboard needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`;
}
