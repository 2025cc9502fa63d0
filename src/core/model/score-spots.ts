/**
 * The spot scoring pipeline shared by the CLI (`predict`) and the browser inference worker.
 * For the in-tissue spots of one ST dataset: genes aligned + normalised -> gene head (all spots
 * first, it is cheap); then, with a slide, in priority order and in batches: histology patches of
 * the batch's spots and of their k neighbours -> histology head; the 7-token neighbourhoods ->
 * fusion head. Results arrive batch by batch through `onBatch`; the call can be cancelled.
 * When the manifest averages the histology head over several orientations (orientations.ts), that
 * comes last, as a second stage over the spots in the same order ('views' batches): every fused
 * score (which reads the upright embeddings) is in first. The manifest's `spotSmoothing` is applied
 * to the gene column as soon as the gene head has run (so batches carry it smoothed) and to the
 * fused (and histology) column once every spot is scored, in the returned columns only.
 */
import type { SlideSource } from '../slide/types.ts';
import type { StDataset } from '../st/types.ts';
import { type GeneAlignment, getGeneAlignment, getGeneInputs } from './genes.ts';
import type { FuseModel } from './model.ts';
import { getNeighbourGraph } from './neighbours.ts';
import { applySpotSmoothing, getSmoothingGraph } from './spot-smoothing.ts';
import { getLogOdds, getOrientationCount, getOrientedProb, loadViewLogOddsSum } from './orientations.ts';
import { getPatchGeometry, type PatchGeometry, readPatchBatch } from './patch.ts';

export interface SpotScoreBatch {
  /** 'spots': first scores of these spots (histology from the upright patch); 'views': their histology
   * column averaged over the manifest's orientations (gene and fused repeated unchanged) */
  stage: 'spots' | 'views';
  /** dataset spot indices (rows of st.spots) completed in this batch */
  spots: Int32Array;
  /** per entry of `spots`; NaN where that head did not run (no slide) */
  histology: Float32Array;
  gene: Float32Array;
  fused: Float32Array;
}

export interface SpotScoreProgress {
  /** 'views': the histology column is being averaged over the other orientations (after every fused score) */
  stage: 'genes' | 'spots' | 'views';
  done: number;
  total: number;
}

export interface ScoreSpotsOptions {
  model: FuseModel;
  st: StDataset;
  /** the H&E slide the spot positions refer to; without it only the gene head runs */
  slide?: SlideSource | null;
  /** um per level-0 px of the slide (see getMppResolution); required with a slide */
  mpp?: number | null;
  /** dataset spot indices in the order to compute (e.g. visible first); other in-tissue spots follow */
  order?: ArrayLike<number>;
  /** histology views averaged per spot (manifest `histology.orientations` when not given; see orientations.ts) */
  orientations?: number;
  /** spots per histology/fusion batch (default 32) */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: SpotScoreProgress) => void;
  onBatch?: (b: SpotScoreBatch) => void;
  /** once, after the gene head ran on every in-tissue spot (before any histology): paint the gene overlay early */
  onGeneScores?: (spots: Int32Array, gene: Float32Array) => void;
}

export interface SpotScores {
  /** dataset indices of the scored (in-tissue) spots, ascending */
  spots: Int32Array;
  /** per dataset spot (length = number of spots); NaN for spots not scored; the columns the manifest's
   * `spotSmoothing` names are returned after it (spot-smoothing.ts) */
  histology: Float32Array;
  gene: Float32Array;
  fused: Float32Array;
  /** fusion gate per dataset spot when the model outputs one */
  gate: Float32Array | null;
  alignment: GeneAlignment;
  /** k neighbours per scored spot (dataset indices, rows follow `spots`) */
  neighbours: Int32Array;
  patch: PatchGeometry | null;
  warnings: string[];
}

/** Thrown when the model does not fit the data (no panel genes, no in-tissue spots, no um/px). */
export class ModelDataMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDataMismatchError';
  }
}

export function getInTissueSpots(st: StDataset): { spots: Int32Array; warning: string | null } {
  const flags = st.spots.inTissue;
  const n = st.spots.ids.length;
  let count = 0;
  for (let i = 0; i < n; i++) if (flags[i]) count++;
  if (count === 0) {
    return { spots: Int32Array.from({ length: n }, (_, i) => i), warning: 'no spot is marked as under tissue; all spots were scored' };
  }
  const spots = new Int32Array(count);
  let j = 0;
  for (let i = 0; i < n; i++) if (flags[i]) spots[j++] = i;
  return { spots, warning: null };
}

