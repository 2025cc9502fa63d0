/**
 * Preprocessing parity with the Python training (models/train): the parity fixtures written by
 * models/train/export.py hold the patches of HER2ST B4 spots 0, 40, 120 and the gene vectors of
 * spots 0-4 (counts-file order, in-tissue spots) as training made them. The TS pipeline, reading
 * the same section through the slide and ST cores, must produce the same model inputs.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCodec } from '../image/node/sharp-codec.ts';
import { openNodeSlideInput } from '../slide/bytes/node-file-source.ts';
import { loadSlide } from '../slide/load-slide.ts';
import type { SlideSource } from '../slide/types.ts';
import { loadNodeStFiles } from '../st/files/node.ts';
import { loadStDataset } from '../st/load.ts';
import type { StDataset } from '../st/types.ts';
import { getGeneAlignment, getGeneInputs } from './genes.ts';
import { getManifest, type ModelManifest } from './manifest.ts';
import { getMppResolution } from './mpp.ts';
import { getPatchGeometry, readPatchBatch } from './patch.ts';
import { getInTissueSpots } from './score-spots.ts';

const ROOT = resolve(__dirname, '../../..');
const FIX = `${ROOT}/tests/fixtures/model-parity`;
const HER2ST = resolve(ROOT, '../shared/data/her2st');

function readBin(file: string): Float32Array {
  const buf = readFileSync(`${FIX}/${file}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** In-tissue B4 spot ids in counts-file order (the order models/train/common.py load_section uses). */
function getTrainingSpotOrder(): string[] {
  const rows = gunzipSync(readFileSync(`${HER2ST}/counts/B4.tsv.gz`)).toString('utf8').split('\n').slice(1).map((l) => l.split('\t', 1)[0]).filter(Boolean);
  const sel = new Set(
    readFileSync(`${HER2ST}/spots/B4_selection.tsv`, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'))
      .filter((f) => f[6] === '1')
      .map((f) => `${f[0]}x${f[1]}`),
  );
  return rows.filter((id) => sel.has(id));
}

describe('preprocessing matches the Python training (HER2ST B4)', () => {
  let st: StDataset;
  let slide: SlideSource;
  let manifest: ModelManifest;
  let order: string[];
  beforeAll(async () => {
    manifest = getManifest(JSON.parse(readFileSync(`${ROOT}/models/default/manifest.json`, 'utf8')));
    st = await loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/B4.tsv.gz`, `${HER2ST}/spots/B4_selection.tsv`]), {});
    slide = await loadSlide(await openNodeSlideInput(`${HER2ST}/images/B4.jpg`), { codec: createNodeCodec() });
    order = getTrainingSpotOrder();
  });
  afterAll(() => slide?.close());

  it('gene vectors of the first five spots equal the training inputs (scaling and neighbourhood mean)', () => {
    const expected = readBin('gene.genes.bin');
    const G = manifest.gene.panel.length;
    expect(expected.length).toBe(5 * G);
    const alignment = getGeneAlignment(manifest.gene.panel, st.genes);
    const { spots } = getInTissueSpots(st);
    expect(spots.length).toBe(order.length);
    const v = getGeneInputs(st.matrix, spots, alignment, manifest.gene, Float64Array.from(spots, (s) => st.spots.x[s]), Float64Array.from(spots, (s) => st.spots.y[s]));
    const row = new Map<string, number>();
    for (let i = 0; i < spots.length; i++) row.set(st.spots.ids[spots[i]], i);
    let maxDiff = 0;
    for (let s = 0; s < 5; s++) {
      const r = row.get(order[s])!;
      for (let g = 0; g < G; g++) maxDiff = Math.max(maxDiff, Math.abs(v[r * G + g] - expected[s * G + g]));
    }
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('patches of spots 0, 40, 120 match the training crops (same place, scale and normalisation)', async () => {
    const expected = readBin('histology.patch.bin');
    const P = manifest.histology.patchPx;
    const plane = 3 * P * P;
    const mpp = getMppResolution({ slide: slide.meta, st }).mpp!;
    const geom = getPatchGeometry(slide.meta, mpp, P, manifest.histology.mpp);
    const idx = [0, 40, 120].map((i) => st.spots.ids.indexOf(order[i]));
    const ours = await readPatchBatch(slide, geom, idx.map((i) => st.spots.x[i]), idx.map((i) => st.spots.y[i]), manifest.histology.mean, manifest.histology.std);
    for (let k = 0; k < 3; k++) {
      let sum = 0;
      let ref = 0;
      const a = ours.subarray(k * plane, (k + 1) * plane);
      const b = expected.subarray(k * plane, (k + 1) * plane);
      let ma = 0;
      let mb = 0;
      for (let i = 0; i < plane; i++) {
        ma += a[i];
        mb += b[i];
      }
      ma /= plane;
      mb /= plane;
      let cov = 0;
      let va = 0;
      let vb = 0;
      for (let i = 0; i < plane; i++) {
        sum += Math.abs(a[i] - b[i]);
        ref += Math.abs(b[i] - mb);
        cov += (a[i] - ma) * (b[i] - mb);
        va += (a[i] - ma) ** 2;
        vb += (b[i] - mb) ** 2;
      }
      const corr = cov / Math.sqrt(va * vb);
      // same content: pixel correlation near 1 and differences far below the patch's own variation
      // (residual differences: training cut a 96 px context at integer-rounded source pixels, then the centre 64 px)
      expect(corr).toBeGreaterThan(0.98); // measured 0.992-0.995
      expect(sum / ref).toBeLessThan(0.15); // measured 0.074-0.091
    }
  });
});
