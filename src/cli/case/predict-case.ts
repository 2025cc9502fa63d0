/**
 * One section scored with the three heads, from files on disk: what `fusescope predict` writes
 * and what `fusescope cohort` runs per case, on a model loaded once by the caller.
 */
import type { FuseModel } from '../../core/model/model.ts';
import { getMppResolution } from '../../core/model/mpp.ts';
import { scoreSpots } from '../../core/model/score-spots.ts';
import { getSpotSmoothing } from '../../core/model/spot-smoothing.ts';
import { getSpotCsvText, type SpotRow } from '../../core/score/spot-csv.ts';
import { getLabelFreeThreshold } from '../../core/score/threshold.ts';
import { getSaturation, getStainCheck, getTissueMaskFromSaturation, loadThumbnailRgb } from '../../core/regions/tissue.ts';
import type { MppSource, SlideSource } from '../../core/slide/types.ts';
import { getStDatasetInFrame, getStDatasetScaled } from '../../core/st/assemble.ts';
import { loadNodeStFiles } from '../../core/st/files/node.ts';
import { loadStDataset } from '../../core/st/load.ts';
import { getSlideFit, getSpotBounds } from '../../core/st/slide-fit.ts';
import type { StDataset } from '../../core/st/types.ts';
import { createProgressWriter } from '../model-options.ts';
import { loadCliSlide } from './open-slide.ts';

export interface PredictCaseInput {
  /** slide path; without it only the gene head runs */
  slide?: string;
  /** the slide already open (a cohort case that also makes its heatmap): used, not closed */
  openSlide?: SlideSource;
  /** ST files or folders */
  st: string[];
  mpp?: number;
  stScale?: number;
  section?: string;
  /** Visium HD: side of the summed bins in um (default 96) */
  hdBinUm?: number;
  /** views averaged by the histology head; `userViews` says whether the user chose them */
  views: 1 | 2 | 4 | 8;
  userViews?: boolean;
  /** the user turned the model's spotSmoothing off (--smoothing off): said on stderr */
  smoothingOff?: boolean;
  batchSize?: number;
}

export interface PredictCaseResult {
  /** predict's CSV, header and one row per in-tissue spot */
  csv: string;
  spots: number;
  cancerSpots: number;
  /** the column the `cancer` calls threshold: fused with a slide, else gene */
  cancerColumn: 'fused' | 'gene';
  threshold: number;
  thresholdDetail: string;
  /** panel genes found in the data, 0-1 */
  geneCoverage: number;
  mpp: number | null;
  mppSource: MppSource | null;
  platform: string;
  /** ST and scoring warnings, as logged */
  warnings: string[];
  scoreMs: number;
  /** the ST data the spots were scored from (for what else a caller computes, e.g. marker genes) */
  dataset: StDataset;
}

