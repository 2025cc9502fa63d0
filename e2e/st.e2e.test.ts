/**
 * The ST overlay in real Chromium on real data: HER2ST C2 (full-resolution 9274 x 9911 JPEG)
 * with its counts and spot selection dropped onto it; spots drawn where the selection file's
 * pixel_x / pixel_y put them (checked on screenshot pixels and on deck's projection, before and
 * after a pan + zoom); ERBB2 recolouring with its legend range; bad ST input keeps the slide and
 * the spots; a Visium spatial/ folder without a matrix opens its hires image and lands on it.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppPage,
  type AppServer,
  DATA_DIR,
  dropPaths,
  FIXTURES_DIR,
  getAppState,
  HER2ST_DIR,
  launchBrowser,
  openApp,
  REPO_ROOT,
  screenshotViewer,
  startAppServer,
  waitForAppState,
  waitForSlide,
  waitForViewerIdle,
} from './harness';

const C2_IMAGE = resolve(HER2ST_DIR, 'images/C2.jpg');
const C2_COUNTS = resolve(HER2ST_DIR, 'counts/C2.tsv.gz');
const C2_SPOTS = resolve(HER2ST_DIR, 'spots/C2_selection.tsv');
const VISIUM_SPATIAL = resolve(DATA_DIR, 'visium/ovarian_cancer/spatial');
const NOT_ST_H5 = resolve(FIXTURES_DIR, 'st/bad/not_st.h5');
const OUT = resolve(REPO_ROOT, 'e2e/out');
/** the bundled demo folder: a slide (C2.tif, half size) and its ST files side by side */
const DEMO_DIR = resolve(REPO_ROOT, 'public/demo');

// ------------------------------------------------------------------ reference data (Node side)

interface RefSpot {
  id: string;
  x: number;
  y: number;
}

/** Spot centres straight from the selection file (selected = 1), full-resolution image pixels. */
function getSelectionSpots(path = C2_SPOTS): RefSpot[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  const col = (n: string) => head.indexOf(n);
  return lines
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c[col('selected')] === '1')
    .map((c) => ({ id: `${c[col('x')]}x${c[col('y')]}`, x: Number(c[col('pixel_x')]), y: Number(c[col('pixel_y')]) }));
}

/** log1p(CP10k) of one gene per spot id, from the counts file. */
function getGeneLog1pCp10k(gene: string): Map<string, number> {
  const lines = gunzipSync(readFileSync(C2_COUNTS)).toString('utf8').trimEnd().split('\n');
  const genes = lines[0].split('\t');
  const g = genes.indexOf(gene);
  const out = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const c = line.split('\t');
    let total = 0;
    for (let i = 1; i < c.length; i++) total += Number(c[i]);
    out.set(c[0], Math.log1p((Number(c[g]) / total) * 10_000));
  }
  return out;
}

