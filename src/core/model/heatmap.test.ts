import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { getRegionsGeoJson } from '../regions/contours.ts';
import { openNodeSlideInput } from '../slide/bytes/node-file-source.ts';
import { loadSlide } from '../slide/load-slide.ts';
import type { SlideSource } from '../slide/types.ts';
import { getHeatmapSummary, getPercentile, getSlideScoreRule, loadHeatmapPlan, runHeatmap } from './heatmap.ts';
import type { FuseModel } from './model.ts';
import { loadNodeModel } from './node-model.ts';
import { getOrientedProb, loadViewLogOddsSum } from './orientations.ts';
import { readPatchBatch } from './patch.ts';
import { getCellCentre } from '../regions/raster.ts';

const ROOT = resolve(__dirname, '../../..');
const DATA = resolve(ROOT, '../shared/data');

function checkGeoJson(gj: ReturnType<typeof getRegionsGeoJson>, width: number, height: number) {
  expect(gj.type).toBe('FeatureCollection');
  for (const f of gj.features) {
    expect(f.type).toBe('Feature');
    expect(f.geometry.type).toBe('Polygon');
    expect(f.properties.objectType).toBe('annotation');
    expect(f.properties.classification.name).toBe('Tumor');
    expect(f.properties.measurements['Area mm^2']).toBeGreaterThan(0);
    for (const ring of f.geometry.coordinates) {
      expect(ring.length).toBeGreaterThanOrEqual(4);
      expect(ring[0]).toEqual(ring[ring.length - 1]);
      for (const [x, y] of ring) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        // the raster's last cell may overhang the slide edge by less than one cell
        expect(x).toBeLessThanOrEqual(width * 1.2);
        expect(y).toBeLessThanOrEqual(height * 1.2);
      }
    }
  }
}