/** Scores one section; `log` gets the lines predict prints on stderr. */
export async function runPredictCase(model: FuseModel, input: PredictCaseInput, log: (s: string) => void): Promise<PredictCaseResult> {
  const { views } = input;
  const warnings: string[] = [];
  let slide: SlideSource | null = null;
  try {
    if (input.openSlide) slide = input.openSlide;
    else if (input.slide) slide = await loadCliSlide(input.slide);
    const files = await loadNodeStFiles(input.st);
    // gene-only (no slide): legacy ST counts alone are placed by their XxY ids, in array units
    let st = await loadStDataset(files, { slideMpp: slide?.meta.mpp ?? input.mpp ?? null, section: input.section, hdBinUm: input.hdBinUm, allowArrayPositions: !slide });
    // positions come in full-resolution pixels; a Space Ranger hires/lowres PNG opened as the slide needs its frame
    const image = slide ? st.images?.find((im) => im.file.split('/').pop() === slide?.meta.name) : undefined;
    if (image && image.name !== st.frame.name) {
      st = getStDatasetInFrame(st, image.name);
      log(`st: spot positions mapped to the ${image.name} image (${image.file}, scale ${image.scale})`);
    }
    if (input.stScale !== undefined && input.stScale !== 1) {
      st = getStDatasetScaled(st, input.stScale);
      log(`st: spot positions multiplied by ${input.stScale} (--st-scale)`);
    }
    if (slide) {
      const note = checkSpotsOnSlide(st, slide.meta);
      if (note) {
        warnings.push(note);
        log(`st: ${note}`);
      }
    }
    for (const w of st.warnings) {
      warnings.push(w);
      log(`st: ${w}`);
    }
    const inTissue = st.spots.inTissue.reduce((a: number, b: number) => a + b, 0);
    log(`st: ${st.platform}, ${st.spots.ids.length} spots (${inTissue} under tissue), ${st.genes.symbols.length} genes`);

    let mpp: number | null = null;
    let mppSource: MppSource | null = null;
    if (slide) {
      const res = getMppResolution({ slide: slide.meta, userMpp: input.mpp, st });
      log(`um/px: ${res.detail}`);
      mpp = res.mpp;
      mppSource = res.source;
      // the histology and fused columns read H&E: say so when the image is not
      if (mpp) {
        const thumb = await loadThumbnailRgb(slide, mpp, model.manifest.histology.tissue.thumbnailMpp);
        const stain = getStainCheck(thumb.rgb, getTissueMaskFromSaturation(getSaturation(thumb.rgb), model.manifest.histology.tissue.minSaturation).mask);
        if (stain.problem) {
          const w = `${slide.meta.name} ${stain.problem}`;
          warnings.push(w);
          log(`warning: ${w}`);
        }
      }
      log(`histology: ${views === 1 ? 'upright patches only' : `each patch averaged over ${views} orientations (log-odds); fused reads the upright embeddings`}${input.userViews ? ' (--orientations)' : ''}`);
    }
    const progress = createProgressWriter('predict');
    const tScore = performance.now();
    const scores = await scoreSpots({
      model,
      st,
      slide,
      mpp,
      batchSize: input.batchSize,
      orientations: views,
      onProgress: (p) => progress.update(p.done, p.total, p.stage === 'genes' ? 'gene head, spots' : p.stage === 'views' ? `histology over ${views} orientations, spots` : 'spots'),
    });
    progress.end();
    const scoreMs = performance.now() - tScore;
    const a = scores.alignment;
    log(`genes: ${a.matched}/${model.panelSize} panel genes found (${(a.coverage * 100).toFixed(1)}%; ${a.matchedByEnsembl} by Ensembl id, ${a.matchedBySymbol} by symbol)`);
    const filled = slide ? (['histology', 'gene', 'fused'] as const) : (['gene'] as const);
    const smoothed = filled.filter((c) => getSpotSmoothing(model.manifest, c));
    if (smoothed.length) {
      const rule = getSpotSmoothing(model.manifest, smoothed[0])!;
      log(`smoothing: ${smoothed.join(' and ')} over each spot and its ${rule.k} nearest in-tissue spots (the model's spotSmoothing: bilateral mean of the log-odds, sigma ${rule.sigma} x their spread; --smoothing off for the heads' values)`);
    } else if (input.smoothingOff) log("smoothing: off (--smoothing off): the heads' values");
    for (const w of scores.warnings) {
      warnings.push(w);
      log(`warning: ${w}`);
    }

    const column = slide ? scores.fused : scores.gene;
    const values = Float32Array.from(scores.spots, (s) => column[s]);
    const t = getLabelFreeThreshold(values, model.manifest.threshold.method, model.manifest.threshold.fallback);
    const nul = (v: number) => (Number.isFinite(v) ? v : null);
    const rows: SpotRow[] = Array.from(scores.spots, (s) => ({
      spot_id: st.spots.ids[s],
      x: st.spots.x[s],
      y: st.spots.y[s],
      histology: nul(scores.histology[s]),
      gene: nul(scores.gene[s]),
      fused: nul(scores.fused[s]),
      cancer: Number.isFinite(column[s]) ? (column[s] >= t.threshold ? 1 : 0) : null,
    }));
    const cancerSpots = rows.filter((r) => r.cancer === 1).length;
    log(`cancer: ${slide ? 'fused' : 'gene (no slide)'} score >= ${t.threshold.toFixed(4)} (${t.detail}): ${cancerSpots}/${scores.spots.length} spots`);
    return {
      csv: getSpotCsvText(rows),
      spots: scores.spots.length,
      cancerSpots,
      cancerColumn: slide ? 'fused' : 'gene',
      threshold: t.threshold,
      thresholdDetail: t.detail,
      geneCoverage: a.coverage,
      mpp,
      mppSource,
      platform: st.platform,
      warnings,
      scoreMs,
      dataset: st,
    };
  } finally {
    if (!input.openSlide) slide?.close();
  }
}

/**
 * Spots must land on the slide (scoreSpots refuses a section with most spots off it and warns for
 * a few): this adds what a spot file made for another scan of the section needs, the scale that
 * would bring the spots inside (a resized copy of the scan: --st-scale). Throws when most spots
 * miss the slide; returns a note when a few do and a scale would fit them, else null.
 */
function checkSpotsOnSlide(st: StDataset, meta: { width: number; height: number; name: string }): string | null {
  const fit = getSlideFit(st, meta.width, meta.height);
  const b = getSpotBounds(st);
  if (fit.total === 0 || fit.inside === fit.total || !b) return null;
  const span = `spots span x ${Math.round(b.minX)}-${Math.round(b.maxX)}, y ${Math.round(b.minY)}-${Math.round(b.maxY)} px; the slide is ${meta.width} x ${meta.height} px`;
  const k = Math.min(meta.width / b.maxX, meta.height / b.maxY);
  const hint = k < 0.98 && b.minX >= 0 && b.minY >= 0 ? ` If ${meta.name} is a resized copy of the image the spot file refers to, give --st-scale (at most ${k.toFixed(4)}: the copy's width over the original's).` : '';
  const outside = fit.total - fit.inside;
  if (outside > fit.total / 2) {
    throw new Error(`${st.files[0]?.name ?? 'ST files'}: ${outside} of ${fit.total} spots fall outside ${meta.name} (${span}).${hint || ' Check that the spots belong to this slide and are in its pixel frame.'}`);
  }
  return hint ? `${outside} of ${fit.total} spots fall outside ${meta.name} (${span}).${hint}` : null;
}