/** Visium positions (in tissue) mapped to the hires image. */
function getVisiumHiresSpots(): RefSpot[] {
  const sf = JSON.parse(readFileSync(join(VISIUM_SPATIAL, 'scalefactors_json.json'), 'utf8')) as { tissue_hires_scalef: number };
  return readFileSync(join(VISIUM_SPATIAL, 'tissue_positions_list.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))
    .filter((c) => c[1] === '1')
    .map((c) => ({ id: c[0], x: Number(c[5]) * sf.tissue_hires_scalef, y: Number(c[4]) * sf.tissue_hires_scalef }));
}

// ------------------------------------------------------------------ page helpers

/** OpenSeadragon's own image -> viewer element mapping for level-0 points. */
function getOsdScreenPoints(page: Page, pts: { x: number; y: number }[]): Promise<{ x: number; y: number }[]> {
  return page.evaluate((list) => {
    const v = window.fusescope?.viewer.getState().viewer;
    if (!v) throw new Error('no viewer');
    const item = v.world.getItemAt(0);
    if (!item) throw new Error('no image open');
    // an OpenSeadragon.Point (the page has no OpenSeadragon global): same prototype as getCenter()'s
    const proto = Object.getPrototypeOf(v.viewport.getCenter());
    return list.map((p) => {
      const pt = Object.assign(Object.create(proto), { x: p.x, y: p.y });
      const q = item.imageToViewerElementCoordinates(pt);
      return { x: q.x, y: q.y };
    });
  }, pts);
}

interface StPageState {
  spots: number;
  diameterPx: number;
  imageZoom: number;
  valuesKind: string | null;
}

function getStState(page: Page): Promise<StPageState> {
  return page.evaluate(() => {
    const fs = window.fusescope;
    if (!fs) throw new Error('no fusescope');
    const v = fs.stView.getState();
    // screen px per level-0 px straight from OpenSeadragon's current (animated) viewport
    const osd = fs.viewer.getState().viewer;
    const item = osd?.world.getItemAt(0);
    const imageZoom = osd && item ? item.viewportToImageZoom(osd.viewport.getZoom(true)) : 0;
    return { spots: v.dataset?.spots.ids.length ?? 0, diameterPx: v.diameterPx, imageZoom, valuesKind: v.values?.kind ?? null };
  });
}

const isSpotYellow = (r: number, g: number, b: number) => r > 200 && g > 150 && b < 110 && r - b > 120;

interface Blob {
  cx: number;
  cy: number;
  area: number;
}

/** Centroid and area of the yellow pixels within `radius` of (sx, sy). */
function getBlob(img: PNG, sx: number, sy: number, radius: number): Blob | null {
  let n = 0;
  let sxs = 0;
  let sys = 0;
  const r2 = radius * radius;
  for (let y = Math.max(0, Math.floor(sy - radius)); y <= Math.min(img.height - 1, Math.ceil(sy + radius)); y++) {
    for (let x = Math.max(0, Math.floor(sx - radius)); x <= Math.min(img.width - 1, Math.ceil(sx + radius)); x++) {
      if ((x + 0.5 - sx) ** 2 + (y + 0.5 - sy) ** 2 > r2) continue;
      const o = (y * img.width + x) * 4;
      if (isSpotYellow(img.data[o], img.data[o + 1], img.data[o + 2])) {
        n++;
        // pixel (x, y) covers [x, x+1): its centre is x + 0.5
        sxs += x + 0.5;
        sys += y + 0.5;
      }
    }
  }
  return n ? { cx: sxs / n, cy: sys / n, area: n } : null;
}

/** Viewer-element rectangles covered by UI (legend, navigator, scale bar): spots there are not checked. */
async function getCoveredRects(page: Page): Promise<{ x0: number; y0: number; x1: number; y1: number }[]> {
  return page.evaluate(() => {
    const base = document.querySelector('[data-testid="viewer"]')?.getBoundingClientRect();
    if (!base) return [];
    return Array.from(document.querySelectorAll('.st-legend, .navigator, .scalebar, .banner, .loading-card, .st-tooltip, .model-stage-overlay, [class*="legend"]')).map((e) => {
      const r = e.getBoundingClientRect();
      return { x0: r.left - base.left - 4, y0: r.top - base.top - 4, x1: r.right - base.left + 4, y1: r.bottom - base.top + 4 };
    });
  });
}

interface DriftReport {
  checked: number;
  maxPixelError: number;
  maxDeckError: number;
  /** median |drawn disc diameter - physical diameter at this zoom| (px) */
  medianDiameterError: number;
  /** expected disc diameter on screen (px) and the median drawn one */
  expectedDiameter: number;
  medianDiameter: number;
}

/**
 * For reference spots on screen: the centroid of the drawn yellow disc must be within 1 px of
 * where OpenSeadragon puts the spot centre, deck's projection must agree with OSD, and the disc
 * area must match the spot's physical diameter at the current zoom.
 */
/** OSD's and deck's screen positions of `pts` and the current zoom, read in one evaluation (one frame). */
function getProjections(page: Page, pts: { x: number; y: number }[]): Promise<{ st: StPageState; expected: { x: number; y: number }[]; deck: { x: number; y: number }[] }> {
  return page.evaluate((list) => {
    const fs = window.fusescope;
    const v = fs?.viewer.getState().viewer;
    const item = v?.world.getItemAt(0);
    const o = fs?.getDeckOverlay();
    if (!fs || !v || !item || !o) throw new Error('no viewer, image or overlay');
    const proto = Object.getPrototypeOf(v.viewport.getCenter());
    const vp = o.deck.getViewports()[0];
    const view = fs.stView.getState();
    return {
      st: {
        spots: view.dataset?.spots.ids.length ?? 0,
        diameterPx: view.diameterPx,
        imageZoom: item.viewportToImageZoom(v.viewport.getZoom(true)),
        valuesKind: view.values?.kind ?? null,
      },
      expected: list.map((p) => {
        const q = item.imageToViewerElementCoordinates(Object.assign(Object.create(proto), { x: p.x, y: p.y }));
        return { x: q.x, y: q.y };
      }),
      deck: list.map((p) => {
        const [x, y] = vp.project([p.x, p.y]);
        return { x, y };
      }),
    };
  }, pts);
}

async function checkSpotsOnScreen(page: Page, ref: RefSpot[], shotPath: string, minChecked: number): Promise<DriftReport> {
  await waitForViewerIdle(page);
  // OSD's mapping, deck's projection and the zoom in one evaluation, then the screenshot, then
  // the same again: retried until the viewport did not move in between (springs settle late)
  let st: StPageState;
  let expected: { x: number; y: number }[];
  let deck: { x: number; y: number }[];
  let png: Buffer;
  for (let attempt = 0; ; attempt++) {
    await page.waitForTimeout(300);
    const a = await getProjections(page, ref);
    png = await screenshotViewer(page, shotPath);
    const b = await getProjections(page, ref);
    ({ st, expected, deck } = a);
    const still = a.st.imageZoom === b.st.imageZoom && a.expected.every((p, i) => p.x === b.expected[i].x && p.y === b.expected[i].y);
    if (still) break;
    if (attempt > 20) throw new Error('the viewport did not settle');
  }
  const covered = await getCoveredRects(page);
  const img = PNG.sync.read(png);
  const rScreen = (st.diameterPx / 2) * st.imageZoom;
  let checked = 0;
  let maxPixelError = 0;
  let maxDeckError = 0;
  const diamErrs: number[] = [];
  const diams: number[] = [];
  for (let i = 0; i < ref.length; i++) {
    const e = expected[i];
    maxDeckError = Math.max(maxDeckError, Math.hypot(deck[i].x - e.x, deck[i].y - e.y));
    const margin = rScreen + 6;
    if (e.x < margin || e.y < margin || e.x > img.width - margin || e.y > img.height - margin) continue;
    if (covered.some((c) => e.x > c.x0 - margin && e.x < c.x1 + margin && e.y > c.y0 - margin && e.y < c.y1 + margin)) continue;
    const blob = getBlob(img, e.x, e.y, rScreen + 2.5);
    expect(blob, `spot ${ref[i].id} drawn near (${e.x.toFixed(1)}, ${e.y.toFixed(1)})`).not.toBeNull();
    if (!blob) continue;
    const err = Math.hypot(blob.cx - e.x, blob.cy - e.y);
    maxPixelError = Math.max(maxPixelError, err);
    diamErrs.push(Math.abs(2 * Math.sqrt(blob.area / Math.PI) - 2 * rScreen));
    diams.push(2 * Math.sqrt(blob.area / Math.PI));
    checked++;
  }
  expect(checked).toBeGreaterThanOrEqual(minChecked);
  diamErrs.sort((a, b) => a - b);
  diams.sort((a, b) => a - b);
  return {
    checked,
    maxPixelError,
    maxDeckError,
    medianDiameterError: diamErrs[diamErrs.length >> 1] ?? Number.NaN,
    expectedDiameter: 2 * rScreen,
    medianDiameter: diams[diams.length >> 1] ?? Number.NaN,
  };
}

/**
 * Open the app without the bundled model package (its requests answer 404): the model UI would
 * otherwise score the spots as soon as they are applied and recolour them with its scores, and
 * its dense heatmap would load the 2 CPU cores. This file tests the ST overlay alone.
 */
async function openStApp(): Promise<AppPage> {
  const s = await openApp(browser, app, { query: 'demo=0' });
  // only the package files themselves (the app's `?url` module imports of them must load)
  await s.context.route(/\/models\/default\/[^?]+$/, (route) => route.fulfill({ status: 404, body: 'left out by st.e2e.test.ts' }));
  await s.page.reload();
  await s.page.waitForFunction(() => !!window.fusescope?.st);
  return s;
}

/** Console errors other than the model files this test leaves out. */
function getUnexpectedErrors(s: AppPage): string[] {
  return s.consoleErrors.filter((e) => !/status of 404|models\/default|manifest\.json/i.test(e));
}

async function waitForRecognisedAndApply(s: AppPage): Promise<void> {
  await s.page.getByTestId('st-recognised').waitFor({ timeout: 120_000 });
  await s.page.getByTestId('st-apply').click();
  await s.page.waitForFunction(() => (window.fusescope?.stView.getState().dataset?.spots.ids.length ?? 0) > 0, undefined, { timeout: 30_000 });
}

/** Spots in one flat yellow at full opacity, so they can be found on screenshots. */
async function setPlainSpots(page: Page): Promise<void> {
  await page.getByTestId('st-colour-by').selectOption('uniform');
  await page.getByTestId('st-opacity').fill('1');
  await page.waitForFunction(() => window.fusescope?.st.getState().display.opacity === 1);
}

async function getColoursAt(page: Page, pts: { x: number; y: number }[]): Promise<[number, number, number][]> {
  const img = PNG.sync.read(await screenshotViewer(page));
  return pts.map((p) => {
    const o = (Math.round(p.y - 0.5) * img.width + Math.round(p.x - 0.5)) * 4;
    return [img.data[o], img.data[o + 1], img.data[o + 2]];
  });
}

// ------------------------------------------------------------------ tests

let app: AppServer;
let browser: Browser;
let c2: AppPage | null = null;
const C2_REF = getSelectionSpots();

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  app = await startAppServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await c2?.close();
  await browser?.close();
  await app?.close();
});

