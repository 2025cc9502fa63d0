/**
 * `fusescope predict` and `fusescope heatmap` as a user (or a cohort script) runs them:
 * `node bin/fusescope.mjs ...` on the real data, with the default model package.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBmp24 } from '../../core/image/testing/encode-bmp.ts';
import { getManifest } from '../../core/model/manifest.ts';
import { getSmoothedProbs, getSpotSmoothing } from '../../core/model/spot-smoothing.ts';
import { runCli } from '../testing/run-cli.ts';

const ROOT = resolve(__dirname, '../../..');
const DATA = resolve(ROOT, '../shared/data');
const tmp = mkdtempSync(join(tmpdir(), 'fusescope-model-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Rank AUC (ties count half). */
function getAuc(scores: number[], labels: number[]): number {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe('fusescope predict', () => {
  it('HER2ST B1 counts + spot file, no slide: one row per in-tissue spot, gene column only, labels separated', async () => {
    const out = join(tmp, 'B1.csv');
    const r = await runCli(['predict', '--st', `${DATA}/her2st/counts/B1.tsv.gz`, `${DATA}/her2st/spots/B1_selection.tsv`, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/1000\/1000 panel genes found/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('spot_id,x,y,histology,gene,fused,cancer');
    const rows = lines.slice(1).map((l) => l.split(','));
    // in-tissue spots of B1 (selected = 1 in the spot file and present in the counts)
    expect(rows.length).toBe(295);
    for (const c of rows) {
      expect(c[0]).toMatch(/^\d+x\d+$/);
      expect(c[3]).toBe('');
      expect(c[5]).toBe('');
      const g = Number(c[4]);
      expect(g).toBeGreaterThanOrEqual(0);
      expect(g).toBeLessThanOrEqual(1);
      expect(['0', '1']).toContain(c[6]);
    }
    // pathologist labels (B1 is a training section of the default package: a sanity check, not a metric)
    const lab = new Map<string, number>();
    for (const l of readFileSync(`${DATA}/her2st/labels/B1_labeled_coordinates.tsv`, 'utf8').trim().split('\n').slice(1)) {
      const f = l.split('\t');
      if (f[1] === 'NA' || f[1] === '') continue;
      lab.set(`${Math.round(Number(f[1]))}x${Math.round(Number(f[2]))}`, /invasive cancer|cancer in situ/.test(f[5]) ? 1 : 0);
    }
    const scored = rows.filter((c) => lab.has(c[0]));
    expect(scored.length).toBe(295);
    expect(getAuc(scored.map((c) => Number(c[4])), scored.map((c) => lab.get(c[0])!))).toBeGreaterThan(0.9);
  }, 60_000);

  it("--smoothing off writes the gene head's values; by default they come after the model's spot smoothing; a bad value is refused", async () => {
    const st = [`${DATA}/her2st/counts/B1.tsv.gz`, `${DATA}/her2st/spots/B1_selection.tsv`];
    const onOut = join(tmp, 'B1-smoothed.csv');
    const offOut = join(tmp, 'B1-raw.csv');
    const on = await runCli(['predict', '--st', ...st, '--out', onOut]);
    const off = await runCli(['predict', '--st', ...st, '--smoothing', 'off', '--out', offOut]);
    expect(on.code).toBe(0);
    expect(off.code).toBe(0);
    expect(on.stderr).toMatch(/smoothing: gene over each spot and its 18 nearest in-tissue spots/);
    expect(off.stderr).toMatch(/smoothing: off \(--smoothing off\)/);
    const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const a = rows(onOut);
    const b = rows(offOut);
    expect(b.map((r) => r[0])).toEqual(a.map((r) => r[0]));
    const manifest = getManifest(JSON.parse(readFileSync(join(ROOT, 'models/default/manifest.json'), 'utf8')));
    const rule = getSpotSmoothing(manifest, 'gene')!;
    const expected = getSmoothedProbs(b.map((r) => Number(r[4])), b.map((r) => Number(r[1])), b.map((r) => Number(r[2])), rule);
    let moved = 0;
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(Number(a[i][4]) - expected[i])).toBeLessThan(1e-5);
      if (Math.abs(Number(a[i][4]) - Number(b[i][4])) > 1e-3) moved++;
    }
    expect(moved).toBeGreaterThan(a.length / 4);
    const bad = await runCli(['predict', '--st', ...st, '--smoothing', 'maybe', '--out', offOut]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--smoothing must be on .* or off/);
  }, 60_000);

  it('spots in the pixels of the full-resolution scan on a half-size copy: an error naming --st-scale, and --st-scale 0.5 gives the scores of correctly scaled spots', async () => {
    const demo = join(ROOT, 'public/demo');
    const counts = join(demo, 'C2.tsv.gz');
    const scaledOut = join(tmp, 'C2-demo.csv');
    const ok = await runCli(['predict', '--slide', join(demo, 'C2.tif'), '--st', counts, join(demo, 'C2_selection.tsv'), '--out', scaledOut]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toMatch(/fall outside/);
    // the original spot file is in the pixels of the 9,274 px wide original: most spots miss the copy
    const full = `${DATA}/her2st/spots/C2_selection.tsv`;
    const bad = await runCli(['predict', '--slide', join(demo, 'C2.tif'), '--st', counts, full, '--out', join(tmp, 'C2-bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').pop()).toMatch(
      /^fusescope predict: C2\.tsv\.gz: 186 of 187 spots fall outside C2\.tif \(spots span x \d+-\d+, y \d+-\d+ px; the slide is 4637 x 4956 px\)\. If C2\.tif is a resized copy of the image the spot file refers to, give --st-scale \(at most 0\.5933/,
    );
    const fixedOut = join(tmp, 'C2-fixed.csv');
    const fixed = await runCli(['predict', '--slide', join(demo, 'C2.tif'), '--st', counts, full, '--st-scale', '0.5', '--out', fixedOut]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toMatch(/spot positions multiplied by 0\.5 \(--st-scale\)/);
    expect(fixed.stderr).not.toMatch(/fall outside/);
    const rows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const a = rows(scaledOut);
    const b = rows(fixedOut);
    expect(b.map((r) => r[0])).toEqual(a.map((r) => r[0]));
    for (let i = 0; i < a.length; i++) {
      // the demo's spot file was written from the original's pixel columns x 0.5, rounded to 0.01 px
      expect(Math.abs(Number(b[i][1]) - Number(a[i][1]))).toBeLessThan(0.02);
      // genes do not depend on positions; patches move by that rounding (< 0.01 px) only
      expect(Math.abs(Number(b[i][4]) - Number(a[i][4]))).toBeLessThan(1e-6);
      for (const c of [3, 5]) expect(Math.abs(Number(b[i][c]) - Number(a[i][c]))).toBeLessThan(1e-2);
    }
  }, 120_000);

  it('spots that all miss the slide: exit 1 with the spans and what to check', async () => {
    const r = await runCli(['predict', '--slide', `${DATA}/glas/train/train_1.jpg`, '--st', `${DATA}/her2st/counts/B1.tsv.gz`, `${DATA}/her2st/spots/B1_selection.tsv`, '--out', join(tmp, 'x.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^fusescope predict: B1\.tsv\.gz: 295 of 295 spots fall outside train_1\.jpg \(spots span x \d+-\d+, y \d+-\d+ px; the slide is \d+ x \d+ px\)\. If train_1\.jpg is a resized copy/);
  });

  it('legacy ST counts without their spot file: gene-only rows at the array positions of the ids, with a warning; with --slide, refused', async () => {
    const out = join(tmp, 'b1-counts-only.csv');
    const r = await runCli(['predict', '--st', `${DATA}/her2st/counts/B1.tsv.gz`, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/st: B1\.tsv\.gz: no spot file \(\*_selection\.tsv\), so each spot is placed at the array position of its id/);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(295);
    for (const f of rows) {
      expect(`${Number(f[1])}x${Number(f[2])}`).toBe(f[0]);
      expect(Number(f[4])).toBeGreaterThan(0);
      expect(f[3]).toBe('');
    }
    const bad = await runCli(['predict', '--slide', `${DATA}/glas/train/train_1.jpg`, '--st', `${DATA}/her2st/counts/B1.tsv.gz`, '--out', join(tmp, 'x.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').pop()).toMatch(/B1\.tsv\.gz: is a legacy ST count matrix but no spot file gives the spots' positions.*\*_selection\.tsv/);
  }, 120_000);

  it('a model folder that does not exist: exit 1 and one line naming the file', async () => {
    const r = await runCli(['predict', '--st', `${DATA}/her2st/counts/B1.tsv.gz`, '--model', join(tmp, 'no-such-model'), '--out', join(tmp, 'x.csv')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/no-such-model\/manifest\.json: cannot read the manifest/);
  }, 60_000);
});

describe('fusescope heatmap', () => {
  it('CMU-1 (SVS): um/px from the file, JSON summary, PNG and QuPath GeoJSON written', async () => {
    const png = join(tmp, 'cmu1.png');
    const geo = join(tmp, 'cmu1.geojson');
    const r = await runCli(['heatmap', '--slide', `${DATA}/slides/CMU-1-Small-Region.svs`, '--out', png, '--geojson', geo, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/um\/px: 0\.4990 um\/px from the slide file/);
    const j = JSON.parse(r.stdout);
    expect(j.mppSource).toBe('file');
    expect(j.warnings).toEqual([]);
    for (const k of ['slideScore', 'cancerFraction', 'cancerAreaMm2', 'tissueAreaMm2']) expect(typeof j[k]).toBe('number');
    expect(j.slideScore).toBeGreaterThanOrEqual(0);
    expect(j.slideScore).toBeLessThanOrEqual(1);
    expect(j.cancerAreaMm2).toBeLessThanOrEqual(j.tissueAreaMm2);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    const g = JSON.parse(readFileSync(geo, 'utf8'));
    expect(g.type).toBe('FeatureCollection');
    expect(g.features.length).toBe(j.regions);
    // greatest dimension of any region (maximum Feret diameter), in the JSON and per region in the GeoJSON
    const dias: number[] = g.features.map((f: { properties: { measurements: Record<string, number> } }) => f.properties.measurements['Max diameter µm']);
    expect(j.maxRegionDiameterMm * 1000).toBeCloseTo(Math.max(...dias), 1);
    // a region cannot be wider than the slide's diagonal (CMU-1: 2,220 x 2,967 px at 0.499 um/px)
    expect(j.maxRegionDiameterMm).toBeLessThanOrEqual((Math.hypot(2220, 2967) * 0.499) / 1000);
    expect(j.maxRegionDiameterMm).toBeGreaterThan(0);
  }, 120_000);

  it('not brightfield H&E: a fluorescence NDPI (heatmap) and a colour-inverted HER2ST image (predict) get a warning naming the file', async () => {
    const r = await runCli(['heatmap', '--slide', `${DATA}/slides/fluorescence-DAPI.ndpi`, '--json', '--orientations', '1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.warnings).toHaveLength(1);
    expect(j.warnings[0]).toMatch(/^fluorescence-DAPI\.ndpi looks like a fluorescence or dark-field image, not a brightfield H&E scan/);
    expect(r.stderr).toContain(`warning: ${j.warnings[0]}`);
    // the demo image with its colours inverted: a dark background and green-pink tissue
    const demo = join(ROOT, 'public/demo');
    const inverted = join(tmp, 'C2-inverted.png');
    await sharp(join(demo, 'C2.tif')).negate({ alpha: false }).png().toFile(inverted);
    const out = join(tmp, 'C2-inverted.csv');
    const p = await runCli(['predict', '--slide', inverted, '--st', join(demo, 'C2.tsv.gz'), join(demo, 'C2_selection.tsv'), '--orientations', '1', '--out', out]);
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/warning: C2-inverted\.png (looks like a fluorescence or dark-field image|its tissue is not H&E-coloured)/);
    const ok = await runCli(['predict', '--slide', join(demo, 'C2.tif'), '--st', join(demo, 'C2.tsv.gz'), join(demo, 'C2_selection.tsv'), '--orientations', '1', '--out', out]);
    expect(ok.stderr).not.toMatch(/H&E/);
  }, 120_000);

  it("HER2ST C2: regions smaller than the model's field of view are left out and small holes filled; --min-region-um2 0 keeps them", async () => {
    const img = `${DATA}/her2st/images/C2.jpg`;
    const geo = join(tmp, 'c2.geojson');
    const a = await runCli(['heatmap', '--slide', img, '--orientations', '1', '--geojson', geo, '--json']);
    const b = await runCli(['heatmap', '--slide', img, '--orientations', '1', '--min-region-um2', '0', '--json']);
    expect([a.code, b.code]).toEqual([0, 0]);
    const [ja, jb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    // 64 px at 1.5 um/px: 96 x 96 um
    expect(ja.minRegionUm2).toBeCloseTo(9216, 6);
    expect(a.stderr).toMatch(/regions: smaller than 9216 um\^2 \(the model's field of view; --min-region-um2 0 keeps all\): \d+ left out/);
    expect(ja.regionsLeftOut).toBeGreaterThan(0);
    expect(jb).toMatchObject({ minRegionUm2: 0, regionsLeftOut: 0, holesFilled: 0 });
    // the same contours, less the fragments
    expect(jb.regions).toBe(ja.regions + ja.regionsLeftOut);
    const g = JSON.parse(readFileSync(geo, 'utf8'));
    expect(g.features.length).toBe(ja.regions);
    for (const f of g.features) expect(f.properties.measurements['Area mm^2']).toBeGreaterThanOrEqual(0.009216);
    const bad = await runCli(['heatmap', '--slide', img, '--min-region-um2=-1', '--json']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--min-region-um2 must be a number >= 0/);
  }, 120_000);

  it('a GlaS JPEG without --mpp: assumes 20x (0.5 um/px) and says so; --mpp overrides', async () => {
    const img = `${DATA}/glas/train/train_1.jpg`;
    const a = await runCli(['heatmap', '--slide', img, '--json']);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/warning: train_1\.jpg has no um\/px: assuming 0\.5 um\/px/);
    expect(JSON.parse(a.stdout)).toMatchObject({ mpp: 0.5, mppSource: 'assumed' });
    const b = await runCli(['heatmap', '--slide', img, '--mpp', '0.62', '--json']);
    expect(b.code).toBe(0);
    expect(b.stderr).not.toMatch(/assuming/);
    const jb = JSON.parse(b.stdout);
    expect(jb).toMatchObject({ mpp: 0.62, mppSource: 'user' });
    // 775 x 522 px at 0.62 um/px is 0.156 mm2: tissue cannot exceed the image
    expect(jb.tissueAreaMm2).toBeLessThanOrEqual(0.1556);
  }, 120_000);

  it('a GlaS image as the challenge ships it (24-bit BMP): the same JSON as the JPEG it was written from', async () => {
    const img = `${DATA}/glas/train/train_2.jpg`;
    const { data, info } = await sharp(img).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const bmp = join(tmp, 'train_2.bmp');
    writeFileSync(bmp, encodeBmp24(info.width, info.height, data));
    const [a, b] = [await runCli(['heatmap', '--slide', img, '--mpp', '0.62', '--json']), await runCli(['heatmap', '--slide', bmp, '--mpp', '0.62', '--json'])];
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(JSON.parse(b.stdout)).toEqual(JSON.parse(a.stdout));
  }, 120_000);
});

describe('fusescope evaluate', () => {
  it("predict's gene-only scores of HER2ST B1 against the pathologist's labels; clear errors for an unknown class, a file that is not predict's, labels of other spots", async () => {
    const H = `${DATA}/her2st`;
    const out = join(tmp, 'B1-gene.csv');
    expect((await runCli(['predict', '--st', `${H}/counts/B1.tsv.gz`, `${H}/spots/B1_selection.tsv`, '--out', out])).code).toBe(0);
    const r = await runCli(['evaluate', '--scores', out, '--labels', `${H}/labels/B1_labeled_coordinates.tsv`, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/spot ids XxY from the rounded x, y columns \(HER2ST labelled coordinates\).*cancer = invasive cancer; negative: adipose tissue, breast glands, connective tissue, undetermined/);
    const j = JSON.parse(r.stdout);
    // the data README: B1 has 295 in-tissue spots, 63 of them cancer
    expect(j).toMatchObject({ scoredSpots: 295, labelledSpots: 295, positives: 63, columns: { histology: null, fused: null } });
    // the shipped gene head was trained on B1 among others: an in-sample check of the command, not a validation
    expect(j.columns.gene.n).toBe(295);
    expect(j.columns.gene.auc).toBeGreaterThan(0.95);
    expect(j.columns.gene.ap).toBeGreaterThan(0.85);
    expect(j.cancer.tp + j.cancer.fp + j.cancer.fn + j.cancer.tn).toBe(295);
    const text = await runCli(['evaluate', '--scores', out, '--labels', `${H}/labels/B1_labeled_coordinates.tsv`]);
    expect(text.stdout).toMatch(/^gene {7}0\.9\d\d {2}0\.\d{3} {2}295$/m);
    expect(text.stdout).toMatch(/^histology +- +- +0 \(empty column\)$/m);

    const cls = await runCli(['evaluate', '--scores', out, '--labels', `${H}/labels/B1_labeled_coordinates.tsv`, '--positive', 'tumour']);
    expect(cls.code).toBe(1);
    expect(cls.stderr).toMatch(/--positive names classes the labels do not have: tumour \(classes: .*invasive cancer/);
    const notScores = await runCli(['evaluate', '--scores', `${H}/spots/B1_selection.tsv`, '--labels', `${H}/labels/B1_labeled_coordinates.tsv`]);
    expect(notScores.code).toBe(1);
    expect(notScores.stderr).toMatch(/B1_selection\.tsv: not a fusescope predict output/);
    const ids = join(tmp, 'other-ids.csv');
    writeFileSync(ids, 'barcode,annotation\nAAAC-1,Invasive\nAAAG-1,Healthy\n');
    const none = await runCli(['evaluate', '--scores', out, '--labels', ids]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/other-ids\.csv: none of its 2 spot ids matches the 295 spots of B1-gene\.csv/);
  }, 120_000);
});
