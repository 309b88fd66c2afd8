/** What the dashboard's browser tests share: a JWT signer and a watcher of what a page did. */
import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';

/** The HS256 secret the tests' APIs verify tokens with. */
export const SECRET = 'dashboard-test-secret-of-32-bytes!';

/** An HS256 JWT for `claims`, signed here with node:crypto. */
export function signToken(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** Records a page's console errors, page errors, CSP violations and every requested URL. */
export async function watch(page: Page) {
  const seen = { errors: [] as string[], violations: [] as string[], requested: [] as string[] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('request', (r) => seen.requested.push(r.url()));
  await page.exposeFunction('reportViolation', (v: string) => seen.violations.push(v));
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
  );
  return seen;
}