describe('dense heatmap', () => {
  let model: FuseModel;
  beforeAll(async () => {
    ({ model } = await loadNodeModel(resolve(ROOT, 'models/default')));
  });
  afterAll(async () => {
    await model?.release();
  });

  it('slide score rules and percentiles', () => {
    expect(getSlideScoreRule('95th percentile of tissue-window probabilities')).toEqual({ kind: 'percentile', p: 95 });
    expect(getSlideScoreRule('mean window probability')).toEqual({ kind: 'mean' });
    expect(getSlideScoreRule('something else')).toEqual({ kind: 'percentile', p: 95 });
    expect(getPercentile([1, 2, 3, 4, Number.NaN], 50)).toBe(2.5);
    expect(getPercentile([0, 10], 95)).toBeCloseTo(9.5, 12);
  });

  describe('CMU-1-Small-Region.svs', () => {
    let slide: SlideSource;
    beforeAll(async () => {
      slide = await loadSlide(await openNodeSlideInput(`${DATA}/slides/CMU-1-Small-Region.svs`), { codec: createNodeCodec() });
    });
    afterAll(() => slide?.close());

    it('tissue windows, probabilities, regions and areas', async () => {
      const plan = await loadHeatmapPlan(slide, model.manifest, slide.meta.mpp!);
      const slideMm2 = (slide.meta.width * slide.meta.height * slide.meta.mpp! ** 2) / 1e6;
      const tissueMm2 = (plan.tissueAreaPx2 * slide.meta.mpp! ** 2) / 1e6;
      // CMU-1-Small-Region is about a third tissue (skin) on white glass
      expect(tissueMm2 / slideMm2).toBeGreaterThan(0.15);
      expect(tissueMm2 / slideMm2).toBeLessThan(0.7);
      await runHeatmap(plan, model, slide);
      const isCell = new Set(plan.cells);
      for (let i = 0; i < plan.raster.values.length; i++) {
        const v = plan.raster.values[i];
        if (isCell.has(i)) expect(v >= 0 && v <= 1).toBe(true);
        else expect(Number.isNaN(v)).toBe(true);
      }
      const s = getHeatmapSummary(plan, model.manifest);
      expect(s.tissueAreaMm2).toBeCloseTo(tissueMm2, 10);
      expect(s.slideScore).toBeGreaterThanOrEqual(0);
      expect(s.slideScore).toBeLessThanOrEqual(1);
      expect(s.cancerFraction).toBeGreaterThanOrEqual(0);
      expect(s.cancerFraction).toBeLessThanOrEqual(1);
      expect(s.cancerAreaMm2).toBeCloseTo(s.regions.totalAreaPx2 * (slide.meta.mpp! ** 2 / 1e6), 10);
      for (const a of s.regions.areasPx2) expect(a).toBeGreaterThan(0);
      checkGeoJson(getRegionsGeoJson(s.regions, slide.meta.mpp), slide.meta.width, slide.meta.height);
      // a fixed threshold of 0 makes every tissue window cancer: cancer area ~ tissue area
      const all = getHeatmapSummary(plan, model.manifest, 0);
      expect(all.cancerFraction).toBeGreaterThan(0.85);
    });

    it('computes priority windows first, cancels, and resumes to the same raster', async () => {
      const plan = await loadHeatmapPlan(slide, model.manifest, slide.meta.mpp!);
      const last = plan.cells[plan.cells.length - 1];
      const ac = new AbortController();
      const seen: number[] = [];
      await expect(
        runHeatmap(plan, model, slide, {
          order: [last],
          batchSize: 4,
          signal: ac.signal,
          onBatch: (cells) => {
            seen.push(...cells);
            ac.abort();
          },
        }),
      ).rejects.toThrow();
      expect(seen[0]).toBe(last);
      expect(seen.length).toBe(4);
      await runHeatmap(plan, model, slide, { resume: true });
      const full = await loadHeatmapPlan(slide, model.manifest, slide.meta.mpp!);
      await runHeatmap(full, model, slide);
      for (const c of plan.cells) expect(plan.raster.values[c]).toBeCloseTo(full.raster.values[c], 5);
    });
  });

  it('a GlaS image (JPEG, um/px given by the user)', async () => {
    const slide = await loadSlide(await openNodeSlideInput(`${DATA}/glas/train/train_1.jpg`), { codec: createNodeCodec() });
    try {
      const mpp = 0.62;
      const plan = await loadHeatmapPlan(slide, model.manifest, mpp);
      expect(plan.cells.length).toBeGreaterThan(0);
      await runHeatmap(plan, model, slide);
      const s = getHeatmapSummary(plan, model.manifest);
      expect(s.tissueAreaMm2).toBeGreaterThan(0);
      expect(s.tissueAreaMm2).toBeLessThanOrEqual((slide.meta.width * slide.meta.height * mpp * mpp) / 1e6 * 1.2);
      expect(s.slideScore).toBeGreaterThanOrEqual(0);
      expect(s.slideScore).toBeLessThanOrEqual(1);
      checkGeoJson(getRegionsGeoJson(s.regions, mpp), slide.meta.width, slide.meta.height);
      // orientation averaging: each window is the log-odds mean of its 4 mirrored views
      const four = await loadHeatmapPlan(slide, model.manifest, mpp);
      await runHeatmap(four, model, slide, { orientations: 4 });
      const probe = Int32Array.from(plan.cells.subarray(0, 6));
      const patches = await readPatchBatch(
        slide,
        plan.patch,
        Array.from(probe, (c) => getCellCentre(plan.raster, c)[0]),
        Array.from(probe, (c) => getCellCentre(plan.raster, c)[1]),
        model.manifest.histology.mean,
        model.manifest.histology.std,
      );
      const sum = await loadViewLogOddsSum(model, patches, probe.length, 0, 4);
      for (let i = 0; i < probe.length; i++) {
        const c = probe[i];
        expect(four.raster.values[c]).toBeCloseTo(getOrientedProb(sum[i], 4), 6);
      }
      // preview: every window's upright value first, then the views; cancelled during the views and
      // resumed, it ends at the same raster as the one-pass run
      const prev = await loadHeatmapPlan(slide, model.manifest, mpp);
      const stages: string[] = [];
      const ac = new AbortController();
      await expect(
        runHeatmap(prev, model, slide, {
          orientations: 4,
          preview: true,
          batchSize: 16,
          signal: ac.signal,
          onBatch: (_c, _p, stage) => {
            stages.push(stage);
            if (stage === 'views') ac.abort();
          },
        }),
      ).rejects.toThrow();
      expect(stages.filter((x) => x === 'windows').length).toBe(Math.ceil(prev.cells.length / 16));
      expect(stages.at(-1)).toBe('views');
      for (const c of prev.cells) expect(Number.isNaN(prev.raster.values[c])).toBe(false);
      const finals = prev.cells.reduce((a, c) => a + prev.final[c], 0);
      expect(finals).toBe(16);
      const resumed: string[] = [];
      await runHeatmap(prev, model, slide, { orientations: 4, preview: true, batchSize: 16, resume: true, onBatch: (_c, _p, stage) => resumed.push(stage) });
      expect(resumed.every((x) => x === 'views')).toBe(true);
      for (const c of prev.cells) expect(prev.raster.values[c]).toBeCloseTo(four.raster.values[c], 6);
      // without the option, the manifest's count
      const views = model.manifest.histology.orientations;
      const byManifest = await loadViewLogOddsSum(model, patches, probe.length, 0, views);
      for (let i = 0; i < probe.length; i++) {
        const c = probe[i];
        expect(plan.raster.values[c]).toBeCloseTo(getOrientedProb(byManifest[i], views), 6);
      }
    } finally {
      slide.close();
    }
  });
});
