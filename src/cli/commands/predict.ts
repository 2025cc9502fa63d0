/**
 * `fusescope predict --slide <slide> --st <ST files...> [--model <dir>] [--mpp M] --out scores.csv`
 * Scores every in-tissue spot with the model package's histology, gene and fused heads (the same
 * src/core pipeline as the browser) and writes `spot_id,x,y,histology,gene,fused,cancer`.
 * Without --slide only the gene head runs (histology and fused are empty and `cancer` uses the
 * gene score). `cancer` is 0/1 at the manifest's label-free threshold over this section's scores.
 */
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { writeFile } from 'node:fs/promises';
import { createNodeCodec } from '../../core/image/node/sharp-codec.ts';
import { getMppResolution } from '../../core/model/mpp.ts';
import { loadNodeModel } from '../../core/model/node-model.ts';
import { scoreSpots } from '../../core/model/score-spots.ts';
import { getLabelFreeThreshold } from '../../core/score/threshold.ts';
import { openNodeSlideInput } from '../../core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../../core/slide/load-slide.ts';
import type { SlideSource } from '../../core/slide/types.ts';
import { getStDatasetInFrame, getStDatasetScaled } from '../../core/st/assemble.ts';
import { getSlideFit, getSpotBounds } from '../../core/st/slide-fit.ts';
import type { StDataset } from '../../core/st/types.ts';
import { loadNodeStFiles } from '../../core/st/files/node.ts';
import { loadStDataset } from '../../core/st/load.ts';
import { createProgressWriter, getDefaultModelDir, parseOrientations, parsePositive } from '../model-options.ts';

export const PREDICT_USAGE =
  'usage: fusescope predict [--slide <slide>] --st <ST files or folder...> [--model <dir>] [--mpp <um/px>] [--st-scale <k>] [--section <name>] [--orientations 1|2|4|8] [--batch <n>] --out scores.csv';

