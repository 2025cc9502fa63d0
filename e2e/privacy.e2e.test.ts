/**
 * Privacy: a session requests nothing but the app's own origin and the URL the user gave;
 * the CSP (no unsafe-eval) is never violated; the page is cross-origin isolated. Checked on the
 * dev server and on a production build served by `vite preview`.
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppServer,
  dropPaths,
  launchBrowser,
  openApp,
  SLIDES_DIR,
  startAppServer,
  startFileServer,
  waitForAppState,
  waitForSlide,
  waitForViewerIdle,
} from './harness';

const CMU = resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs');
const TCGA = resolve(SLIDES_DIR, 'TCGA-CR-7395-01A-01-TS1.svs');

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Pan with the mouse, zoom with the wheel, the toolbar's 1:1 and home, open an associated image. */
async function browseAround(page: Page): Promise<void> {
  const box = (await page.getByTestId('viewer').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -240);
  await waitForViewerIdle(page);
  await page.mouse.down();
  await page.mouse.move(cx - 250, cy - 120, { steps: 6 });
  await page.mouse.up();
  await waitForViewerIdle(page);
  await page.getByTestId('zoom-native').click();
  await waitForViewerIdle(page);
  await page.getByRole('button', { name: 'Home' }).click();
  await waitForViewerIdle(page);
}

async function checkDocumentHeaders(page: Page, app: AppServer): Promise<void> {
  const res = await page.request.get(app.url);
  const h = res.headers();
  expect(h['cross-origin-opener-policy']).toBe('same-origin');
  expect(h['cross-origin-embedder-policy']).toBe('require-corp');
  const csp = h['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("'wasm-unsafe-eval'");
  expect(csp).not.toMatch(/'unsafe-eval'/);
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
}

for (const mode of ['dev', 'preview'] as const) {
  describe(`privacy (${mode} server)`, () => {
    let app: AppServer;
    beforeAll(async () => {
      app = await startAppServer({ mode });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('(4) dropping a slide, panning and zooming requests only the app origin; no CSP violation', async () => {
      const s = await openApp(browser, app, { query: 'demo=0' });
      try {
        await checkDocumentHeaders(s.page, app);
        await dropPaths(s.page, [CMU]);
        await waitForSlide(s.page, 'CMU-1-Small-Region.svs');
        await browseAround(s.page);
        await s.page.getByTestId('associated-list').getByText('label').click();
        await s.page.getByTestId('associated-dialog').locator('canvas').waitFor();
        await s.page.keyboard.press('Escape');
        const foreign = s.requests.getForeign([app.origin]);
        expect(foreign).toEqual([]);
        expect(s.requests.requests.length).toBeGreaterThan(3);
        // the dropped file is read locally: nothing with its name goes over the network
        expect(s.requests.requests.filter((r) => r.url.includes('CMU-1'))).toEqual([]);
        expect(s.cspViolations).toEqual([]);
        expect(s.consoleErrors).toEqual([]);
        console.log(`${mode}: ${s.requests.requests.length} requests, all to ${app.origin}`);
      } finally {
        await s.close();
      }
    });

    it('(4) a slide opened by URL adds requests to exactly that URL and nothing else', async () => {
      const server = await startFileServer({ 'CMU-1-Small-Region.svs': CMU }, { ranges: true });
      const slideUrl = server.url('CMU-1-Small-Region.svs');
      const s = await openApp(browser, app, { query: `slide=${encodeURIComponent(slideUrl)}` });
      try {
        await waitForSlide(s.page, 'CMU-1-Small-Region.svs');
        await browseAround(s.page);
        const foreign = s.requests.getForeign([app.origin]);
        expect(foreign.length).toBeGreaterThan(0);
        expect(foreign.filter((r) => r.url !== slideUrl)).toEqual([]);
        expect(s.cspViolations).toEqual([]);
        expect(s.consoleErrors).toEqual([]);
      } finally {
        await s.close();
        await server.close();
      }
    });

    it('(4) a JPEG 2000 slide (OpenJPEG WASM in the slide worker) renders under the CSP', async () => {
      const s = await openApp(browser, app, { query: 'demo=0' });
      try {
        await dropPaths(s.page, [TCGA]);
        const st = await waitForSlide(s.page, 'TCGA-CR-7395-01A-01-TS1.svs');
        expect(st.tilesFailed).toBe(0);
        expect(s.requests.requests.some((r) => r.url.endsWith('.wasm'))).toBe(true);
        expect(s.requests.getForeign([app.origin])).toEqual([]);
        expect(s.cspViolations).toEqual([]);
        expect(s.consoleErrors).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it('(6) the demo opens from the app origin with no CSP violation', async () => {
      const s = await openApp(browser, app);
      try {
        const st = await waitForSlide(s.page, 'C2.tif');
        expect(st.mpp).toBeCloseTo(1.3798, 3);
        await waitForAppState(s.page, (x) => x.tilesLoaded > 10, 30_000, 'demo tiles');
        expect(s.requests.getForeign([app.origin])).toEqual([]);
        expect(s.cspViolations).toEqual([]);
        expect(s.consoleErrors).toEqual([]);
      } finally {
        await s.close();
      }
    });
  });
}
