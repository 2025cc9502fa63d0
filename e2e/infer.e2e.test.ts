/**
 * In-browser inference in real Chromium: the bundled demo (HER2ST C2) computes the fused spot map
 * at once; the page's scores equal `fusescope predict` on the same inputs (max abs diff <= 1e-3);
 * the three modes recolour the spots while the legend stays; GeoJSON and CSV exports; a real
 * HER2ST image + counts + spot file opened through the embedding API; CMU-1 alone gets a dense
 * histology heatmap; WebGPU (SwiftShader) gives the WASM scores; a model package with a wrong
 * sha256 or without a gene panel gives a clear error.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncoderBenchArgs } from '../bench/infer-page';
import type { SpotRow } from '../src/app/model/exports';
import { run as runHeatmap } from '../src/cli/commands/heatmap';
import { run as runPredict } from '../src/cli/commands/predict';
import { encodeBmp24 } from '../src/core/image/testing/encode-bmp';
import { loadNodeStFiles } from '../src/core/st/files/node';
import { getSpotLabels } from '../src/core/st/labels';
import { loadStDataset } from '../src/core/st/load';
import { getGroupMarkers } from '../src/core/st/markers';
import { getRocAuc } from '../src/core/score/metrics';
import { type AppServer, dropPaths, HER2ST_DIR, launchBrowser, openApp, REPO_ROOT, SLIDES_DIR, startAppServer, startFileServer } from './harness';

let app: AppServer;
let browser: Browser;
const tmp = mkdtempSync(join(tmpdir(), 'fusescope-infer-'));

beforeAll(async () => {
  app = await startAppServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

type Row = SpotRow;

function getScores(page: Page): Promise<Row[]> {
  return page.evaluate(() => (window as unknown as { fusescope: { scores(): Row[] } }).fusescope.scores());
}

async function waitForSpots(page: Page, timeoutMs = 240_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { fusescope?: { model?: { getState(): { spotsTotal: number; spotsMs: number | null; runError: string | null } } } }).fusescope?.model?.getState();
      return Boolean(s && ((s.spotsTotal > 0 && s.spotsMs !== null) || s.runError));
    },
    null,
    { timeout: timeoutMs, polling: 250 },
  );
}

function readCsv(path: string): Map<string, string[]> {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('spot_id,x,y,histology,gene,fused,cancer');
  return new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
}

function getMaxDiff(rows: Row[], cli: Map<string, string[]>): { n: number; max: Record<'histology' | 'gene' | 'fused', number>; cancerAgree: number } {
  const max = { histology: 0, gene: 0, fused: 0 };
  let n = 0;
  let cancerAgree = 0;
  for (const r of rows) {
    const c = cli.get(r.spot_id);
    if (!c) continue;
    n++;
    max.histology = Math.max(max.histology, Math.abs((r.histology ?? Number.NaN) - Number(c[3])));
    max.gene = Math.max(max.gene, Math.abs((r.gene ?? Number.NaN) - Number(c[4])));
    max.fused = Math.max(max.fused, Math.abs((r.fused ?? Number.NaN) - Number(c[5])));
    if (String(r.cancer) === c[6]) cancerAgree++;
  }
  return { n, max, cancerAgree };
}

describe('in-browser inference', () => {
  it('demo: fused map at once, equal to the CLI, modes recolour, legend stays, exports', async () => {
    const p = await openApp(browser, app, { query: 'backend=wasm' });
    try {
      await waitForSpots(p.page);
      const state = await p.page.evaluate(() => {
        const s = (window as unknown as { fusescope: { model: { getState(): Record<string, unknown> } } }).fusescope.model.getState();
        return { backend: s.backend, spotsMs: s.spotsMs, total: s.spotsTotal, runError: s.runError, coverage: (s.coverage as { coverage: number } | null)?.coverage };
      });
      expect(state.runError).toBeNull();
      expect(state.backend).toBe('wasm');
      expect(state.total).toBe(187);
      console.log(`demo: ${state.total} spots, fused map complete in ${((state.spotsMs as number) / 1000).toFixed(2)} s (WASM), panel coverage ${state.coverage}`);
      const rows = await getScores(p.page);
      expect(rows.length).toBe(187);
      for (const r of rows) {
        for (const v of [r.histology, r.gene, r.fused]) {
          expect(v).not.toBeNull();
          expect(v!).toBeGreaterThanOrEqual(0);
          expect(v!).toBeLessThanOrEqual(1);
        }
      }
      // the CLI on the same files (the demo slide has no um/px in the file: the case gives 1.3798)
      const out = join(tmp, 'demo-cli.csv');
      const code = await runPredict(['--slide', resolve(REPO_ROOT, 'public/demo/C2.tif'), '--st', resolve(REPO_ROOT, 'public/demo/C2.tsv.gz'), resolve(REPO_ROOT, 'public/demo/C2_selection.tsv'), '--mpp', '1.3798', '--out', out]);
      expect(code).toBe(0);
      const cli = readCsv(out);
      const d = getMaxDiff(rows, cli);
      console.log(`parity demo: ${d.n} spots, max |diff| histology ${d.max.histology.toExponential(2)}, gene ${d.max.gene.toExponential(2)}, fused ${d.max.fused.toExponential(2)}; cancer calls agree ${d.cancerAgree}/${d.n}`);
      expect(d.n).toBe(187);
      expect(d.max.histology).toBeLessThanOrEqual(1e-3);
      expect(d.max.gene).toBeLessThanOrEqual(1e-3);
      expect(d.max.fused).toBeLessThanOrEqual(1e-3);

      // modes: the spot colours change, the legend stays
      const colourOf = () =>
        p.page.evaluate(() => {
          const st = (window as unknown as { fusescope: { st: { getState(): { colour: { source: { kind: string; values?: Float32Array; label?: string } } } } } }).fusescope.st.getState();
          const src = st.colour.source;
          return { kind: src.kind, label: src.label ?? '', first: src.values ? Array.from(src.values.slice(0, 5)) : [] };
        });
      // the dense heatmap is the histology field: drawn in the histology and fused modes (between
      // the spots, said under the legend), hidden under gene-only colours
      const denseShown = () =>
        p.page.evaluate(() => {
          const layers = (window as unknown as { fusescope: { overlay: { getState(): { layers: Record<string, { layer: { props: { visible?: boolean } } }> } } } }).fusescope.overlay.getState().layers;
          return layers['model-heatmap'] ? layers['model-heatmap'].layer.props.visible !== false : null;
        });
      await expect.poll(denseShown, { timeout: 60_000 }).not.toBeNull();
      const seen: string[] = [];
      for (const [key, dense, note] of [
        ['1', true, null],
        ['2', false, 'histology heatmap hidden in this mode'],
        ['3', true, 'heatmap between spots: histology-only'],
      ] as const) {
        await p.page.keyboard.press(key);
        await p.page.waitForTimeout(300);
        const c = await colourOf();
        expect(c.kind).toBe('score');
        seen.push(JSON.stringify(c.first));
        expect(await p.page.locator('.st-legend, [data-testid="st-legend"], [data-testid="model-legend"]').count()).toBeGreaterThan(0);
        await expect.poll(denseShown).toBe(dense);
        const noteEl = p.page.getByTestId('st-legend-note');
        if (note) await expect.poll(() => noteEl.textContent()).toBe(note);
        else expect(await noteEl.count()).toBe(0);
      }
      expect(new Set(seen).size).toBe(3);

      // exports
      await p.page.locator('[data-testid="mode-fused"]').click();
      const [csvDl] = await Promise.all([p.page.waitForEvent('download'), p.page.locator('[data-testid="export-csv"]').click()]);
      const csvPath = join(tmp, 'export.csv');
      await csvDl.saveAs(csvPath);
      const exported = readCsv(csvPath);
      expect(exported.size).toBe(187);
      const [geoDl] = await Promise.all([p.page.waitForEvent('download'), p.page.locator('[data-testid="export-geojson"]').click()]);
      const geoPath = join(tmp, 'regions.geojson');
      await geoDl.saveAs(geoPath);
      const geo = JSON.parse(readFileSync(geoPath, 'utf8')) as { type: string; features: { geometry: { type: string; coordinates: number[][][] }; properties: { classification: { name: string } } }[] };
      expect(geo.type).toBe('FeatureCollection');
      expect(geo.features.length).toBeGreaterThan(0);
      for (const f of geo.features) {
        expect(f.properties.classification.name).toBe('Tumor');
        expect(f.geometry.type).toBe('Polygon');
        const ring = f.geometry.coordinates[0];
        expect(ring[0]).toEqual(ring[ring.length - 1]);
        for (const [x, y] of ring) {
          expect(x).toBeGreaterThanOrEqual(-600);
          expect(x).toBeLessThanOrEqual(4637 + 600);
          expect(y).toBeGreaterThanOrEqual(-600);
          expect(y).toBeLessThanOrEqual(4956 + 600);
        }
      }
      const [pngDl] = await Promise.all([p.page.waitForEvent('download'), p.page.locator('[data-testid="export-png"]').click()]);
      const pngPath = join(tmp, 'view.png');
      await pngDl.saveAs(pngPath);
      expect(readFileSync(pngPath).subarray(1, 4).toString()).toBe('PNG');
      // kept for a look after the run (e2e/out is git-ignored; in a fresh clone this test may run first)
      mkdirSync(resolve(REPO_ROOT, 'e2e/out'), { recursive: true });
      writeFileSync(resolve(REPO_ROOT, 'e2e/out/infer-view.png'), readFileSync(pngPath));
      expect(p.consoleErrors.filter((e) => !/favicon/.test(e))).toEqual([]);

      // a reload costs nothing: the scores come from IndexedDB (same slide, ST content, model, um/px)
      await p.page.reload();
      await waitForSpots(p.page);
      const again = await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { spotsMs: number } } } }).fusescope.model.getState().spotsMs);
      expect(again).toBe(0);
      const cachedRows = await getScores(p.page);
      const byId = new Map(rows.map((r) => [r.spot_id, r]));
      expect(cachedRows.length).toBe(rows.length);
      for (const r of cachedRows) expect(r.fused).toBe(byId.get(r.spot_id)?.fused);
    } finally {
      await p.close();
    }
  });

  it('a HER2ST section opened through the embedding API (image + counts + spot file) equals the CLI', async () => {
    const files = await startFileServer(
      {
        'B4.jpg': resolve(HER2ST_DIR, 'images/B4.jpg'),
        'B4.tsv.gz': resolve(HER2ST_DIR, 'counts/B4.tsv.gz'),
        'B4_selection.tsv': resolve(HER2ST_DIR, 'spots/B4_selection.tsv'),
      },
      { ranges: true },
    );
    const p = await openApp(browser, app, { query: 'demo=0&backend=wasm' });
    try {
      const t0 = Date.now();
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { load?: unknown } }).fusescope?.load));
      const urls = { slide: files.url('B4.jpg'), st: [files.url('B4.tsv.gz'), files.url('B4_selection.tsv')] };
      await p.page.evaluate((u) => (window as unknown as { fusescope: { load(x: unknown): Promise<void> } }).fusescope.load(u), urls);
      await waitForSpots(p.page, 280_000);
      console.log(`B4 via load(): fused map complete ${((Date.now() - t0) / 1000).toFixed(1)} s after load() (includes opening the 9272 x 9923 JPEG)`);
      const rows = await getScores(p.page);
      const out = join(tmp, 'b4-cli.csv');
      expect(await runPredict(['--slide', resolve(HER2ST_DIR, 'images/B4.jpg'), '--st', resolve(HER2ST_DIR, 'counts/B4.tsv.gz'), resolve(HER2ST_DIR, 'spots/B4_selection.tsv'), '--out', out])).toBe(0);
      const d = getMaxDiff(rows, readCsv(out));
      console.log(`parity B4: ${d.n} spots, max |diff| histology ${d.max.histology.toExponential(2)}, gene ${d.max.gene.toExponential(2)}, fused ${d.max.fused.toExponential(2)}`);
      expect(d.n).toBe(rows.length);
      expect(d.n).toBeGreaterThan(100);
      expect(Math.max(d.max.histology, d.max.gene, d.max.fused)).toBeLessThanOrEqual(1e-3);
    } finally {
      await p.close();
      await files.close();
    }
  });

  it('a fluorescence slide (DAPI NDPI): the panel says the histology model reads H&E and its scores mean nothing here', async () => {
    const files = await startFileServer({ 'fluorescence-DAPI.ndpi': resolve(SLIDES_DIR, 'fluorescence-DAPI.ndpi') }, { ranges: true });
    const p = await openApp(browser, app, { query: `demo=0&backend=wasm&orientations=1&slide=${encodeURIComponent(files.url('fluorescence-DAPI.ndpi'))}` });
    try {
      await expect.poll(async () => (await p.page.getByTestId('heatmap-note').textContent().catch(() => '')) ?? '', { timeout: 120_000 }).toMatch(
        /^fluorescence-DAPI\.ndpi looks like a fluorescence or dark-field image, not a brightfield H&E scan \(95% of its pixels are darker than \d+\/255\): the histology model reads H&E, so its scores here mean nothing\./,
      );
    } finally {
      await p.close();
      await files.close();
    }
  });

  it('CMU-1 alone: a dense histology heatmap without any ST', async () => {
    const files = await startFileServer({ 'CMU-1.svs': resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs') }, { ranges: true });
    const p = await openApp(browser, app, { query: `demo=0&backend=wasm&slide=${encodeURIComponent(files.url('CMU-1.svs'))}` });
    try {
      // the embedding API's whenIdle(), asked as soon as it exists (the URL case still opening),
      // resolves only once the dense heatmap is complete
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { whenIdle?: unknown } }).fusescope?.whenIdle));
      await p.page.evaluate(() => (window as unknown as { fusescope: { whenIdle(): Promise<void> } }).fusescope.whenIdle());
      const h = await p.page.evaluate(() => {
        const s = (window as unknown as { fusescope: { model: { getState(): { heatmap: { values: Float32Array; cells: Int32Array; total: number; done: number }; runError: string | null; mode: string } } } }).fusescope.model.getState();
        let finite = 0;
        let lo = 1;
        let hi = 0;
        for (const c of s.heatmap.cells) {
          const v = s.heatmap.values[c];
          if (Number.isFinite(v)) {
            finite++;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
        return { total: s.heatmap.total, done: s.heatmap.done, finite, lo, hi, runError: s.runError };
      });
      console.log(`CMU-1 dense heatmap: ${h.total} tissue windows, values ${h.lo.toFixed(3)}-${h.hi.toFixed(3)}`);
      expect(h.runError).toBeNull();
      expect(h.total).toBeGreaterThan(10);
      expect(h.done).toBe(h.total);
      expect(h.finite).toBe(h.total);
      expect(await p.page.locator('[data-testid="model-legend"]').isVisible()).toBe(true);
      // the regions the panel counts and measures are the CLI's: the same size filter (regions
      // smaller than the model's field of view left out, holes that small filled)
      const geo = join(tmp, 'cmu1-regions.geojson');
      const stdout: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
      try {
        expect(await runHeatmap(['--slide', resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs'), '--geojson', geo, '--json'])).toBe(0);
      } finally {
        process.stdout.write = write;
      }
      const cliJson = JSON.parse(stdout.join('')) as { slideScore: number; windows: number; maxRegionDiameterMm: number };
      // the panel's whole-slide score is the CLI's slideScore (same windows, same rule)
      const scoreText = (await p.page.getByTestId('model-slide-score').textContent()) ?? '';
      console.log(`CMU-1 slide score: page "${scoreText}", CLI ${cliJson.slideScore.toFixed(4)} over ${cliJson.windows} windows`);
      expect(Math.abs(Number(scoreText.match(/Histology slide score ([\d.]+)/)?.[1]) - cliJson.slideScore)).toBeLessThanOrEqual(6e-4);
      expect(scoreText).toContain(`(${cliJson.windows.toLocaleString('en-US')} windows)`);
      // an H&E scan: no stain warning
      expect(await p.page.getByTestId('heatmap-note').count()).toBe(0);
      // the layer toggle's count follows the windows as they come in (the counts change in place)
      expect(await p.page.getByTestId('heatmap-toggle').textContent()).toContain(`heatmap (${cliJson.windows} windows)`);
      const features = (JSON.parse(readFileSync(geo, 'utf8')) as { features: { properties: { measurements: Record<string, number> } }[] }).features;
      const cliMm2 = features.reduce((a, f) => a + f.properties.measurements['Area mm^2'], 0);
      const area = (await p.page.getByTestId('model-area').textContent()) ?? '';
      console.log(`CMU-1 regions: page "${area}", CLI ${features.length} regions, ${cliMm2.toFixed(3)} mm2`);
      const m = area.match(/Cancer area ([\d.]+) mm², .* · (\d+) regions?/);
      expect(m).not.toBeNull();
      expect(Number(m![2])).toBe(features.length);
      expect(Math.abs(Number(m![1]) - cliMm2)).toBeLessThanOrEqual(0.006);
      for (const f of features) expect(f.properties.measurements['Area mm^2']).toBeGreaterThanOrEqual(0.009216);
      // greatest dimension of the regions, as a tumour is sized: the CLI's, to the 0.1 mm shown
      const dia = (await p.page.getByTestId('model-max-diameter').textContent()) ?? '';
      expect(dia).toContain(`greatest dimension ${cliJson.maxRegionDiameterMm.toFixed(1)} mm`);
      expect(cliJson.maxRegionDiameterMm * 1000).toBeCloseTo(Math.max(...features.map((f) => f.properties.measurements['Max diameter µm'])), 1);
      // the region list: largest first, the CLI's area and greatest dimension; its button zooms the view onto the region
      const largest = [...features].sort((a, b) => b.properties.measurements['Area mm^2'] - a.properties.measurements['Area mm^2'])[0];
      const rowTexts = await p.page.getByTestId('model-region-text').allTextContents();
      expect(rowTexts.length).toBe(Math.min(8, features.length));
      expect(rowTexts[0]).toBe(
        `${largest.properties.measurements['Area mm^2'].toFixed(3)} mm² · ${(largest.properties.measurements['Max diameter µm'] / 1000).toFixed(2)} mm across · mean ${largest.properties.measurements['Mean probability'].toFixed(2)}`,
      );
      const viewRect = () =>
        p.page.evaluate(() => {
          const v = (window as unknown as { fusescope: { viewer: { getState: () => { viewer: import('openseadragon').Viewer } } } }).fusescope.viewer.getState().viewer;
          const r = v.viewport.viewportToImageRectangle(v.viewport.getBounds(true));
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        });
      await p.page.evaluate(() => {
        const v = (window as unknown as { fusescope: { viewer: { getState: () => { viewer: import('openseadragon').Viewer } } } }).fusescope.viewer.getState().viewer;
        v.viewport.zoomTo(v.viewport.getHomeZoom() * 4, undefined, true);
        v.viewport.panTo(v.viewport.imageToViewportCoordinates(0, 0), true);
      });
      const ring = (largest as unknown as { geometry: { coordinates: [number, number][][] } }).geometry.coordinates[0];
      const [minX, maxX] = [Math.min(...ring.map((q) => q[0])), Math.max(...ring.map((q) => q[0]))];
      const [minY, maxY] = [Math.min(...ring.map((q) => q[1])), Math.max(...ring.map((q) => q[1]))];
      await p.page.getByTestId('model-region-zoom').first().click();
      await expect
        .poll(async () => {
          const r = await viewRect();
          // the whole region in view, centred on it
          const centred = Math.abs(r.x + r.width / 2 - (minX + maxX) / 2) < 0.05 * r.width && Math.abs(r.y + r.height / 2 - (minY + maxY) / 2) < 0.05 * r.height;
          return r.x <= minX + 1 && r.y <= minY + 1 && r.x + r.width >= maxX - 1 && r.y + r.height >= maxY - 1 && centred;
        }, { timeout: 10_000 })
        .toBe(true);
    } finally {
      await p.close();
      await files.close();
    }
  });

  it("a pathologist's annotations (QuPath GeoJSON) dropped on CMU-1: green outlines and the CLI's agreement; a broken file loses nothing", async () => {
    // the reference: CMU-1's own regions from the CLI, as if a pathologist had drawn them
    const own = join(tmp, 'cmu1-annotation.geojson');
    expect(await runHeatmap(['--slide', resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs'), '--orientations', '1', '--geojson', own])).toBe(0);
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      expect(await runHeatmap(['--slide', resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs'), '--orientations', '1', '--annotations', own, '--json'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const cli = (JSON.parse(stdout.join('')) as { annotation: { auc: number; dice: number; sensitivity: number; precision: number; windowsInside: number; windows: number } }).annotation;
    const broken = join(tmp, 'broken.geojson');
    writeFileSync(broken, 'not json at all');
    const files = await startFileServer({ 'CMU-1.svs': resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs') }, { ranges: true });
    const p = await openApp(browser, app, { query: `demo=0&backend=wasm&orientations=1&slide=${encodeURIComponent(files.url('CMU-1.svs'))}` });
    try {
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { whenIdle?: unknown } }).fusescope?.whenIdle));
      await p.page.evaluate(() => (window as unknown as { fusescope: { whenIdle(): Promise<void> } }).fusescope.whenIdle());
      await dropPaths(p.page, [broken]);
      await expect.poll(() => p.page.getByTestId('annotation-error').textContent(), { timeout: 10_000 }).toMatch(/^broken\.geojson: is not JSON; export the annotations from QuPath as GeoJSON/);
      await dropPaths(p.page, [own]);
      await expect.poll(() => p.page.getByTestId('annotation-summary').textContent(), { timeout: 10_000 }).toMatch(/^cmu1-annotation\.geojson: \d+ polygons? \(Tumor\)$/);
      expect(await p.page.getByTestId('annotation-error').count()).toBe(0);
      const layer = () => p.page.evaluate(() => Boolean((window as unknown as { fusescope: { overlay: { getState(): { layers: Record<string, unknown> } } } }).fusescope.overlay.getState().layers.annotations));
      await expect.poll(layer, { timeout: 10_000 }).toBe(true);
      const dense = (await p.page.getByTestId('annotation-dense').textContent()) ?? '';
      console.log(`CMU-1 annotation: page "${dense}", CLI AUC ${cli.auc.toFixed(4)} Dice ${cli.dice.toFixed(4)}`);
      expect(dense).toContain(`window AUC ${cli.auc.toFixed(3)}; at the threshold Dice ${cli.dice.toFixed(3)}, sensitivity ${cli.sensitivity.toFixed(3)}, precision ${cli.precision.toFixed(3)}`);
      expect(dense).toContain(`(${cli.windowsInside} of ${cli.windows} tissue windows annotated)`);
      // the embedding API gives the same numbers unrounded
      const api = await p.page.evaluate(() => (window as unknown as { fusescope: { agreement(): { dense: { auc: number; dice: number } | null; positiveClasses: string[] } | null } }).fusescope.agreement());
      expect(api?.positiveClasses).toEqual(['Tumor']);
      expect(Math.abs((api?.dense?.auc ?? 0) - cli.auc)).toBeLessThanOrEqual(2e-3);
      expect(Math.abs((api?.dense?.dice ?? 0) - cli.dice)).toBeLessThanOrEqual(2e-3);
      // a broken file now: said, and the annotations already loaded stay
      await dropPaths(p.page, [broken]);
      await expect.poll(() => p.page.getByTestId('annotation-error').count(), { timeout: 10_000 }).toBe(1);
      expect(await p.page.getByTestId('annotation-summary').textContent()).toMatch(/^cmu1-annotation\.geojson: /);
      expect(await layer()).toBe(true);
    } finally {
      await p.close();
      await files.close();
    }
    // by URL: ?annotations=<url> loads them with the case, and the case link keeps them
    const served = await startFileServer({ 'CMU-1.svs': resolve(SLIDES_DIR, 'CMU-1-Small-Region.svs'), 'tumour.geojson': own }, { ranges: true });
    const q = await openApp(browser, app, { query: `demo=0&backend=wasm&orientations=1&slide=${encodeURIComponent(served.url('CMU-1.svs'))}&annotations=${encodeURIComponent(served.url('tumour.geojson'))}` });
    try {
      await expect.poll(() => q.page.getByTestId('annotation-summary').textContent().catch(() => ''), { timeout: 60_000 }).toMatch(/^tumour\.geojson: \d+ polygons? \(Tumor\)$/);
      // "Copy link" (with the clipboard refused, the panel shows the link itself)
      await q.page.evaluate(() => {
        Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('no clipboard')) }, configurable: true });
      });
      await q.page.getByTestId('copy-link').click();
      const link = (await q.page.getByText(/^http.*annotations=/).textContent()) ?? '';
      expect(new URL(link).searchParams.get('annotations')).toBe(served.url('tumour.geojson'));
    } finally {
      await q.close();
      await served.close();
    }
  });

  it('a labelled HER2ST section without its image (B1): spots on a blank canvas, the gene-only map equal to the CLI without --slide', async () => {
    const files = [resolve(HER2ST_DIR, 'counts/B1.tsv.gz'), resolve(HER2ST_DIR, 'spots/B1_selection.tsv'), resolve(HER2ST_DIR, 'labels/B1_labeled_coordinates.tsv')];
    const p = await openApp(browser, app, { query: 'demo=0&backend=wasm' });
    try {
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { whenIdle?: unknown } }).fusescope?.whenIdle));
      await dropPaths(p.page, files);
      // the recognition card says what Apply will do without a slide
      await expect.poll(() => p.page.getByTestId('st-apply').isVisible(), { timeout: 60_000 }).toBe(true);
      expect(await p.page.locator('body').textContent()).toMatch(/Apply places the spots on a blank canvas/);
      await p.page.getByTestId('st-apply').click();
      await p.page.waitForFunction(() => (window as unknown as { fusescope: { model: { getState(): { spotsMs: number | null } } } }).fusescope.model.getState().spotsMs !== null, null, { timeout: 120_000 });
      await p.page.evaluate(() => (window as unknown as { fusescope: { whenIdle(): Promise<void> } }).fusescope.whenIdle());
      const st = await p.page.evaluate(() => {
        const fs = window as unknown as { fusescope: { slide: { getState(): { meta: { format: string; width: number; height: number; mpp: number | null; mppSource: string } } }; model: { getState(): { noImage: boolean; mode: string; heatmap: unknown; runError: string | null } } } };
        const m = fs.fusescope.model.getState();
        return { meta: fs.fusescope.slide.getState().meta, noImage: m.noImage, mode: m.mode, heatmap: m.heatmap, runError: m.runError };
      });
      console.log(`B1 without image: canvas ${st.meta.width} x ${st.meta.height} px at ${st.meta.mpp?.toFixed(4)} um/px (${st.meta.mppSource})`);
      expect(st).toMatchObject({ noImage: true, mode: 'gene', heatmap: null, runError: null });
      expect(st.meta).toMatchObject({ format: 'blank', mppSource: 'st-pitch' });
      // legacy ST: 200 um pitch over about 289 px in B1's image frame
      expect(st.meta.mpp!).toBeGreaterThan(0.6);
      expect(st.meta.mpp!).toBeLessThan(0.8);
      // the view shows the spots, not the canvas's empty corner at the frame origin
      const view = await p.page.evaluate(() => {
        const v = (window as unknown as { fusescope: { viewer: { getState(): { viewer: { viewport: { getBounds(c: boolean): unknown; viewportToImageRectangle(r: unknown): { x: number; y: number; width: number; height: number } } } } } } }).fusescope.viewer.getState().viewer;
        return v.viewport.viewportToImageRectangle(v.viewport.getBounds(true));
      });
      const xs = (await getScores(p.page)).map((r) => [r.x, r.y]);
      expect(Math.min(...xs.map((q) => q[0]))).toBeGreaterThan(view.x);
      expect(Math.max(...xs.map((q) => q[0]))).toBeLessThan(view.x + view.width);
      expect(Math.min(...xs.map((q) => q[1]))).toBeGreaterThan(view.y);
      expect(Math.max(...xs.map((q) => q[1]))).toBeLessThan(view.y + view.height);
      expect(view.height).toBeLessThan(0.8 * st.meta.height);
      expect(await p.page.getByTestId('mode-fused').isDisabled()).toBe(true);
      expect(await p.page.getByTestId('mode-histology').isDisabled()).toBe(true);
      expect(await p.page.getByTestId('model-no-image').textContent()).toMatch(/only the gene head runs/);
      // no image, no image modes: the API's setMode is refused too
      await p.page.evaluate(() => (window as unknown as { fusescope: { setMode(m: string): void } }).fusescope.setMode('fused'));
      expect(await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { mode: string } } } }).fusescope.model.getState().mode)).toBe('gene');
      expect(await p.page.getByTestId('model-area').textContent()).toMatch(/Cancer area [\d.]+ mm²/);
      const rows = await getScores(p.page);
      const out = join(tmp, 'B1-gene.csv');
      expect(await runPredict(['--st', files[0], files[1], '--out', out])).toBe(0);
      const cli = readCsv(out);
      let maxGene = 0;
      let agree = 0;
      for (const r of rows) {
        const c = cli.get(r.spot_id);
        expect(c).toBeDefined();
        expect(r.histology).toBeNull();
        expect(r.fused).toBeNull();
        expect([Number(c![1]), Number(c![2])]).toEqual([r.x, r.y]);
        maxGene = Math.max(maxGene, Math.abs((r.gene ?? Number.NaN) - Number(c![4])));
        if (String(r.cancer) === c![6]) agree++;
      }
      console.log(`parity B1 gene-only: ${rows.length} spots, max |diff| gene ${maxGene.toExponential(2)}, cancer calls agree ${agree}/${rows.length}`);
      expect(rows.length).toBe(cli.size);
      expect(maxGene).toBeLessThanOrEqual(1e-3);
      expect(agree).toBe(rows.length);
      // the labels dropped with the counts: the panel's AUC of the gene scores is fusescope evaluate's
      const { labels } = getSpotLabels(readFileSync(files[2]), 'B1_labeled_coordinates.tsv');
      const lab = rows.filter((r) => labels.has(r.spot_id));
      const auc = getRocAuc(lab.map((r) => r.gene ?? Number.NaN), lab.map((r) => (labels.get(r.spot_id) === 'invasive cancer' ? 1 : 0)));
      const agreement = (await p.page.getByTestId('model-label-agreement').textContent()) ?? '';
      console.log(`B1 panel: "${agreement}" (AUC from the labels file ${auc.toFixed(4)})`);
      expect(agreement).toMatch(/Against the 'label' annotation: AUC [\d.]+, AP [\d.]+ \(gene scores; cancer = invasive cancer; 63 of 295 labelled spots\)/);
      expect(Math.abs(Number(agreement.match(/AUC ([\d.]+)/)?.[1]) - auc)).toBeLessThanOrEqual(6e-4);
      // marker genes of the cancer calls, opened from the panel: core's getGroupMarkers on the CLI's calls
      await p.page.locator('[data-testid="model-markers"] > summary').click();
      await expect.poll(() => p.page.getByTestId('model-markers-up').isVisible(), { timeout: 30_000 }).toBe(true);
      const ds = await loadStDataset(await loadNodeStFiles([files[0], files[1]]), {});
      const index = new Map(ds.spots.ids.map((id, i) => [id, i]));
      const called = [...cli.values()];
      const expected = getGroupMarkers(ds, called.map((c) => index.get(c[0])!), called.map((c) => Number(c[6])), { top: 10 });
      const groups = (await p.page.getByTestId('model-markers-groups').textContent()) ?? '';
      expect(groups).toMatch(new RegExp(`^${expected.nIn} spots called cancer \\(gene >= [\\d.]+\\) vs ${expected.nOut} other scored spots`));
      const upRows = await p.page.locator('[data-testid="model-markers-up"] tbody tr').allTextContents();
      const downRows = await p.page.locator('[data-testid="model-markers-down"] tbody tr').allTextContents();
      console.log(`B1 markers up: ${upRows.slice(0, 5).join(' | ')}; down: ${downRows.slice(0, 3).join(' | ')}`);
      const rowText = (g: (typeof expected.up)[number]) => `${g.symbol}${g.auc.toFixed(2)}${g.log2fc.toFixed(2)}${Math.round(g.fracIn * 100)}% / ${Math.round(g.fracOut * 100)}%`;
      expect(upRows).toEqual(expected.up.slice(0, 10).map(rowText));
      expect(downRows).toEqual(expected.down.slice(0, 6).map(rowText));
      // the list as CSV: markers' columns, the same first gene
      const [mkDl] = await Promise.all([p.page.waitForEvent('download'), p.page.getByTestId('model-markers-csv').click()]);
      const mkPath = join(tmp, 'markers.csv');
      await mkDl.saveAs(mkPath);
      const mkLines = readFileSync(mkPath, 'utf8').trim().split('\n');
      expect(mkLines[0]).toBe('direction,rank,gene,auc,log2fc,mean_in,mean_out,frac_in,frac_out');
      expect(mkLines[1]).toMatch(new RegExp(`^up,1,${expected.up[0].symbol},`));
      // a gene's button colours the spots by it; "show scores" brings the gene scores back
      await p.page.locator('[data-testid="model-markers-up"] tbody tr button').first().click();
      const colourKind = () => p.page.evaluate(() => (window as unknown as { fusescope: { st: { getState(): { colour: { source: { kind: string; gene?: string } } } } } }).fusescope.st.getState().colour.source);
      expect(await colourKind()).toEqual({ kind: 'gene', gene: expected.up[0].symbol });
      await p.page.getByTestId('model-markers-scores').click();
      expect((await colourKind()).kind).toBe('score');
    } finally {
      await p.close();
    }
  });

  it('a Visium HD binned_outputs folder (fixture): 16 um bins summed into 96 um squares on a blank canvas at the file\'s um/px, gene scores equal to the CLI', async () => {
    const folder = resolve(REPO_ROOT, 'tests/fixtures/st/visium_hd/binned_outputs');
    const p = await openApp(browser, app, { query: 'demo=0&backend=wasm' });
    try {
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { whenIdle?: unknown } }).fusescope?.whenIdle));
      await dropPaths(p.page, [folder]);
      await expect.poll(() => p.page.getByTestId('st-apply').isVisible(), { timeout: 60_000 }).toBe(true);
      expect(await p.page.getByTestId('st-rec-platform').textContent()).toContain('visium-hd');
      const card = (await p.page.getByTestId('st-recognised').textContent()) ?? '';
      expect(card).toMatch(/summed into 9 bins of 96 um/);
      expect(card).toMatch(/other bin sizes not read: square_008um/);
      // another bin size: the files are read again, and the card says what smaller bins mean for the models
      expect(await p.page.getByTestId('st-rec-hd-bin').inputValue()).toBe('96');
      await p.page.getByTestId('st-rec-hd-bin').selectOption('32');
      await expect.poll(async () => (await p.page.getByTestId('st-recognised').textContent()) ?? '', { timeout: 60_000 }).toMatch(/summed into \d+ bins of 32 um \(2 x 2\)/);
      expect(await p.page.getByTestId('st-recognised').textContent()).toMatch(/on 32 um bins their scores are less reliable/);
      await p.page.getByTestId('st-rec-hd-bin').selectOption('96');
      await expect.poll(async () => (await p.page.getByTestId('st-recognised').textContent()) ?? '', { timeout: 60_000 }).toMatch(/summed into 9 bins of 96 um/);
      await p.page.getByTestId('st-apply').click();
      await p.page.waitForFunction(() => (window as unknown as { fusescope: { model: { getState(): { spotsMs: number | null } } } }).fusescope.model.getState().spotsMs !== null, null, { timeout: 120_000 });
      await p.page.evaluate(() => (window as unknown as { fusescope: { whenIdle(): Promise<void> } }).fusescope.whenIdle());
      const meta = await p.page.evaluate(() => (window as unknown as { fusescope: { slide: { getState(): { meta: { format: string; mpp: number | null; mppSource: string } } } } }).fusescope.slide.getState().meta);
      // the 96 um grid pitch gives the fixture's 0.2737 um/px back
      expect(meta).toMatchObject({ format: 'blank', mppSource: 'st-pitch' });
      expect(meta.mpp!).toBeCloseTo(0.2737, 4);
      // square bins are drawn as squares of their side, turned by the fixture's 2 degree grid angle
      const layer = await p.page.evaluate(() => {
        const fs = window as unknown as { fusescope: { overlay: { getState(): { layers: Record<string, { layer: { constructor: { layerName: string }; props: { radius: number; angle: number } } }> } } } };
        const l = fs.fusescope.overlay.getState().layers['st-spots'].layer;
        return { kind: l.constructor.layerName, radius: l.props.radius, angle: l.props.angle };
      });
      expect(layer.kind).toBe('ColumnLayer');
      expect(layer.radius).toBeCloseTo(96 / 0.2737 / 2, 3);
      expect(layer.angle).toBeCloseTo(2, 6);
      const rows = await getScores(p.page);
      const out = join(tmp, 'hd-gene.csv');
      expect(await runPredict(['--st', folder, '--out', out])).toBe(0);
      const cli = readCsv(out);
      expect(rows.length).toBe(9);
      expect(rows.length).toBe(cli.size);
      // hovering a square shows its card (deck.gl picks the square layer like the circles)
      const target = rows[4];
      const pt = await p.page.evaluate(([x, y]) => {
        const v = (window as unknown as { fusescope: { viewer: { getState(): { viewer: { viewport: { getCenter(): object; imageToViewerElementCoordinates(p: object): { x: number; y: number } } } } } } }).fusescope.viewer.getState().viewer;
        const q = Object.assign(Object.create(Object.getPrototypeOf(v.viewport.getCenter())), { x, y });
        const e = v.viewport.imageToViewerElementCoordinates(q);
        return { x: e.x, y: e.y };
      }, [target.x, target.y]);
      const box = await p.page.getByTestId('viewer').boundingBox();
      if (!box) throw new Error('no viewer box');
      // 20 px off its centre, inside the square (a 96 um square is over 100 px wide in this view)
      await p.page.mouse.move(box.x + pt.x + 20, box.y + pt.y + 20);
      const hoverCard = p.page.locator('[data-testid="st-tooltip"], [data-testid="model-hover"]');
      await hoverCard.first().waitFor({ timeout: 10_000 });
      expect(await hoverCard.first().textContent()).toContain(target.spot_id);
      for (const r of rows) {
        const c = cli.get(r.spot_id);
        expect(r.spot_id).toMatch(/^s_096um_\d{5}_\d{5}-1$/);
        expect(c).toBeDefined();
        // the CLI writes positions to 2 decimals
        expect(Math.abs(Number(c![1]) - r.x)).toBeLessThanOrEqual(0.005);
        expect(Math.abs(Number(c![2]) - r.y)).toBeLessThanOrEqual(0.005);
        expect(Math.abs((r.gene ?? Number.NaN) - Number(c![4]))).toBeLessThanOrEqual(1e-3);
      }
    } finally {
      await p.close();
    }
  });

  it('?st=<url>&st=<url> with no slide: the same blank canvas and gene-only scores', async () => {
    const files = await startFileServer({ 'D1.tsv.gz': resolve(HER2ST_DIR, 'counts/D1.tsv.gz'), 'D1_selection.tsv': resolve(HER2ST_DIR, 'spots/D1_selection.tsv') }, { ranges: false });
    const p = await openApp(browser, app, { query: `demo=0&backend=wasm&st=${encodeURIComponent(files.url('D1.tsv.gz'))}&st=${encodeURIComponent(files.url('D1_selection.tsv'))}` });
    try {
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { whenIdle?: unknown } }).fusescope?.whenIdle));
      await p.page.waitForFunction(() => (window as unknown as { fusescope: { model: { getState(): { spotsMs: number | null } } } }).fusescope.model.getState().spotsMs !== null, null, { timeout: 120_000 });
      await p.page.evaluate(() => (window as unknown as { fusescope: { whenIdle(): Promise<void> } }).fusescope.whenIdle());
      const rows = await getScores(p.page);
      const s = await p.page.evaluate(() => {
        const fs = window as unknown as { fusescope: { slide: { getState(): { meta: { format: string; name: string } } }; model: { getState(): { noImage: boolean; runError: string | null } } } };
        return { format: fs.fusescope.slide.getState().meta.format, name: fs.fusescope.slide.getState().meta.name, noImage: fs.fusescope.model.getState().noImage, runError: fs.fusescope.model.getState().runError };
      });
      expect(s).toEqual({ format: 'blank', name: 'D1 (no image)', noImage: true, runError: null });
      // D1: 306 spots under tissue (data README / model card)
      expect(rows.length).toBe(306);
      expect(rows.every((r) => r.histology === null && r.fused === null && r.gene !== null && r.gene >= 0 && r.gene <= 1)).toBe(true);
    } finally {
      await p.close();
      await files.close();
    }
  });

  it('a GlaS image as the challenge ships it (24-bit BMP, no um/px) dropped alone: a dense heatmap at an assumed 20x, said in the panel', async () => {
    const { data, info } = await sharp(resolve(REPO_ROOT, '../shared/data/glas/train/train_5.jpg')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const bmp = join(tmp, 'testA_5.bmp');
    writeFileSync(bmp, encodeBmp24(info.width, info.height, data));
    const p = await openApp(browser, app, { query: 'demo=0&backend=wasm' });
    try {
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope?: { whenIdle?: unknown } }).fusescope?.whenIdle));
      await dropPaths(p.page, [bmp]);
      await p.page.waitForFunction(() => (window as unknown as { fusescope: { slide: { getState(): { meta: { name: string } | null } } } }).fusescope.slide.getState().meta?.name === 'testA_5.bmp', null, { timeout: 60_000 });
      await p.page.evaluate(() => (window as unknown as { fusescope: { whenIdle(): Promise<void> } }).fusescope.whenIdle());
      const s = await p.page.evaluate(() => {
        const m = (window as unknown as { fusescope: { model: { getState(): { heatmap: { done: number; total: number } | null; runError: string | null; heatmapNote: string | null } } } }).fusescope.model.getState();
        return { done: m.heatmap?.done ?? 0, total: m.heatmap?.total ?? 0, runError: m.runError, note: m.heatmapNote };
      });
      expect(s.runError).toBeNull();
      expect(s.total).toBeGreaterThan(10);
      expect(s.done).toBe(s.total);
      expect(s.note).toMatch(/no um\/px: the heatmap assumes 0\.5 um\/px \(a 20x scan\)/);
      await expect.poll(() => p.page.getByTestId('heatmap-note').textContent()).toMatch(/Set the real value in the Slide panel/);
      // the area waits for a real um/px
      expect(await p.page.getByTestId('model-area').textContent()).toMatch(/um\/px unknown/);
    } finally {
      await p.close();
    }
  });

  it('WebGPU (SwiftShader here) gives the WASM encoder outputs on a small batch', async () => {
    const page = await (await browser.newContext()).newPage();
    try {
      await page.goto(`${app.url}bench/infer-page.html`);
      await page.waitForFunction(() => 'runEncoderBench' in window, null, { timeout: 60_000 });
      const run = (backend: string) =>
        page.evaluate(
          (be) =>
            (window as unknown as { runEncoderBench(a: EncoderBenchArgs): Promise<{ firstProb: number; backend: string }> }).runEncoderBench({
              modelUrl: '/models/default/histology.onnx',
              patchPx: 64,
              batch: 4,
              iterations: 1,
              backend: be as EncoderBenchArgs['backend'],
            }),
          backend,
        );
      const wasm = await run('wasm');
      const gpu = await run('webgpu');
      console.log(`encoder prob: wasm ${wasm.firstProb}, webgpu ${gpu.firstProb}`);
      expect(Math.abs(wasm.firstProb - gpu.firstProb)).toBeLessThanOrEqual(1e-3);
    } finally {
      await page.context().close();
    }
  });

  it('losing the WebGPU device mid-run continues on WASM with every spot scored and the CLI scores', async () => {
    // 2 views, not the model's 8: SwiftShader keeps both cores busy with the lost device's queued
    // work long after the loss, and the views pass on WASM still runs after the fallback. Batches of
    // 32, not WebGPU's 128: the loss must come mid-run, and SwiftShader is slow per batch
    const p = await openApp(browser, app, { query: 'backend=webgpu&orientations=2&batch=32' });
    try {
      await p.page.waitForFunction(
        () => {
          const s = (window as unknown as { fusescope?: { model?: { getState(): { backend: string; spotsDone: number; progress: { task: string } | null } } } }).fusescope?.model?.getState();
          return Boolean(s && s.backend === 'webgpu' && s.progress?.task === 'spots' && s.spotsDone > 0);
        },
        null,
        { timeout: 280_000, polling: 200 },
      );
      const before = await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { spotsDone: number } } } }).fusescope.model.getState().spotsDone);
      await p.page.evaluate(() => (window as unknown as { fusescope: { debugLoseGpu(): void } }).fusescope.debugLoseGpu());
      await waitForSpots(p.page, 280_000);
      const s = await p.page.evaluate(() => {
        const st = (window as unknown as { fusescope: { model: { getState(): { backend: string; backendNote: string | null; spotsDone: number; spotsTotal: number; runError: string | null } } } }).fusescope.model.getState();
        return { backend: st.backend, note: st.backendNote, done: st.spotsDone, total: st.spotsTotal, err: st.runError };
      });
      console.log(`device lost after ${before} spots: ${JSON.stringify(s)}`);
      expect(s.err).toBeNull();
      expect(s.backend).toBe('wasm');
      expect(s.note).toMatch(/WebGPU was lost/);
      expect(s.done).toBe(187);
      const rows = await getScores(p.page);
      const out = join(tmp, 'demo-cli-2.csv');
      expect(await runPredict(['--slide', resolve(REPO_ROOT, 'public/demo/C2.tif'), '--st', resolve(REPO_ROOT, 'public/demo/C2.tsv.gz'), resolve(REPO_ROOT, 'public/demo/C2_selection.tsv'), '--mpp', '1.3798', '--orientations', '2', '--out', out])).toBe(0);
      const d = getMaxDiff(rows, readCsv(out));
      console.log(`parity after device loss: max |diff| ${JSON.stringify(d.max)}`);
      expect(d.n).toBe(187);
      expect(Math.max(d.max.histology, d.max.gene, d.max.fused)).toBeLessThanOrEqual(1e-3);
    } finally {
      await p.close();
    }
  });

  it('model packages with a wrong sha256 or without a gene panel give a clear error', async () => {
    const bad = join(tmp, 'bad-sha');
    cpSync(resolve(REPO_ROOT, 'models/default'), bad, { recursive: true });
    const m = JSON.parse(readFileSync(join(bad, 'manifest.json'), 'utf8'));
    m.files[0].sha256 = '0'.repeat(64);
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify(m));
    const noPanel = join(tmp, 'no-panel');
    cpSync(resolve(REPO_ROOT, 'models/default'), noPanel, { recursive: true });
    const m2 = JSON.parse(readFileSync(join(noPanel, 'manifest.json'), 'utf8'));
    delete m2.gene.panel;
    writeFileSync(join(noPanel, 'manifest.json'), JSON.stringify(m2));
    const p = await openApp(browser, app, { query: 'demo=0&backend=wasm' });
    try {
      const errorFor = async (dir: string) => {
        // the input picks a folder (webkitdirectory), as a user would
        const input = p.page.locator('[data-testid="model-folder-input"]');
        await input.waitFor({ state: 'attached', timeout: 120_000 });
        await input.setInputFiles(dir);
        await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope: { model: { getState(): { modelError: string | null } } } }).fusescope.model.getState().modelError), null, { timeout: 60_000 });
        const text = await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { modelError: string } } } }).fusescope.model.getState().modelError);
        await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { set(x: object): void } } } }).fusescope.model.getState().set({ modelError: null }));
        return text;
      };
      // a package folder dropped on the page goes to the model loader, not the slide / ST flow
      await dropPaths(p.page, [bad]);
      await p.page.waitForFunction(() => Boolean((window as unknown as { fusescope: { model: { getState(): { modelError: string | null } } } }).fusescope.model.getState().modelError), null, { timeout: 120_000 });
      const dropped = await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { modelError: string } } } }).fusescope.model.getState().modelError);
      expect(dropped).toMatch(/\.onnx.*sha256 [0-9a-f]{64} does not match the manifest/);
      await p.page.evaluate(() => (window as unknown as { fusescope: { model: { getState(): { set(x: object): void } } } }).fusescope.model.getState().set({ modelError: null }));
      const e1 = await errorFor(bad);
      expect(e1).toMatch(/\.onnx.*sha256 [0-9a-f]{64} does not match the manifest/);
      const e2 = await errorFor(noPanel);
      expect(e2).toMatch(/manifest\.json.*gene\.panel/);
      expect(await p.page.locator('[data-testid="model-name"]').textContent()).toMatch(/default/);
    } finally {
      await p.close();
    }
  });
});