export async function scoreSpots(opts: ScoreSpotsOptions): Promise<SpotScores> {
  const { model, st, slide, signal, onProgress, onBatch, onGeneScores } = opts;
  const m = model.manifest;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const views = getOrientationCount(opts.orientations ?? m.histology.orientations);
  const nAll = st.spots.ids.length;
  const warnings: string[] = [];
  const dataName = st.files[0]?.name ?? 'the ST data';

  const alignment = getGeneAlignment(m.gene.panel, st.genes);
  if (alignment.matched === 0) {
    throw new ModelDataMismatchError(
      `${dataName}: none of the model's ${m.gene.panel.length} panel genes (e.g. ${m.gene.panel.slice(0, 3).map((g) => g.symbol).join(', ')}) is in the data (${st.genes.symbols.length} genes, e.g. ${st.genes.symbols.slice(0, 3).join(', ')}); use a model whose panel matches this data's gene names.`,
    );
  }
  if (alignment.coverage < m.gene.minCoverage) {
    warnings.push(`only ${(alignment.coverage * 100).toFixed(1)}% of the model's gene panel is in the data (${alignment.matched}/${m.gene.panel.length}, model minimum ${(m.gene.minCoverage * 100).toFixed(0)}%); missing genes are zero-filled and gene/fused scores are less reliable`);
  }
  const { spots, warning } = getInTissueSpots(st);
  if (warning) warnings.push(warning);
  if (spots.length === 0) throw new ModelDataMismatchError(`${dataName}: the dataset has no spots to score.`);
  const n = spots.length;

  let patch: PatchGeometry | null = null;
  if (slide) {
    if (!opts.mpp || !(opts.mpp > 0)) {
      throw new ModelDataMismatchError(`${slide.meta.name}: the slide's um/px is unknown; give it (--mpp) so patches can be cut at the model's ${m.histology.mpp} um/px.`);
    }
    patch = getPatchGeometry(slide.meta, opts.mpp, m.histology.patchPx, m.histology.mpp);
    if (patch.scale < 0.5) {
      warnings.push(`the slide (${opts.mpp.toFixed(3)} um/px) is more than 2x coarser than the model's ${m.histology.mpp} um/px: patches are upsampled ${(1 / patch.scale).toFixed(1)}x and histology scores are unreliable`);
    }
    const { width: W, height: H } = slide.meta;
    let outside = 0;
    for (const s of spots) {
      const x = st.spots.x[s];
      const y = st.spots.y[s];
      if (!(x >= 0 && y >= 0 && x < W && y < H)) outside++;
    }
    if (outside > n / 2) {
      throw new ModelDataMismatchError(
        `${dataName}: ${outside} of ${n} in-tissue spots lie outside the slide ${slide.meta.name} (${W} x ${H} px); the spot positions are in another image frame (full resolution vs hires/lowres) or belong to another section. Open the image the positions refer to.`,
      );
    }
    if (outside > 0) warnings.push(`${outside} of ${n} in-tissue spots lie outside the slide; their patches are partly or wholly white`);
  }

  const histology = new Float32Array(nAll).fill(Number.NaN);
  const gene = new Float32Array(nAll).fill(Number.NaN);
  const fused = new Float32Array(nAll).fill(Number.NaN);
  const gate = slide ? new Float32Array(nAll).fill(Number.NaN) : null;
  let hasGate = false;
  const getBatch = (stage: SpotScoreBatch['stage'], ds: Int32Array): SpotScoreBatch => ({
    stage,
    spots: ds,
    histology: Float32Array.from(ds, (d) => histology[d]),
    gene: Float32Array.from(ds, (d) => gene[d]),
    fused: Float32Array.from(ds, (d) => fused[d]),
  });

  const sx = new Float64Array(n);
  const sy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sx[i] = st.spots.x[spots[i]];
    sy[i] = st.spots.y[spots[i]];
  }

  // 1. gene head over every in-tissue spot (scaling statistics need them all anyway)
  const genes = getGeneInputs(st.matrix, spots, alignment, m.gene, sx, sy);
  const G = model.panelSize;
  const E = model.geneDim;
  const geneEmb = new Float32Array(n * E);
  const geneChunk = 256;
  for (let s = 0; s < n; s += geneChunk) {
    signal?.throwIfAborted();
    const c = Math.min(geneChunk, n - s);
    const out = await model.runGene(genes.subarray(s * G, (s + c) * G), c);
    geneEmb.set(out.embedding, s * E);
    for (let i = 0; i < c; i++) gene[spots[s + i]] = out.prob[i];
    onProgress?.({ stage: 'genes', done: s + c, total: n });
  }
  // the manifest's spotSmoothing of the gene column: every gene score is in, so it comes before any is reported
  const smoothing = m.spotSmoothing && m.spotSmoothing.k > 0 ? getSmoothingGraph(sx, sy, m.spotSmoothing.k) : undefined;
  applySpotSmoothing(m, 'gene', spots, st.spots.x, st.spots.y, gene, smoothing);
  onGeneScores?.(spots, Float32Array.from(spots, (d) => gene[d]));

  // position of each dataset spot in the in-tissue list
  const pos = new Int32Array(nAll).fill(-1);
  for (let i = 0; i < n; i++) pos[spots[i]] = i;
  const k = m.neighbourhood.k;
  const nbrLocal = getNeighbourGraph(sx, sy, k);
  const neighbours = new Int32Array(n * k);
  for (let q = 0; q < nbrLocal.length; q++) neighbours[q] = spots[nbrLocal[q]];

  // priority order over in-tissue positions
  const seen = new Uint8Array(n);
  const order = new Int32Array(n);
  let o = 0;
  if (opts.order) {
    for (let q = 0; q < opts.order.length; q++) {
      const p = pos[opts.order[q]] ?? -1;
      if (p >= 0 && !seen[p]) {
        seen[p] = 1;
        order[o++] = p;
      }
    }
  }
  for (let p = 0; p < n; p++) if (!seen[p]) order[o++] = p;

  if (!slide || !patch) {
    for (let s = 0; s < n; s += batchSize) {
      const idx = order.subarray(s, Math.min(n, s + batchSize));
      const ds = Int32Array.from(idx, (p) => spots[p]);
      onBatch?.({ stage: 'spots', spots: ds, histology: new Float32Array(ds.length).fill(Number.NaN), gene: Float32Array.from(ds, (d) => gene[d]), fused: new Float32Array(ds.length).fill(Number.NaN) });
      onProgress?.({ stage: 'spots', done: s + idx.length, total: n });
    }
    return { spots, histology, gene, fused, gate: null, alignment, neighbours, patch: null, warnings };
  }

  // 2. histology embeddings on demand (batch spots + their neighbours), then fusion
  const D = model.imageDim;
  const T = k + 1;
  const imgEmb = new Float32Array(n * D);
  const hasImg = new Uint8Array(n);
  const { mean, std } = m.histology;
  let done = 0;
  for (let s = 0; s < n; s += batchSize) {
    signal?.throwIfAborted();
    const batch = order.subarray(s, Math.min(n, s + batchSize));
    const need: number[] = [];
    const mark = (p: number) => {
      if (!hasImg[p]) {
        hasImg[p] = 2;
        need.push(p);
      }
    };
    for (const p of batch) mark(p);
    for (const p of batch) for (let t = 0; t < k; t++) mark(nbrLocal[p * k + t]);
    for (let c0 = 0; c0 < need.length; c0 += batchSize) {
      signal?.throwIfAborted();
      const chunk = need.slice(c0, c0 + batchSize);
      const cx = chunk.map((p) => sx[p]);
      const cy = chunk.map((p) => sy[p]);
      const patches = await readPatchBatch(slide, patch, cx, cy, mean, std, signal);
      const out = await model.runHistology(patches, chunk.length);
      for (let i = 0; i < chunk.length; i++) {
        const p = chunk[i];
        imgEmb.set(out.embedding.subarray(i * D, (i + 1) * D), p * D);
        histology[spots[p]] = out.prob[i];
        hasImg[p] = 1;
      }
    }
    const b = batch.length;
    const imgTok = new Float32Array(b * T * D);
    const genTok = new Float32Array(b * T * E);
    for (let i = 0; i < b; i++) {
      const p = batch[i];
      for (let t = 0; t < T; t++) {
        const q = t === 0 ? p : nbrLocal[p * k + t - 1];
        imgTok.set(imgEmb.subarray(q * D, (q + 1) * D), (i * T + t) * D);
        genTok.set(geneEmb.subarray(q * E, (q + 1) * E), (i * T + t) * E);
      }
    }
    const f = await model.runFusion(imgTok, genTok, b);
    const ds = Int32Array.from(batch, (p) => spots[p]);
    for (let i = 0; i < b; i++) {
      fused[ds[i]] = f.prob[i];
      if (f.gate) {
        gate![ds[i]] = f.gate[i];
        hasGate = true;
      }
    }
    done += b;
    onBatch?.(getBatch('spots', ds));
    onProgress?.({ stage: 'spots', done, total: n });
  }

  // 3. every fused score is in (it reads the upright embeddings): now average the histology column
  // over the other views, in the same priority order; each batch re-reads its patches
  if (views > 1) {
    onProgress?.({ stage: 'views', done: 0, total: n });
    for (let s = 0; s < n; s += batchSize) {
      signal?.throwIfAborted();
      const batch = order.subarray(s, Math.min(n, s + batchSize));
      const patches = await readPatchBatch(
        slide,
        patch,
        Array.from(batch, (p) => sx[p]),
        Array.from(batch, (p) => sy[p]),
        mean,
        std,
        signal,
      );
      const sum = await loadViewLogOddsSum(model, patches, batch.length, 1, views, signal);
      const ds = Int32Array.from(batch, (p) => spots[p]);
      for (let i = 0; i < batch.length; i++) histology[ds[i]] = getOrientedProb(sum[i] + getLogOdds(histology[ds[i]]), views);
      onBatch?.(getBatch('views', ds));
      onProgress?.({ stage: 'views', done: s + batch.length, total: n });
    }
  }
  // the fused column's spotSmoothing needs every fused score: it is in the returned columns only (the
  // batches carry the heads' values; the browser's worker applies the same step when its run is complete)
  applySpotSmoothing(m, 'fused', spots, st.spots.x, st.spots.y, fused, smoothing);
  applySpotSmoothing(m, 'histology', spots, st.spots.x, st.spots.y, histology, smoothing);
  return { spots, histology, gene, fused, gate: hasGate ? gate : null, alignment, neighbours, patch, warnings };
}
