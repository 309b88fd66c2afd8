/**
 * The documentation page in Debian's chromium (driven by playwright-core, never a downloaded
 * browser): every operation of the document is listed, and no request leaves 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';

const CHROMIUM = '/usr/bin/chromium';

describe('GET /docs in chromium', () => {
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
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (listed in .ci/debian-packages)`);
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(`${h.base}/docs`, { waitUntil: 'networkidle' });
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
    } finally {
      await browser.close();
    }
  }, 90_000);
});
