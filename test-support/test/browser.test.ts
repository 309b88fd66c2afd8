/**
 * The browser helper itself: the run's Chromium (the system's, or the npm one when there is none
 * or `TASKER_TEST_BROWSER=npm` forces it) loads a page from 127.0.0.1 and runs its JavaScript.
 * `.ci/run` runs this file once with the npm browser forced, so CI proves the fallback of a bare
 * machine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser, testBrowser } from '../src/browser';

describeWithBrowser('the test browser', (browser) => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<p id="out">static</p><script>document.getElementById('out').textContent = 'ran ' + location.pathname;</script>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('is the browser the environment asks for', () => {
    const forced = process.env.TASKER_TEST_BROWSER;
    const kind = testBrowser().kind;
    if (forced === 'npm' || forced === 'system') expect(kind).toBe(forced);
    else expect(['system', 'npm']).toContain(kind);
  });

  it('loads a page from 127.0.0.1 and runs its script', async () => {
    const page = await browser().newPage();
    try {
      await page.goto(`${base}/hello`);
      expect(await page.textContent('#out')).toBe('ran /hello');
    } finally {
      await page.close();
    }
  });
});
