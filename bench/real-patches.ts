/**
 * Real encoder input for the benchmarks: the default manifest's histology settings and a batch of
 * patches of the demo section cut by the core pipeline. No browser or Playwright imports, so the
 * Node-only WebGPU bench (bench/webgpu-node.ts) can be bundled with it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeCodec } from '../src/core/image/node/sharp-codec.ts';
import { getPatchGeometry, readPatchBatch } from '../src/core/model/patch.ts';
import { openNodeSlideInput } from '../src/core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../src/core/slide/load-slide.ts';

/** the repository root (FUSESCOPE_ROOT overrides it for a bundled copy of a bench) */
export const BENCH_ROOT = process.env.FUSESCOPE_ROOT ?? resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface HistologyManifest {
  histology: { patchPx: number; mpp: number; mean: number[]; std: number[] };
}

export function getDefaultManifest(): HistologyManifest {
  return JSON.parse(readFileSync(resolve(BENCH_ROOT, 'models/default/manifest.json'), 'utf8')) as HistologyManifest;
}

/**
 * Real input: `n` patches of the demo section (HER2ST C2) on a grid over its tissue, cut and
 * normalised by the core pipeline exactly as for spots (random pixels would measure denormal
 * arithmetic, not the model).
 */
export async function getRealPatches(m: HistologyManifest, n: number, patchPx = m.histology.patchPx): Promise<Float32Array> {
  const slide = await loadSlide(await openNodeSlideInput(resolve(BENCH_ROOT, 'public/demo/C2.tif')), { codec: createNodeCodec() });
  try {
    const geom = getPatchGeometry(slide.meta, 1.3798, patchPx, m.histology.mpp);
    const cx: number[] = [];
    const cy: number[] = [];
    const cols = 8;
    const rows = Math.max(1, Math.ceil(n / cols));
    for (let i = 0; i < n; i++) {
      cx.push(slide.meta.width * (0.35 + 0.3 * ((i % cols) / (cols - 1))));
      cy.push(slide.meta.height * (0.4 + 0.25 * (Math.floor(i / cols) / Math.max(1, rows - 1))));
    }
    return await readPatchBatch(slide, geom, cx, cy, m.histology.mean, m.histology.std);
  } finally {
    slide.close();
  }
}

