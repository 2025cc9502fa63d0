import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runPredict } from '../../cli/commands/predict.ts';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { openNodeSlideInput } from '../slide/bytes/node-file-source.ts';
import { loadSlide } from '../slide/load-slide.ts';
import type { SlideSource } from '../slide/types.ts';
import { loadNodeStFiles } from '../st/files/node.ts';
import { loadStDataset } from '../st/load.ts';
import type { StDataset } from '../st/types.ts';
import { getGeneAlignment, getNormalisedGenes } from './genes.ts';
import { loadModelPackage } from './manifest.ts';
import { type FuseModel, loadFuseModel } from './model.ts';
import { getMppResolution } from './mpp.ts';
import { getNeighbourGraph } from './neighbours.ts';
import { loadNodeModel } from './node-model.ts';
import { getDirPackageFiles } from './package-files-node.ts';
import * as ortWeb from 'onnxruntime-web';
import { getWebRuntime } from './runtime-web.ts';
import { getLogOdds, getOrientedPatches, getOrientedProb } from './orientations.ts';
import { readPatchBatch } from './patch.ts';
import { getInTissueSpots, scoreSpots } from './score-spots.ts';
import { getSmoothedProbs, getSpotSmoothing } from './spot-smoothing.ts';

const ROOT = resolve(__dirname, '../../..');
const DATA = resolve(ROOT, '../shared/data');
const HER2ST = `${DATA}/her2st`;

/** Reference reading of the raw counts TSV (spots x genes), independent of the ST loader. */
async function readRawCounts(section: string): Promise<{ genes: string[]; rows: Map<string, number[]> }> {
  const text = gunzipSync(await readFile(`${HER2ST}/counts/${section}.tsv.gz`)).toString('utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const genes = lines[0].split('\t').slice(1);
  const rows = new Map<string, number[]>();
  for (const l of lines.slice(1)) {
    const f = l.split('\t');
    rows.set(f[0], f.slice(1).map(Number));
  }
  return { genes, rows };
}

async function readSelection(section: string): Promise<{ id: string; selected: number }[]> {
  const lines = (await readFile(`${HER2ST}/spots/${section}_selection.tsv`, 'utf8')).split('\n').filter((l) => l.length > 0);
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return { id: `${f[0]}x${f[1]}`, selected: Number(f[6]) };
  });
}

