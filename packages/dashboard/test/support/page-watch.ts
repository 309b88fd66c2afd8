/**
 * What the dashboard's browser tests share: an HS256 JWT signed here, and a watch over a page
 * that records its console errors, page errors, Content Security Policy violations and every
 * URL it requests (to check that none leaves 127.0.0.1).
 */
import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';

/** The secret the tests' JWT authenticators verify with. */
export const SECRET = 'dashboard-test-secret-of-32-bytes!';

/** An HS256 JWT, signed here with node:crypto. */
export function signToken(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** A token for `sub` holding `permissions`, valid for ten minutes. */
export function tokenWith(sub: string, permissions: readonly string[]): string {
  return signToken({ sub, exp: Math.floor(Date.now() / 1000) + 600, permissions });
}

/**
 * Records console errors, page errors, CSP violations, every requested URL and, in the same
 * order, each request's `Authorization` header.
 */
export async function watch(page: Page) {
  const seen = {
    errors: [] as string[],
    violations: [] as string[],
    requested: [] as string[],
    authorizations: [] as (string | undefined)[],
  };
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

/** The requested URLs whose host is not 127.0.0.1. */
export function offHost(requested: readonly string[]): string[] {
  return requested.filter((u) => new URL(u).hostname !== '127.0.0.1');
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
