/**
 * The dashboard's screenshots, taken in a real Chromium from the scene `pnpm screenshots` uses,
 * into a temporary folder: each is a PNG of the laptop-sized viewport (or of the whole page), and the pages drew (each
 * shot waits for its page's content; see SHOTS).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../../../test-support/src/browser';
import { type Scene, SHOTS, startScene, takeScreenshots } from './support/screenshot-scene';

describeWithBrowser('the dashboard screenshots', (browser) => {
  let scene: Scene;
  const dir = mkdtempSync(join(tmpdir(), 'tasker-dashboard-shots-'));
  beforeAll(async () => {
    scene = await startScene();
  }, 90_000);
  afterAll(async () => {
    await scene?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes one PNG per page, 1280 wide, 800 high or the whole page', async () => {
    const files = await takeScreenshots(browser(), scene, dir);
    expect(files.map((f) => basename(f))).toEqual(SHOTS.map((s) => s.file));
    for (const [i, file] of files.entries()) {
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // The IHDR chunk: width and height, big-endian, at bytes 16 and 20.
      expect(png.readUInt32BE(16)).toBe(1280);
      if (SHOTS[i]?.fullPage) expect(png.readUInt32BE(20)).toBeGreaterThan(800);
      else expect(png.readUInt32BE(20)).toBe(800);
    }
  }, 120_000);
});