describe('ST overlay', () => {
  it('(1) HER2ST C2 spots dropped on C2.jpg sit where the selection file puts them (< 1 px), also after pan and zoom', async () => {
    c2 = await openStApp();
    const { page } = c2;
    await dropPaths(page, [C2_IMAGE]);
    await waitForSlide(page, 'C2.jpg', 240_000);
    const slideBefore = await getAppState(page);

    await dropPaths(page, [C2_COUNTS, C2_SPOTS]);
    await page.getByTestId('st-recognised').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('st-rec-platform').textContent()).toContain('legacy-st');
    expect(await page.getByTestId('st-rec-spots').textContent()).toContain('187');
    const files = await page.getByTestId('st-rec-files').textContent();
    expect(files).toContain('C2.tsv.gz');
    expect(files).toContain('C2_selection.tsv');
    await page.screenshot({ path: join(OUT, 'st-c2-recognised.png') });
    await waitForRecognisedAndApply(c2);
    const st = await getStState(page);
    expect(st.spots).toBe(187);
    // legacy ST spots are 100 um across at a 200 um pitch: about 145 px in this 0.69 um/px image
    expect(st.diameterPx).toBeGreaterThan(130);
    expect(st.diameterPx).toBeLessThan(160);

    // no um/px in the JPEG: calibrated from the 200 um spot pitch
    const state = await getAppState(page);
    if (slideBefore.mpp == null) {
      expect(state.mppSource).toBe('st-pitch');
      expect(state.mpp).toBeGreaterThan(0.67);
      expect(state.mpp).toBeLessThan(0.71);
      expect(await page.getByTestId('mpp-source').textContent()).toBe('from ST spot pitch');
    }

    const ids = new Set(await page.evaluate(() => window.fusescope?.stView.getState().dataset?.spots.ids ?? []));
    const ref = C2_REF.filter((r) => ids.has(r.id));
    expect(ref.length).toBe(187);

    await setPlainSpots(page);
    const home = await checkSpotsOnScreen(page, ref, join(OUT, 'st-c2-home.png'), 100);
    console.log('C2 home view', home);
    expect(home.maxDeckError).toBeLessThan(0.05);
    expect(home.maxPixelError).toBeLessThan(1);
    expect(home.medianDiameterError).toBeLessThan(1);

    // zoom in 3.5x around a point off-centre, then pan: the spots must follow with no drift
    await page.evaluate(() => {
      const v = window.fusescope?.viewer.getState().viewer;
      if (!v) return;
      const c = v.viewport.getCenter();
      const pt = (x: number, y: number) => Object.assign(Object.create(Object.getPrototypeOf(c)), { x, y });
      v.viewport.zoomBy(3.5, pt(c.x + 0.05, c.y + 0.08));
      v.viewport.panBy(pt(0.03, -0.02));
    });
    const zoomed = await checkSpotsOnScreen(page, ref, join(OUT, 'st-c2-zoomed.png'), 8);
    console.log('C2 after zoom + pan', zoomed);
    expect(zoomed.maxDeckError).toBeLessThan(0.05);
    expect(zoomed.maxPixelError).toBeLessThan(1);
    expect(zoomed.medianDiameterError).toBeLessThan(1);

    // hover shows the spot's tooltip; a click pins it
    const target = ref[Math.floor(ref.length / 2)];
    const [p] = await getOsdScreenPoints(page, [target]);
    await page.evaluate(([x, y]) => {
      const v = window.fusescope?.viewer.getState().viewer;
      if (!v) return;
      const pt = Object.assign(Object.create(Object.getPrototypeOf(v.viewport.getCenter())), { x, y });
      v.viewport.panTo(v.viewport.viewerElementToViewportCoordinates(pt), true);
    }, [p.x, p.y]);
    await waitForViewerIdle(page);
    const [q] = await getOsdScreenPoints(page, [target]);
    const box = await page.getByTestId('viewer').boundingBox();
    if (!box) throw new Error('no viewer box');
    await page.mouse.move(box.x + q.x, box.y + q.y);
    // the ST layer's tooltip, or the model's hover card when the spots show model scores (one card)
    const card = page.locator('[data-testid="st-tooltip"], [data-testid="model-hover"]');
    await card.first().waitFor({ timeout: 10_000 });
    expect(await card.first().textContent()).toContain(target.id);
    await page.mouse.click(box.x + q.x, box.y + q.y);
    await page.getByTestId('st-pinned').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('st-pinned').textContent()).toContain(target.id);
    await page.screenshot({ path: join(OUT, 'st-c2-pinned.png') });
    await page.getByTestId('st-pinned').getByRole('button', { name: 'Close' }).click();
    expect(await page.getByTestId('st-pinned').count()).toBe(0);
    expect(getUnexpectedErrors(c2)).toEqual([]);
  });

  it('(2) searching ERBB2 recolours the spots and the legend shows its range', async () => {
    if (!c2) throw new Error('needs test (1)');
    const { page } = c2;
    await page.evaluate(() => window.fusescope?.viewer.getState().viewer?.viewport.goHome(true));
    await waitForViewerIdle(page);
    const ids = await page.evaluate(() => window.fusescope?.stView.getState().dataset?.spots.ids ?? []);
    const expectedValues = getGeneLog1pCp10k('ERBB2');
    const ref = C2_REF.filter((r) => ids.includes(r.id));
    const screen = await getOsdScreenPoints(page, ref);
    const before = await getColoursAt(page, screen);
    expect(before.filter(([r, g, b]) => isSpotYellow(r, g, b)).length).toBeGreaterThan(150);

    await page.getByTestId('st-colour-by').selectOption('gene');
    await page.getByTestId('st-gene-input').fill('ERB');
    await page.getByTestId('st-gene-suggestions').waitFor();
    expect(await page.getByTestId('st-gene-suggestions').textContent()).toContain('ERBB2');
    await page.getByTestId('st-gene-input').fill('ERBB2');
    await page.getByTestId('st-gene-input').press('Enter');
    await page.waitForFunction(() => window.fusescope?.stView.getState().values?.kind === 'continuous');
    await waitForViewerIdle(page);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUT, 'st-c2-erbb2.png') });

    expect(await page.getByTestId('st-legend-label').textContent()).toContain('ERBB2');
    const min = Number(await page.getByTestId('st-legend-min').textContent());
    const max = Number(await page.getByTestId('st-legend-max').textContent());
    // auto range = 1st-99th percentile of log1p(CP10k) computed here from the counts file
    const vals = [...expectedValues.values()].sort((a, b) => a - b);
    const q = (p: number) => {
      const pos = p * (vals.length - 1);
      const lo = Math.floor(pos);
      return vals[lo] + (vals[Math.min(vals.length - 1, lo + 1)] - vals[lo]) * (pos - lo);
    };
    expect(min).toBeCloseTo(q(0.01), 1);
    expect(max).toBeCloseTo(q(0.99), 1);
    expect(max).toBeGreaterThan(min);

    const after = await getColoursAt(page, screen);
    expect(after.filter(([r, g, b]) => isSpotYellow(r, g, b) && g < 225).length).toBeLessThan(10);
    const changed = after.filter((c, i) => Math.abs(c[0] - before[i][0]) + Math.abs(c[1] - before[i][1]) + Math.abs(c[2] - before[i][2]) > 60).length;
    expect(changed).toBeGreaterThan(150);
    // the spot with the lowest ERBB2 is the dark end of viridis, the highest the bright end
    const order = ref.map((r, i) => ({ i, v: expectedValues.get(r.id) ?? Number.NaN })).sort((a, b) => a.v - b.v);
    const lowest = after[order[0].i];
    const highest = after[order[order.length - 1].i];
    expect(lowest[0] + lowest[1]).toBeLessThan(120); // viridis(0) = (68, 1, 84)
    expect(highest[1]).toBeGreaterThan(200); // viridis(1) = (253, 231, 37)

    // a user-set range: the legend follows
    await page.getByTestId('st-range-min').fill('0');
    await page.getByTestId('st-range-max').fill('2');
    await page.getByTestId('st-range-set').click();
    await expect.poll(() => page.getByTestId('st-legend-max').textContent()).toBe('2.00');
    expect(await page.getByTestId('st-legend-min').textContent()).toBe('0');
    expect(getUnexpectedErrors(c2)).toEqual([]);
  });

  it('(3) a bad ST input shows the specific error; the slide and the spots stay', async () => {
    if (!c2) throw new Error('needs test (1)');
    const { page } = c2;
    const dir = mkdtempSync(join(tmpdir(), 'fusescope-st-e2e-'));
    const empty = join(dir, 'empty.h5');
    writeFileSync(empty, new Uint8Array(0));
    const stateBefore = await getAppState(page);
    const spotsBefore = await getStState(page);
    const ids = await page.evaluate(() => window.fusescope?.stView.getState().dataset?.spots.ids ?? []);
    const ref = C2_REF.filter((r) => ids.includes(r.id));
    const screen = await getOsdScreenPoints(page, ref);
    const coloursBefore = await getColoursAt(page, screen);

    for (const [path, name, problem] of [
      [empty, 'empty.h5', /is empty/],
      [NOT_ST_H5, 'not_st.h5', /HDF5 file but neither a 10x/],
    ] as const) {
      await dropPaths(page, [path]);
      const banner = page.getByTestId('st-error-banner');
      await banner.waitFor({ timeout: 60_000 });
      await expect.poll(() => banner.textContent()).toContain(name);
      expect(await page.getByTestId('st-error-problem').textContent()).toMatch(problem);
      await page.screenshot({ path: join(OUT, `st-c2-error-${name}.png`) });
      const after = await getAppState(page);
      expect(after.name).toBe(stateBefore.name);
      expect(after.error).toBeNull();
      expect((await getStState(page)).spots).toBe(spotsBefore.spots);
      const coloursAfter = await getColoursAt(page, screen);
      const same = coloursAfter.filter((c, i) => Math.abs(c[0] - coloursBefore[i][0]) + Math.abs(c[1] - coloursBefore[i][1]) + Math.abs(c[2] - coloursBefore[i][2]) < 12).length;
      expect(same).toBeGreaterThan(180);
      await banner.getByRole('button', { name: 'Dismiss' }).click();
    }
  });

  it('(3c) parsing shows a progress bar with Cancel; cancelling keeps the applied spots', async () => {
    if (!c2) throw new Error('needs test (1)');
    const { page } = c2;
    const before = await getStState(page);
    // click Cancel the moment the progress card appears (the C2 parse takes about a second)
    await page.evaluate(() => {
      const w = window as unknown as { __stCancelSeen?: { progress: boolean; clicked: boolean } };
      w.__stCancelSeen = { progress: false, clicked: false };
      const obs = new MutationObserver(() => {
        const button = document.querySelector<HTMLButtonElement>('[data-testid="st-cancel"]');
        if (!button || !w.__stCancelSeen) return;
        w.__stCancelSeen.progress = document.querySelector('[data-testid="st-progress"]') !== null;
        w.__stCancelSeen.clicked = true;
        obs.disconnect();
        button.click();
      });
      obs.observe(document.body, { childList: true, subtree: true });
    });
    await dropPaths(page, [C2_COUNTS, C2_SPOTS]);
    await expect.poll(() => page.evaluate(() => (window as unknown as { __stCancelSeen?: { clicked: boolean } }).__stCancelSeen?.clicked)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __stCancelSeen?: { progress: boolean } }).__stCancelSeen?.progress)).toBe(true);
    await page.getByTestId('st-loading').waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForTimeout(3000);
    expect(await page.getByTestId('st-recognised').count()).toBe(0);
    expect(await page.getByTestId('st-error-banner').count()).toBe(0);
    expect((await getStState(page)).spots).toBe(before.spots);
  });

  it('(3b) registration: typed offset/scale move the spots live; three landmark pairs fit an affine that is saved and restored', async () => {
    if (!c2) throw new Error('needs test (1)');
    const { page } = c2;
    await setPlainSpots(page);
    await page.evaluate(() => window.fusescope?.viewer.getState().viewer?.viewport.goHome(true));
    const ids = await page.evaluate(() => window.fusescope?.stView.getState().dataset?.spots.ids ?? []);
    const ref = C2_REF.filter((r) => ids.includes(r.id));
    const cx = (Math.min(...ref.map((r) => r.x)) + Math.max(...ref.map((r) => r.x))) / 2;
    const cy = (Math.min(...ref.map((r) => r.y)) + Math.max(...ref.map((r) => r.y))) / 2;

    // typed values: scale 1.1 about the spots' centre, then an offset of (+250, -120) px
    await page.getByTestId('st-reg-scale').fill('1.1');
    await page.getByTestId('st-reg-offsetX').fill('250');
    await page.getByTestId('st-reg-offsetY').fill('-120');
    const moved = ref.map((r) => ({ id: r.id, x: cx + 1.1 * (r.x - cx) + 250, y: cy + 1.1 * (r.y - cy) - 120 }));
    const typed = await checkSpotsOnScreen(page, moved, join(OUT, 'st-c2-typed-registration.png'), 100);
    console.log('C2 typed registration', typed);
    expect(typed.maxPixelError).toBeLessThan(1);
    await page.getByTestId('st-reg-reset').click();
    expect(await page.evaluate(() => window.fusescope?.st.getState().registration.params.scale)).toBe(1);

    // landmarks, zoomed in so that a click is a few image pixels: each spot belongs 60 px right and 40 px up
    await page.evaluate(() => {
      const v = window.fusescope?.viewer.getState().viewer;
      v?.viewport.zoomBy(3, undefined, true);
    });
    await waitForViewerIdle(page);
    const box = await page.getByTestId('viewer').boundingBox();
    if (!box) throw new Error('no viewer box');
    const onScreen = (await getOsdScreenPoints(page, ref)).map((p, i) => ({ ...p, i }));
    const inner = onScreen.filter((p) => p.x > 150 && p.x < 650 && p.y > 150 && p.y < 600);
    expect(inner.length).toBeGreaterThanOrEqual(3);
    const picks = [inner[0], inner[Math.floor(inner.length / 2)], inner[inner.length - 1]];
    for (const p of picks) {
      await page.getByTestId('st-add-pair').click();
      await page.getByTestId('st-picking').waitFor();
      await page.mouse.click(box.x + p.x, box.y + p.y);
      await expect.poll(() => page.evaluate(() => window.fusescope?.st.getState().picking?.step)).toBe('slide');
      const [target] = await getOsdScreenPoints(page, [{ x: ref[p.i].x + 60, y: ref[p.i].y - 40 }]);
      // a user's second click comes later than OSD's double-click window (300 ms)
      await page.waitForTimeout(450);
      await page.mouse.click(box.x + target.x, box.y + target.y);
      await expect.poll(() => page.evaluate(() => window.fusescope?.st.getState().picking ?? null)).toBeNull();
      await page.waitForTimeout(450);
    }
    expect(await page.getByTestId('st-landmarks').locator('tbody tr').count()).toBe(3);
    await page.getByTestId('st-fit').click();
    const fitted = await page.evaluate(() => window.fusescope?.st.getState().registration.landmarkAffine ?? null);
    if (!fitted) throw new Error('no landmark fit');
    const zoom = (await getStState(page)).imageZoom;
    const tol = 1.5 / zoom; // a click lands within ~1 screen px
    expect(fitted[0]).toBeCloseTo(1, 1);
    expect(fitted[4]).toBeCloseTo(1, 1);
    const centreShift = { x: fitted[0] * cx + fitted[1] * cy + fitted[2] - cx, y: fitted[3] * cx + fitted[4] * cy + fitted[5] - cy };
    expect(Math.abs(centreShift.x - 60)).toBeLessThan(3 * tol);
    expect(Math.abs(centreShift.y + 40)).toBeLessThan(3 * tol);
    expect(await page.getByTestId('st-rms').textContent()).toMatch(/RMS \d+\.\d µm over 3 pairs \(landmark fit in use\)/);
    const fittedRef = ref.map((r) => ({ id: r.id, x: fitted[0] * r.x + fitted[1] * r.y + fitted[2], y: fitted[3] * r.x + fitted[4] * r.y + fitted[5] }));
    const lm = await checkSpotsOnScreen(page, fittedRef, join(OUT, 'st-c2-landmarks.png'), 8);
    console.log('C2 landmark registration', lm, 'shift', centreShift);
    expect(lm.maxPixelError).toBeLessThan(1);

    // exported JSON carries the affine in use
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('st-reg-export').click()]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as { fusescope: string; affine: number[]; landmarks: unknown[] };
    expect(exported.fusescope).toBe('st-registration');
    expect(exported.landmarks.length).toBe(3);
    for (const [k, v] of exported.affine.entries()) expect(v).toBeCloseTo(fitted[k], 9);

    // saved for this slide + these ST files: dropping them again restores the fit
    const key = 'fusescope.st-registration:C2.jpg|C2.tsv.gz,C2_selection.tsv';
    expect(await page.evaluate((k) => window.localStorage.getItem(k) !== null, key)).toBe(true);
    await dropPaths(page, [C2_COUNTS, C2_SPOTS]);
    await waitForRecognisedAndApply(c2);
    const restored = await page.evaluate(() => window.fusescope?.st.getState().registration.landmarkAffine ?? null);
    expect(restored).toEqual(fitted);
    await page.getByTestId('st-reg-reset').click();
    await page.getByTestId('st-reg-reset').click();
    expect(await page.evaluate(() => window.fusescope?.st.getState().registration.landmarks.length)).toBe(0);
    expect(getUnexpectedErrors(c2)).toEqual([]);
  });

  it('(4) a Visium spatial/ folder without a matrix opens its hires image and the spots land on it', async () => {
    const s = await openStApp();
    try {
      const { page } = s;
      await dropPaths(page, [VISIUM_SPATIAL]);
      await page.getByTestId('st-recognised').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('st-rec-nocounts').textContent()).toContain('No count matrix');
      expect(await page.getByTestId('st-rec-platform').textContent()).toContain('visium');
      await page.screenshot({ path: join(OUT, 'st-visium-recognised.png') });
      await waitForRecognisedAndApply(s);
      const state = await waitForAppState(page, (st) => (st.name ?? '').endsWith('tissue_hires_image.png') && st.tilesLoaded > 0, 60_000, 'hires image as slide');
      await waitForViewerIdle(page);
      const ref = getVisiumHiresSpots();
      const st = await getStState(page);
      expect(st.spots).toBe(ref.length);
      // spot_diameter_fullres 178.4 px x tissue_hires_scalef 0.0825 = 14.7 hires px
      expect(st.diameterPx).toBeCloseTo(178.37656 * 0.08250825, 1);
      // no um/px in a PNG: calibrated from the 100 um Visium pitch
      expect(state.mppSource).toBe('st-pitch');
      expect(await page.getByTestId('mpp-source').textContent()).toBe('from ST spot pitch');

      await setPlainSpots(page);
      await page.evaluate(() => {
        const v = window.fusescope?.viewer.getState().viewer;
        v?.viewport.zoomBy(2.2);
      });
      const r = await checkSpotsOnScreen(page, ref, join(OUT, 'st-visium-hires.png'), 100);
      console.log('Visium hires', r);
      expect(r.maxDeckError).toBeLessThan(0.05);
      expect(r.maxPixelError).toBeLessThan(1);
      expect(r.medianDiameterError).toBeLessThan(1);
      expect(getUnexpectedErrors(s)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('(5) a folder with both a slide and ST files: the slide opens, then the spots land on it', async () => {
    const s = await openStApp();
    try {
      const { page } = s;
      await dropPaths(page, [DEMO_DIR]);
      await page.getByTestId('st-recognised').waitFor({ timeout: 120_000 });
      const state = await getAppState(page);
      expect(state.name).toMatch(/C2\.tif$/);
      expect(state.mppSource).toBe('file');
      expect(await page.getByTestId('st-rec-spots').textContent()).toContain('187');
      await waitForRecognisedAndApply(s);
      await waitForSlide(page, state.name ?? 'C2.tif');
      const ref = getSelectionSpots(join(DEMO_DIR, 'C2_selection.tsv'));
      const st = await getStState(page);
      // 100 um at the TIFF's 1.3798 um/px
      expect(st.diameterPx).toBeCloseTo(100 / 1.3798, 1);
      await setPlainSpots(page);
      const r = await checkSpotsOnScreen(page, ref, join(OUT, 'st-demo-folder.png'), 100);
      console.log('demo folder', r);
      expect(r.maxPixelError).toBeLessThan(1);
      expect(r.medianDiameterError).toBeLessThan(1);
      expect(getUnexpectedErrors(s)).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
