/** Helpers of the dashboard's browser tests: what a page did, and tokens signed for the API. */
import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';

/** What a page did: console and page errors, CSP violations, and every request it made. */
export interface PageWatch {
  readonly errors: string[];
  readonly violations: string[];
  /** Every requested URL, in order. */
  readonly requested: string[];
  /** The `Authorization` header of each request, in the same order. */
  readonly authorizations: (string | undefined)[];
}

/** Starts recording what `page` does; call before it loads. */
export async function watchPage(page: Page): Promise<PageWatch> {
  const seen: PageWatch = { errors: [], violations: [], requested: [], authorizations: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('request', (r) => {
    seen.requested.push(r.url());
    seen.authorizations.push(r.headers().authorization);
  });
  await page.exposeFunction('reportViolation', (v: string) => seen.violations.push(v));
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
  );
  return seen;
}

/** An HS256 JWT with `claims`, signed here with node:crypto. */
export function signToken(secret: string, claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * Waits until `expression` is true in the page, read every 100 ms. Not `page.waitForFunction`:
 * it polls through `new Function` in the page, which the dashboard's CSP (no `unsafe-eval`)
 * refuses; `page.evaluate` runs through the DevTools protocol.
 */
export async function waitForTrue(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await page.waitForTimeout(100);
  }
}
