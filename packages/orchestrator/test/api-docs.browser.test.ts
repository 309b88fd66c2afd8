/**
 * The documentation page in a real Chromium (the system's or the npm one, driven by
 * playwright-core, never a downloaded browser): every operation of the document is listed, and
 * no request leaves 127.0.0.1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../../../test-support/src/browser';
import { createPgliteStore, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';

describeWithBrowser('GET /docs in chromium', (browser) => {
  let store: TaskStore;
  let h: ApiHarness;

  beforeAll(async () => {
    store = await createPgliteStore();
    h = await startApiHarness(store);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
  });

  it('lists every operation, with every request on 127.0.0.1', async () => {
    const page = await browser().newPage();
    try {
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      // Every Content Security Policy violation, as the page sees it.
      const violations: string[] = [];
      await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
      await page.addInitScript(
        "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
      );
      const response = await page.goto(`${h.base}/docs`, { waitUntil: 'networkidle' });
      expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(response?.headers()['x-content-type-options']).toBe('nosniff');
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      const operations = await page.$$eval('.opblock', (blocks) =>
        blocks.map((b) => {
          const method = b.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
          const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
          return `${method} ${path}`;
        }),
      );
      const expected = h.api.routes.map((r) => `${r.method} ${r.path}`);
      expect(operations.sort()).toEqual([...expected].sort());
      expect(requested.length).toBeGreaterThan(3);
      const elsewhere = requested.filter(
        (u) => !u.startsWith('data:') && new URL(u).hostname !== '127.0.0.1',
      );
      expect(elsewhere).toEqual([]);
      expect(requested).toContain(`${h.base}/openapi.json`);
      expect(violations).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
