/**
 * The Handlers page in a real Chromium (the system's or the npm one, driven by playwright-core),
 * against a running engine on PGlite behind the REST API on 127.0.0.1: every registered
 * definition, every version, is drawn with one SVG node per step and one edge per dependency;
 * no console error, no Content Security Policy violation, no request off 127.0.0.1. With JWT on,
 * the page asks for the token, and shows the definitions once it has one.
 */
import {
  createPgliteStore,
  createTasker,
  defineTask,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import { createJwtAuthenticator, createTaskerApi, type RunningServer } from '@tasker/orchestrator/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../../../test-support/src/browser';
import { createTaskerDashboard } from '../src/index';
import { SECRET, signToken, watch } from './support/page-watch';

const ok = async () => 'ok';
const checkout = (version: string, extra: boolean) =>
  defineTask({
    namespace: 'shop',
    name: 'checkout',
    version,
    description: `Checkout ${version}`,
    steps: [
      { name: 'reserve', handler: ok, timeoutMs: 5000 },
      { name: 'charge', dependsOn: ['reserve'], retryLimit: 4, handler: ok },
      { name: 'notify', dependsOn: ['reserve'], skippable: true, handler: ok },
      ...(extra ? [{ name: 'invoice', dependsOn: ['charge'], handler: ok }] : []),
      {
        name: 'ship',
        dependsOn: extra ? ['charge', 'notify', 'invoice'] : ['charge', 'notify'],
        handler: ok,
      },
    ],
  });
const definitions = [
  checkout('1.0.0', false),
  checkout('1.1.0', true),
  defineTask({
    namespace: 'ops',
    name: 'audit',
    version: '2.0.0',
    steps: [
      { name: 'collect', handler: ok },
      { name: 'verify', dependsOn: ['collect'], retryable: false, handler: ok },
      { name: 'report', dependsOn: ['verify'], handler: ok },
    ],
  }),
  defineTask({ namespace: 'ops', name: 'ping', version: '0.1.0', steps: [{ name: 'ping', handler: ok }] }),
];

/** What the page drew for every version: each task's versions picked in turn. */
async function drawn(page: Page) {
  const out: { id: string | null; nodes: (string | null)[]; edges: string[] }[] = [];
  const tasks = await page.$$('[data-task]');
  for (const task of tasks) {
    const select = await task.$('select');
    const options =
      (await select?.$$eval('option', (o) => o.map((x) => x.getAttribute('value') ?? ''))) ?? [];
    for (const value of options) {
      await select?.selectOption(value);
      out.push(
        await task.$eval('[data-definition]', (a) => ({
          id: a.getAttribute('data-definition'),
          nodes: [...a.querySelectorAll('svg g.node')].map((g) => g.getAttribute('data-step')).sort(),
          edges: [...a.querySelectorAll('svg path.edge')]
            .filter((p) => (p.getAttribute('d') ?? '').startsWith('M'))
            .map((p) => `${p.getAttribute('data-from')}->${p.getAttribute('data-to')}`)
            .sort(),
        })),
      );
    }
  }
  return out.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

function expected() {
  return definitions
    .map((d) => ({
      id: `${d.namespace}/${d.name}/${d.version}`,
      nodes: d.steps.map((s) => s.name).sort(),
      edges: d.steps.flatMap((s) => s.dependsOn.map((p) => `${p}->${s.name}`)).sort(),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describeWithBrowser('the dashboard in chromium', (browser) => {
  let store: TaskStore;
  let tasker: Tasker;
  const servers: RunningServer[] = [];

  let context: BrowserContext;
  let keeper: Page | undefined;

  beforeAll(async () => {
    // One context, and a page open in it for the whole suite: the npm Chromium runs as a single
    // process, which exits when its last page (or context) closes.
    context = await browser().newContext();
    keeper = await context.newPage();
    store = await createPgliteStore();
    tasker = createTasker({ store, tasks: definitions, onError: () => {} });
    await tasker.start();
  }, 60_000);
  afterAll(async () => {
    // The browser side first: once its connections are gone, no server waits on one to close.
    await keeper?.close();
    await context?.close();
    for (const s of servers) await s.close();
    await tasker?.stop();
    await store?.close();
  });

  it('draws every definition: one node per step and one edge per dependency', async () => {
    const api = createTaskerApi({ tasker });
    const dashboard = createTaskerDashboard({ api });
    const server = await api.listen();
    servers.push(server);
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      const response = await page.goto(`${server.url}${dashboard.path}#handlers`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForSelector('[data-definition]', { timeout: 15_000 });
      expect(await drawn(page)).toEqual(expected());
      // Each node shows its handler, retry limit, timeout and skippable flag (drawn() leaves the latest version picked).
      const charge = await page.textContent(
        '[data-definition="shop/checkout/1.1.0"] g.node[data-step="charge"]',
      );
      expect(charge).toContain('retries 4');
      const reserve = await page.textContent(
        '[data-definition="shop/checkout/1.1.0"] g.node[data-step="reserve"]',
      );
      expect(reserve).toContain('timeout 5s');
      const notify = await page.textContent(
        '[data-definition="shop/checkout/1.1.0"] g.node[data-step="notify"]',
      );
      expect(notify).toContain('skippable');
      expect(notify).toContain('ƒ ok');
      // The version picker: 1.1.0 (latest) against 1.0.0, by text and mark.
      const checkout = page.locator('[data-task="shop/checkout"]');
      await checkout.locator('select').selectOption({ label: '1.1.0 (latest)' });
      expect(await checkout.locator('[data-diff]').textContent()).toBe(
        'Since 1.0.0: 1 new, 1 changed, none removed.',
      );
      expect(
        await checkout
          .locator('g.node[data-mark]')
          .evaluateAll((gs) =>
            gs.map((g) => `${g.getAttribute('data-step')} ${g.getAttribute('data-mark')}`),
          ),
      ).toEqual(['invoice added', 'ship changed']);
      expect(await checkout.locator('g.node[data-step="invoice"]').textContent()).toContain('＋ new');
      await checkout.locator('select').selectOption({ label: '1.0.0' });
      expect(await checkout.locator('[data-diff]').count()).toBe(0);
      expect(await checkout.locator('g.node[data-mark]').count()).toBe(0);
      // Keyboard: from the last navigation link, Tab reaches the first task's version picker, then
      // its DAG's steps in order.
      await page.focus('nav a:last-child');
      const focused: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        focused.push(await page.evaluate("document.activeElement?.getAttribute('data-step') ?? null"));
      }
      expect(focused).toEqual([null, 'collect', 'verify']);
      // Light and dark follow the system's preference.
      const colours =
        "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.querySelector('g.node rect')).fill]";
      await page.emulateMedia({ colorScheme: 'light' });
      const light = await page.evaluate(colours);
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await page.evaluate(colours);
      expect(light).toEqual(['rgb(247, 247, 248)', 'rgb(238, 243, 253)']);
      expect(dark).toEqual(['rgb(21, 23, 26)', 'rgb(31, 42, 64)']);
      expect(seen.errors).toEqual([]);
      expect(seen.violations).toEqual([]);
      expect(seen.requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
      expect(seen.requested).toContain(`${server.url}${api.prefix}/handlers`);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('with JWT on, asks for a token, keeps it out of storage and URLs, then draws the definitions', async () => {
    const authenticate = createJwtAuthenticator({ secret: SECRET });
    const api = createTaskerApi({ tasker, auth: { authenticate } });
    const dashboard = createTaskerDashboard({ api });
    const server = await api.listen();
    servers.push(server);
    const token = signToken({
      sub: 'ada',
      exp: Math.floor(Date.now() / 1000) + 600,
      permissions: ['tasker.handler:index', 'tasker.handler:show'],
    });
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.goto(`${server.url}${dashboard.path}#handlers`);
      await page.waitForSelector('input#token', { timeout: 15_000 });
      await page.fill('input#token', 'not-a-token');
      await page.press('input#token', 'Enter');
      await page.waitForSelector('text=The API refused that token.', { timeout: 15_000 });
      await page.fill('input#token', token);
      await page.press('input#token', 'Enter');
      await page.waitForSelector('[data-definition]', { timeout: 15_000 }).catch(async (e) => {
        throw new Error(`${e}; page says: ${await page.textContent('main')}`);
      });
      expect(await drawn(page)).toEqual(expected());
      // The page's own globals, read as text: this file is type-checked without the DOM library.
      const stored = await page.evaluate(
        '({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie })',
      );
      expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
      expect(seen.requested.filter((u) => u.includes(token))).toEqual([]);
      // The refused token's 401s are expected console errors of the browser's own; nothing else.
      expect(seen.errors.filter((e) => !e.includes('401'))).toEqual([]);
      expect(seen.violations).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
