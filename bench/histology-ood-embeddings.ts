/**
 * `npx tsx bench/histology-ood-embeddings.ts list.json out.json`: the upright histology embedding
 * of every tissue window of each image in list.json (`[{name, path, mpp?}]`), through the same
 * core heatmap pipeline as the CLI, for models/train/study_ood.py (can the 64-d embedding tell
 * tissue the model has not seen? The model card's Known limits has the answer: no).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createNodeCodec } from '../src/core/image/node/sharp-codec.ts';
import { loadHeatmapPlan, runHeatmap } from '../src/core/model/heatmap.ts';
import type { FuseModel } from '../src/core/model/model.ts';
import { loadNodeModel } from '../src/core/model/node-model.ts';
import { openNodeSlideInput } from '../src/core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../src/core/slide/load-slide.ts';

const [listFile, outFile] = process.argv.slice(2);
const items = JSON.parse(readFileSync(listFile, 'utf8')) as { name: string; path: string; mpp?: number }[];
const { model } = await loadNodeModel(resolve(import.meta.dirname, '../models/default'));
const out: Record<string, { n: number; emb: number[]; prob: number[] }> = {};
for (const it of items) {
  const emb: number[] = [];
  const prob: number[] = [];
  // the model with its histology calls recorded (everything else from the model itself)
  const recording: FuseModel = Object.assign(Object.create(model) as FuseModel, {
    runHistology: async (p: Float32Array, n: number) => {
      const o = await model.runHistology(p, n);
      emb.push(...o.embedding);
      prob.push(...o.prob);
      return o;
    },
  });
  const slide = await loadSlide(await openNodeSlideInput(it.path), { codec: createNodeCodec() });
  const plan = await loadHeatmapPlan(slide, model.manifest, it.mpp ?? slide.meta.mpp ?? 0.5);
  await runHeatmap(plan, recording, slide, { orientations: 1 });
  slide.close();
  out[it.name] = { n: prob.length, emb, prob };
  process.stderr.write(`${it.name}: ${prob.length} windows\n`);
}
writeFileSync(outFile, JSON.stringify(out));
await model.release();
