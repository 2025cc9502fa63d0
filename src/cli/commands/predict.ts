/**
 * `fusescope predict --slide <slide> --st <ST files...> [--model <dir>] [--mpp M] --out scores.csv`
 * Scores every in-tissue spot with the model package's histology, gene and fused heads (the same
 * src/core pipeline as the browser) and writes `spot_id,x,y,histology,gene,fused,cancer`.
 * Without --slide only the gene head runs (histology and fused are empty and `cancer` uses the
 * gene score). `cancer` is 0/1 at the manifest's label-free threshold over this section's scores.
 */
import { writeFile } from 'node:fs/promises';
import { loadNodeModel } from '../../core/model/node-model.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { runPredictCase } from '../case/predict-case.ts';
import { getDefaultModelDir, getModelWithSmoothing, parseOrientations, parsePositive, parseSmoothing } from '../model-options.ts';

export const PREDICT_USAGE =
  'usage: fusescope predict [--slide <slide>] --st <ST files or folder...> [--model <dir>] [--mpp <um/px>] [--st-scale <k>] [--section <name>] [--hd-bin-um <um>] [--orientations 1|2|4|8] [--smoothing on|off] [--batch <n>] --out scores.csv';

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
      'hd-bin-um': { type: 'string' },
      orientations: { type: 'string' },
      smoothing: { type: 'string' },
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
  const smoothing = parseSmoothing(v.smoothing);
  const stScale = parsePositive('st-scale', v['st-scale']);
  const hdBinUm = parsePositive('hd-bin-um', v['hd-bin-um']);
  const t0 = performance.now();
  const log = (s: string) => process.stderr.write(`${s}\n`);

  const modelDir = v.model ?? getDefaultModelDir();
  const loaded = (await loadNodeModel(modelDir)).model;
  const model = getModelWithSmoothing(loaded, smoothing);
  log(`model: ${model.manifest.name} ${model.manifest.version} (${modelDir}), ${model.runtimeName}`);
  const views = userViews ?? model.manifest.histology.orientations;

  try {
    const r = await runPredictCase(
      model,
      { slide: v.slide, st: v.st, mpp: userMpp, stScale, section: v.section, hdBinUm, views, userViews: userViews !== undefined, smoothingOff: smoothing === false && !!loaded.manifest.spotSmoothing, batchSize },
      log,
    );
    await writeFile(v.out, r.csv);
    log(`wrote ${r.spots} spots to ${v.out} (scoring ${(r.scoreMs / 1000).toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return 0;
  } finally {
    await model.release();
  }
}