describe('spot scoring on a real HER2ST section (B4: H&E image + counts + selection)', () => {
  let st: StDataset;
  let slide: SlideSource;
  let model: FuseModel;
  let tmp: string;
  beforeAll(async () => {
    st = await loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/B4.tsv.gz`, `${HER2ST}/spots/B4_selection.tsv`]), {});
    slide = await loadSlide(await openNodeSlideInput(`${HER2ST}/images/B4.jpg`), { codec: createNodeCodec() });
    ({ model } = await loadNodeModel(resolve(ROOT, 'models/default')));
    tmp = await mkdtemp(join(tmpdir(), 'fusescope-predict-'));
  });
  afterAll(async () => {
    slide?.close();
    await model?.release();
    await rm(tmp, { recursive: true, force: true });
  });

  it('gene normalisation matches a hand computation from the raw counts', async () => {
    const raw = await readRawCounts('B4');
    const panel = [{ symbol: 'ERBB2' }, { symbol: 'grb7' }, { symbol: 'KRT19' }, { symbol: 'NOT_A_GENE' }];
    const alignment = getGeneAlignment(panel, st.genes);
    expect(alignment.matched).toBe(3);
    expect(alignment.coverage).toBe(0.75);
    expect(alignment.missing).toEqual(['NOT_A_GENE']);
    const { spots } = getInTissueSpots(st);
    const none = getNormalisedGenes(st.matrix, spots, alignment, { targetSum: 1e4, log1p: true, perSlideScaling: 'none' });
    const z = getNormalisedGenes(st.matrix, spots, alignment, { targetSum: 1e4, log1p: true, perSlideScaling: 'zscore' });
    const mm = getNormalisedGenes(st.matrix, spots, alignment, { targetSum: 1e4, log1p: true, perSlideScaling: 'minmax' });
    const col = ['ERBB2', 'GRB7', 'KRT19'].map((g) => raw.genes.indexOf(g));
    const hand: number[][] = [];
    for (const s of spots) {
      const counts = raw.rows.get(st.spots.ids[s]);
      expect(counts).toBeDefined();
      const lib = counts!.reduce((a, b) => a + b, 0);
      hand.push(col.map((c) => Math.log1p((counts![c] / lib) * 1e4)));
    }
    for (let i = 0; i < spots.length; i++) {
      for (let g = 0; g < 3; g++) expect(none[i * 4 + g]).toBeCloseTo(hand[i][g], 4);
      expect(none[i * 4 + 3]).toBe(0);
    }
    for (let g = 0; g < 3; g++) {
      const v = hand.map((h) => h[g]);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      const lo = Math.min(...v);
      const hi = Math.max(...v);
      for (let i = 0; i < spots.length; i++) {
        expect(z[i * 4 + g]).toBeCloseTo((v[i] - mean) / (sd + 1e-6), 3);
        expect(mm[i * 4 + g]).toBeCloseTo((v[i] - lo) / (hi - lo + 1e-6), 4);
      }
    }
  });

  it('um/px from the spot pitch: about 0.69 um/px for the HER2ST images', () => {
    const res = getMppResolution({ slide: slide.meta, st });
    expect(res.source).toBe('st-pitch');
    expect(res.mpp!).toBeGreaterThan(0.6);
    expect(res.mpp!).toBeLessThan(0.78);
  });

  it('predict CLI on the full section: one row per in-tissue spot, XxY ids, probabilities in [0, 1]', async () => {
    const out = join(tmp, 'b4.csv');
    const code = await runPredict(['--slide', `${HER2ST}/images/B4.jpg`, '--st', `${HER2ST}/counts/B4.tsv.gz`, `${HER2ST}/spots/B4_selection.tsv`, '--out', out]);
    expect(code).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('spot_id,x,y,histology,gene,fused,cancer');
    const raw = await readRawCounts('B4');
    const expected = (await readSelection('B4')).filter((s) => s.selected === 1 && raw.rows.has(s.id)).map((s) => s.id);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(expected.length);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(expected));
    let cancer = 0;
    for (const r of rows) {
      expect(r[0]).toMatch(/^\d+x\d+$/);
      expect(Number(r[1])).toBeGreaterThan(0);
      expect(Number(r[2])).toBeGreaterThan(0);
      for (const c of [3, 4, 5]) {
        expect(r[c]).not.toBe('');
        const p = Number(r[c]);
        expect(p >= 0 && p <= 1).toBe(true);
      }
      expect(['0', '1']).toContain(r[6]);
      cancer += Number(r[6]);
    }
    // a label-free threshold splits the section: neither everything nor nothing
    expect(cancer).toBeGreaterThan(0);
    expect(cancer).toBeLessThan(rows.length);
    // scores differ between spots (the model is not constant)
    expect(new Set(rows.map((r) => r[5])).size).toBeGreaterThan(rows.length / 4);
  });

  it('without a slide only the gene head runs', async () => {
    const out = join(tmp, 'b4-genes.csv');
    expect(await runPredict(['--st', `${HER2ST}/counts/B4.tsv.gz`, `${HER2ST}/spots/B4_selection.tsv`, '--out', out])).toBe(0);
    const rows = (await readFile(out, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThan(200);
    for (const r of rows) {
      expect(r[3]).toBe('');
      expect(r[5]).toBe('');
      const g = Number(r[4]);
      expect(g >= 0 && g <= 1).toBe(true);
    }
  });

  it('visible spots first, in batches; cancellable; neighbours are the k nearest in-tissue spots', async () => {
    const { spots } = getInTissueSpots(st);
    const priority = [spots[spots.length - 1], spots[10], spots[3]];
    const batches: Int32Array[] = [];
    const ac = new AbortController();
    const err = await scoreSpots({
      model,
      st,
      slide,
      mpp: getMppResolution({ slide: slide.meta, st }).mpp,
      order: priority,
      batchSize: 8,
      signal: ac.signal,
      onBatch: (b) => {
        batches.push(b.spots);
        for (const p of b.fused) expect(p >= 0 && p <= 1).toBe(true);
        if (batches.length === 2) ac.abort();
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AbortError');
    expect(batches.length).toBe(2);
    expect(Array.from(batches[0].subarray(0, 3))).toEqual(priority);
    const k = model.manifest.neighbourhood.k;
    const nb = getNeighbourGraph(Float64Array.from(spots, (s) => st.spots.x[s]), Float64Array.from(spots, (s) => st.spots.y[s]), k);
    expect(nb.length).toBe(spots.length * k);
  });

  it('the browser runtime (onnxruntime-web, WASM) gives the same scores as onnxruntime-node', async () => {
    const sub = { ...st, spots: { ...st.spots, inTissue: Uint8Array.from(st.spots.inTissue, (v, i) => (i < 30 ? v : 0)) } };
    const mpp = getMppResolution({ slide: slide.meta, st }).mpp;
    const webModel = await loadFuseModel(await loadModelPackage(getDirPackageFiles(resolve(ROOT, 'models/default'))), getWebRuntime(ortWeb, { numThreads: 1 }));
    try {
      const a = await scoreSpots({ model, st: sub, slide, mpp });
      const b = await scoreSpots({ model: webModel, st: sub, slide, mpp });
      expect(a.spots.length).toBeGreaterThan(10);
      for (const s of a.spots) {
        expect(b.histology[s]).toBeCloseTo(a.histology[s], 4);
        expect(b.gene[s]).toBeCloseTo(a.gene[s], 4);
        expect(b.fused[s]).toBeCloseTo(a.fused[s], 4);
      }
    } finally {
      await webModel.release();
    }
  });

  it("spotSmoothing: the returned gene and fused columns are the heads' values after the manifest's smoothing", async () => {
    const sub = { ...st, spots: { ...st.spots, inTissue: Uint8Array.from(st.spots.inTissue, (v, i) => (i < 60 ? v : 0)) } };
    const mpp = getMppResolution({ slide: slide.meta, st }).mpp;
    const rule = getSpotSmoothing(model.manifest, 'fused');
    expect(rule).not.toBeNull();
    const { spotSmoothing: _, ...bare } = model.manifest;
    const raw = await scoreSpots({ model: { ...model, manifest: bare }, st: sub, slide, mpp, orientations: 1 });
    const batchFused = new Map<number, number>();
    const out = await scoreSpots({
      model,
      st: sub,
      slide,
      mpp,
      orientations: 1,
      onBatch: (b) => {
        for (let i = 0; i < b.spots.length; i++) batchFused.set(b.spots[i], b.fused[i]);
      },
    });
    const x = Float64Array.from(out.spots, (d) => st.spots.x[d]);
    const y = Float64Array.from(out.spots, (d) => st.spots.y[d]);
    const gene = getSmoothedProbs(Float32Array.from(out.spots, (d) => raw.gene[d]), x, y, rule!);
    const fused = getSmoothedProbs(Float32Array.from(out.spots, (d) => raw.fused[d]), x, y, rule!);
    let changed = 0;
    for (let i = 0; i < out.spots.length; i++) {
      const d = out.spots[i];
      // the batches carry the head's fused value (the browser's worker smooths once the run is complete)
      expect(batchFused.get(d)).toBe(raw.fused[d]);
      expect(out.gene[d]).toBeCloseTo(gene[i], 6);
      expect(out.fused[d]).toBeCloseTo(fused[i], 6);
      expect(out.histology[d]).toBe(raw.histology[d]);
      if (Math.abs(out.fused[d] - raw.fused[d]) > 1e-3) changed++;
    }
    expect(changed).toBeGreaterThan(out.spots.length / 4);
  });

  it('orientations: the histology column is averaged over the views after every fused score; gene and fused do not change', async () => {
    const sub = { ...st, spots: { ...st.spots, inTissue: Uint8Array.from(st.spots.inTissue, (v, i) => (i < 40 ? v : 0)) } };
    const mpp = getMppResolution({ slide: slide.meta, st }).mpp;
    const stages: string[] = [];
    const upright = await scoreSpots({ model, st: sub, slide, mpp, orientations: 1 });
    const viewed = await scoreSpots({ model, st: sub, slide, mpp, orientations: 8, batchSize: 8, onBatch: (b) => stages.push(b.stage) });
    // every first-pass batch (fused complete) comes before the first views batch
    expect(stages.indexOf('views')).toBeGreaterThan(0);
    expect(stages.lastIndexOf('spots')).toBeLessThan(stages.indexOf('views'));
    expect(stages.filter((x) => x === 'views').length).toBe(Math.ceil(upright.spots.length / 8));
    // the reference: each view cut from the slide, the model run on it, the log-odds averaged
    const patch = upright.patch!;
    const { mean, std } = model.manifest.histology;
    const probe = Array.from(upright.spots.subarray(0, 5));
    const patches = await readPatchBatch(slide, patch, probe.map((d) => st.spots.x[d]), probe.map((d) => st.spots.y[d]), mean, std);
    const sum = new Float64Array(probe.length);
    for (let t = 0; t < 8; t++) {
      const { prob } = await model.runHistology(getOrientedPatches(patches, probe.length, model.patchPx, t), probe.length);
      for (let i = 0; i < probe.length; i++) sum[i] += getLogOdds(prob[i]);
    }
    for (let i = 0; i < probe.length; i++) {
        const d = probe[i];
        expect(viewed.histology[d]).toBeCloseTo(getOrientedProb(sum[i], 8), 6);
      }
    let moved = 0;
    for (const d of upright.spots) {
      expect(viewed.gene[d]).toBe(upright.gene[d]);
      expect(viewed.fused[d]).toBe(upright.fused[d]);
      if (Math.abs(viewed.histology[d] - upright.histology[d]) > 1e-3) moved++;
    }
    expect(moved).toBeGreaterThan(upright.spots.length / 2);
    await expect(scoreSpots({ model, st: sub, slide, mpp, orientations: 3 })).rejects.toThrow(/1, 2, 4 or 8/);
  });

  it('spot positions that do not lie on the slide fail with a clear message', async () => {
    const far = { ...st, spots: { ...st.spots, x: st.spots.x.map((v) => v * 10), y: st.spots.y.map((v) => v * 10) } };
    await expect(scoreSpots({ model, st: far, slide, mpp: 0.69 })).rejects.toThrow(/in-tissue spots lie outside the slide B4\.jpg .*another image frame/);
  });

  it('a model whose genes do not fit the data fails with a clear message', async () => {
    const bad = { ...st, genes: { ...st.genes, symbols: st.genes.symbols.map((s) => `X_${s}`), ids: st.genes.ids.map(() => '') } };
    await expect(scoreSpots({ model, st: bad })).rejects.toThrow(/none of the model's \d+ panel genes .* is in the data/);
  });
});
