/**
 * A headless Chromium for tests, driven by playwright-core (which never downloads a browser):
 * the system's `/usr/bin/chromium` when it exists, else the one from npm (`@sparticuz/chromium`);
 * `TASKER_TEST_BROWSER=npm` forces the npm one. The global setup decides and unpacks it once
 * per run; every browser test gets it through {@link describeWithBrowser}.
 */
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, inject } from 'vitest';
import { describeUnavailable } from './postgres';
import type { BrowserResource, TaskerTestMeta } from './resources';

/** The run's browser as the global setup decided it. */
export function testBrowser(): BrowserResource {
  try {
    return inject('taskerBrowser') ?? { kind: 'none', reason: 'no global setup chose a browser' };
  } catch {
    return { kind: 'none', reason: 'no global setup chose a browser' };
  }
}

/** Launches the run's browser; the caller closes it. */
export async function launchTestBrowser(): Promise<Browser> {
  const choice = testBrowser();
  if (choice.kind === 'none') throw new Error(choice.reason);
  return await chromium.launch({
    executablePath: choice.executablePath,
    args: [...choice.args],
    headless: true,
  });
}

/**
 * `describe` for a suite that needs a browser: one browser is launched for the suite and closed
 * after it. Without a browser the suite skips with the reason (fails under `TASKER_CI=1`).
 */
export function describeWithBrowser(title: string, body: (browser: () => Browser) => void): void {
  const choice = testBrowser();
  if (choice.kind === 'none') {
    describeUnavailable(title, 'a browser', choice.reason);
    return;
  }
  describe(title, () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      browser = await launchTestBrowser();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });
    beforeEach(({ task }) => {
      (task.meta as TaskerTestMeta).taskerBrowser = choice.label;
    });
    body(() => {
      if (browser === undefined) throw new Error('the browser is not launched yet');
      return browser;
    });
  });
}
