// `pnpm screenshots`: takes the dashboard's screenshots into docs/, which the READMEs show. The
// scene (an engine on PGlite with a small workload) and the pages are those of the browser test
// test/screenshots.browser.test.ts, which takes the same screenshots into a temporary folder.
// The browser is the tests' one: the system Chromium, or the npm one (@sparticuz/chromium).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chooseBrowser } from '../../../test-support/src/global-setup';
import { startScene, takeScreenshots } from '../test/support/screenshot-scene';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const choice = await chooseBrowser();
if (choice.kind === 'none') {
  console.error(`screenshots: no browser: ${choice.reason}`);
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: choice.executablePath,
  args: [...choice.args],
  headless: true,
});
const scene = await startScene();
try {
  for (const file of await takeScreenshots(browser, scene, docs)) console.log(file);
} finally {
  await scene.close();
  await browser.close();
}