/** `--st a b c --out x` -> `--st a --st b --st c --out x` so parseArgs can collect the list. */
export function expandListOption(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== `--${name}`) {
      out.push(argv[i]);
      continue;
    }
    let j = i + 1;
    while (j < argv.length && !argv[j].startsWith('--')) out.push(`--${name}`, argv[j++]);
    if (j === i + 1) out.push(argv[i]);
    i = j - 1;
  }
  return out;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(6) : '';
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(
    expandListOption(argv, 'st'),
    {
      slide: { type: 'string' },
      st: { type: 'string', multiple: true },
      model: { type: 'string' },
      mpp: { type: 'string' },
      'st-scale': { type: 'string' },
      section: { type: 'string' },
      orientations: { type: 'string' },
      batch: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    PREDICT_USAGE, false,
  );
  const v = parsed.values;
  if (isHelpAsked(v, PREDICT_USAGE)) return 0;
  if (!v.st?.length) throw new Error(`--st is required (${PREDICT_USAGE})`);
  if (!v.out) throw new Error(`--out is required (${PREDICT_USAGE})`);
  const userMpp = parsePositive('mpp', v.mpp);
  const batchSize = parsePositive('batch', v.batch);
  const userViews = parseOrientations(v.orientations);
  const stScale = parsePositive('st-scale', v['st-scale']);
  const t0 = performance.now();
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const modelDir = v.model ?? getDefaultModelDir();
  const { model } = await loadNodeModel(modelDir);
  log(`model: ${model.manifest.name} ${model.manifest.version} (${modelDir}), ${model.runtimeName}`);
  const views = userViews ?? model.manifest.histology.orientations;

  let slide: SlideSource | null = null;
  try {
    if (v.slide) slide = await loadSlide(await openNodeSlideInput(v.slide), { codec: createNodeCodec() });
    const files = await loadNodeStFiles(v.st);
    // gene-only (no slide): legacy ST counts alone are placed by their XxY ids, in array units
    let st = await loadStDataset(files, { slideMpp: slide?.meta.mpp ?? userMpp ?? null, section: v.section, allowArrayPositions: !slide });
    // positions come in full-resolution pixels; a Space Ranger hires/lowres PNG opened as the slide needs its frame
    const image = slide ? st.images?.find((im) => im.file.split('/').pop() === slide?.meta.name) : undefined;
    if (image && image.name !== st.frame.name) {
      st = getStDatasetInFrame(st, image.name);
      log(`st: spot positions mapped to the ${image.name} image (${image.file}, scale ${image.scale})`);
    }
    if (stScale !== undefined && stScale !== 1) {
      st = getStDatasetScaled(st, stScale);
      log(`st: spot positions multiplied by ${stScale} (--st-scale)`);
    }
    if (slide) checkSpotsOnSlide(st, slide.meta, log);
    for (const w of st.warnings) log(`st: ${w}`);
    const inTissue = st.spots.inTissue.reduce((a: number, b: number) => a + b, 0);
    log(`st: ${st.platform}, ${st.spots.ids.length} spots (${inTissue} under tissue), ${st.genes.symbols.length} genes`);

    let mpp: number | null = null;
    if (slide) {
      const res = getMppResolution({ slide: slide.meta, userMpp, st });
      log(`um/px: ${res.detail}`);
      mpp = res.mpp;
    }
    if (slide) log(`histology: ${views === 1 ? 'upright patches only' : `each patch averaged over ${views} orientations (log-odds); fused reads the upright embeddings`}${userViews ? ' (--orientations)' : ''}`);
    const progress = createProgressWriter('predict');
    const tScore = performance.now();
    const scores = await scoreSpots({
      model,
      st,
      slide,
      mpp,
      batchSize,
      orientations: views,
      onProgress: (p) => progress.update(p.done, p.total, p.stage === 'genes' ? 'gene head, spots' : p.stage === 'views' ? `histology over ${views} orientations, spots` : 'spots'),
    });
    progress.end();
    const scoreMs = performance.now() - tScore;
    const a = scores.alignment;
    log(`genes: ${a.matched}/${model.panelSize} panel genes found (${(a.coverage * 100).toFixed(1)}%; ${a.matchedByEnsembl} by Ensembl id, ${a.matchedBySymbol} by symbol)`);
    for (const w of scores.warnings) log(`warning: ${w}`);

    const column = slide ? scores.fused : scores.gene;
    const values = Float32Array.from(scores.spots, (s) => column[s]);
    const t = getLabelFreeThreshold(values, model.manifest.threshold.method, model.manifest.threshold.fallback);
    let nCancer = 0;
    const lines = ['spot_id,x,y,histology,gene,fused,cancer'];
    for (const s of scores.spots) {
      const score = column[s];
      const cancer = Number.isFinite(score) ? (score >= t.threshold ? 1 : 0) : '';
      if (cancer === 1) nCancer++;
      lines.push(
        `${csvField(st.spots.ids[s])},${st.spots.x[s].toFixed(2)},${st.spots.y[s].toFixed(2)},${fmt(scores.histology[s])},${fmt(scores.gene[s])},${fmt(scores.fused[s])},${cancer}`,
      );
    }
    await writeFile(v.out, `${lines.join('\n')}\n`);
    log(`cancer: ${slide ? 'fused' : 'gene (no slide)'} score >= ${t.threshold.toFixed(4)} (${t.detail}): ${nCancer}/${scores.spots.length} spots`);
    log(`wrote ${scores.spots.length} spots to ${v.out} (scoring ${(scoreMs / 1000).toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return 0;
  } finally {
    slide?.close();
    await model.release();
  }
}

/**
 * Spots must land on the slide (scoreSpots refuses a section with most spots off it and warns for
 * a few): this adds what a spot file made for another scan of the section needs, the scale that
 * would bring the spots inside (a resized copy of the scan: --st-scale).
 */
function checkSpotsOnSlide(st: StDataset, meta: { width: number; height: number; name: string }, log: (s: string) => void): void {
  const fit = getSlideFit(st, meta.width, meta.height);
  const b = getSpotBounds(st);
  if (fit.total === 0 || fit.inside === fit.total || !b) return;
  const span = `spots span x ${Math.round(b.minX)}-${Math.round(b.maxX)}, y ${Math.round(b.minY)}-${Math.round(b.maxY)} px; the slide is ${meta.width} x ${meta.height} px`;
  const k = Math.min(meta.width / b.maxX, meta.height / b.maxY);
  const hint = k < 0.98 && b.minX >= 0 && b.minY >= 0 ? ` If ${meta.name} is a resized copy of the image the spot file refers to, give --st-scale (at most ${k.toFixed(4)}: the copy's width over the original's).` : '';
  const outside = fit.total - fit.inside;
  if (outside > fit.total / 2) {
    throw new Error(`${st.files[0]?.name ?? 'ST files'}: ${outside} of ${fit.total} spots fall outside ${meta.name} (${span}).${hint || ' Check that the spots belong to this slide and are in its pixel frame.'}`);
  }
  if (hint) log(`st: ${outside} of ${fit.total} spots fall outside ${meta.name} (${span}).${hint}`);
}
