/**
 * `npm run bench:pan [-- --rounds N]`: does holding the dense heatmap while the user pans help the
 * viewer? The demo case opens; once its heatmap is being refined over the orientations, the view is
 * zoomed in and panned 5 times (animated, as a drag or key press does), and each pan is timed from
 * panBy() until the viewer has stopped moving and every tile of the new view is drawn. The app's
 * default (the heatmap waits while the viewport moves, `?hold=1`) alternates with `?hold=0` in the
 * same command; it prints each run, the medians and their ratio. The pan animation alone takes
 * about 0.6 s (OpenSeadragon's animationTime), so that is the floor.
 */
import type { Browser } from 'playwright-core';
import { basename, resolve } from 'node:path';
import { type AppServer, launchBrowser, openApp, startAppServer, startFileServer } from '../e2e/harness.ts';

const argv = process.argv.slice(2);
const ROUNDS = Number(argv[argv.indexOf('--rounds') + 1]) || 3;
/** `--slide <path>`: a slide opened alone by URL (its dense heatmap runs) instead of the demo case */
const SLIDE = argv.includes('--slide') ? argv[argv.indexOf('--slide') + 1] : null;
const PANS = 5;

interface ViewerLike {
  viewport: { zoomTo(z: number, p?: unknown, immediately?: boolean): void; panBy(d: unknown, immediately?: boolean): void; getZoom(): number; getCenter(): object };
  world: { getItemAt(i: number): { getFullyLoaded(): boolean } };
  isAnimating(): boolean;
}

async function getPanTimes(browser: Browser, app: AppServer, query: string): Promise<number[]> {
  const { page, close } = await openApp(browser, app, { query, viewport: { width: 1280, height: 800 } });
  try {
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { fusescope?: { model?: { getState(): { progress: { stage: string } | null } } } }).fusescope?.model?.getState();
        return Boolean(s?.progress && /orientations/.test(s.progress.stage));
      },
      null,
      { timeout: 120_000, polling: 200 },
    );
    return await page.evaluate(async (pans) => {
      const v = (window as unknown as { fusescope: { viewer: { getState(): { viewer: ViewerLike } } } }).fusescope.viewer.getState().viewer;
      // (no named helpers in here: tsx would wrap them in a __name() the page does not have)
      v.viewport.zoomTo(v.viewport.getZoom() * 6, undefined, true);
      while (!(v.world.getItemAt(0).getFullyLoaded() && !v.isAnimating())) await new Promise((r) => setTimeout(r, 20));
      const times: number[] = [];
      for (let k = 0; k < pans; k++) {
        const d = Object.assign(Object.create(Object.getPrototypeOf(v.viewport.getCenter())), { x: (k % 2 ? -1 : 1) * 0.06, y: 0.04 * ((k % 3) - 1) });
        const t0 = performance.now();
        v.viewport.panBy(d);
        await new Promise((r) => setTimeout(r, 50));
        while (!(v.world.getItemAt(0).getFullyLoaded() && !v.isAnimating())) await new Promise((r) => setTimeout(r, 20));
        times.push(Math.round(performance.now() - t0));
      }
      return times;
    }, PANS);
  } finally {
    await close();
  }
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const app = await startAppServer();
const browser = await launchBrowser();
const files = SLIDE ? await startFileServer({ [basename(SLIDE)]: resolve(SLIDE) }, { ranges: true }) : null;
const base = files && SLIDE ? `demo=0&slide=${encodeURIComponent(files.url(basename(SLIDE)))}&` : '';
try {
  const all: Record<string, number[]> = { 'hold=1': [], 'hold=0': [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of Object.keys(all)) {
      const t = await getPanTimes(browser, app, base + q);
      all[q].push(...t);
      console.log(`round ${r + 1} ?${q}: ms per pan until the new view is drawn ${JSON.stringify(t)}`);
    }
  }
  const held = median(all['hold=1']);
  const free = median(all['hold=0']);
  console.log(`median ms per pan: heatmap held while panning ${held}, not held ${free}; ratio ${(held / free).toFixed(2)}x (floor: the 0.6 s pan animation)`);
} finally {
  await browser.close();
  await app.close();
  await files?.close();
}
