/**
 * A pathologist's annotations as QuPath GeoJSON: `evaluate --labels regions.geojson` labels each
 * spot with the class of the annotation it lies in, `heatmap --annotations` measures the dense map
 * against the annotated area. The annotation of HER2ST B1 is drawn from its pathologist's spot
 * labels (the outline of the cancer spots, as an annotator would trace them).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getCancerRegions, getRegionsGeoJson } from '../../core/regions/contours.ts';
import { loadNodeStFiles } from '../../core/st/files/node.ts';
import { getSpotLabels } from '../../core/st/labels.ts';
import { loadStDataset } from '../../core/st/load.ts';
import { getSpotRaster } from '../../app/model/scoreField.ts';
import { runCli } from '../testing/run-cli.ts';

const ROOT = resolve(__dirname, '../../..');
const DATA = resolve(ROOT, '../shared/data');
const H = `${DATA}/her2st`;
const tmp = mkdtempSync(join(tmpdir(), 'fusescope-annotations-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('annotations (QuPath GeoJSON) as the reference', () => {
  it("evaluate: HER2ST B1 against an outline of its pathologist's cancer spots gives the labels' AUC", async () => {
    const st = [`${H}/counts/B1.tsv.gz`, `${H}/spots/B1_selection.tsv`];
    const ds = await loadStDataset(await loadNodeStFiles(st), {});
    const { labels } = getSpotLabels(readFileSync(`${H}/labels/B1_labeled_coordinates.tsv`), 'B1_labeled_coordinates.tsv');
    const cancer = Float32Array.from(ds.spots.ids, (id) => (/invasive cancer|cancer in situ/.test(labels.get(id) ?? '') ? 1 : 0));
    const raster = getSpotRaster(ds.spots.x, ds.spots.y, cancer)!;
    const outline = getRegionsGeoJson(getCancerRegions(raster, 0.5), null);
    const geo = join(tmp, 'B1-pathologist.geojson');
    writeFileSync(geo, JSON.stringify(outline));
    const scores = join(tmp, 'B1.csv');
    expect((await runCli(['predict', '--st', ...st, '--out', scores])).code).toBe(0);
    const byLabels = JSON.parse((await runCli(['evaluate', '--scores', scores, '--labels', `${H}/labels/B1_labeled_coordinates.tsv`, '--json'])).stdout);
    const r = await runCli(['evaluate', '--scores', scores, '--labels', geo, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`labels: classes of the ${outline.features.length} annotation polygons the spots lie in \\(Tumor; spots in none: 'outside annotations'\\); cancer = Tumor; negative: outside annotations`));
    const byOutline = JSON.parse(r.stdout);
    // every spot is labelled (inside or outside), and the outline keeps the labels' cancer spots
    expect(byOutline.labelledSpots).toBe(295);
    expect(byOutline.positives).toBe(byLabels.positives);
    expect(byOutline.columns.gene.auc).toBeCloseTo(byLabels.columns.gene.auc, 6);
  }, 60_000);

  it('heatmap --annotations: CMU-1 against its own exported regions agrees (Dice near 1); against an annotation elsewhere, a warning', async () => {
    const slide = `${DATA}/slides/CMU-1-Small-Region.svs`;
    const own = join(tmp, 'cmu1-regions.geojson');
    expect((await runCli(['heatmap', '--slide', slide, '--orientations', '1', '--geojson', own])).code).toBe(0);
    const r = await runCli(['heatmap', '--slide', slide, '--orientations', '1', '--annotations', own, '--json']);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout).annotation;
    expect(a).toMatchObject({ file: 'cmu1-regions.geojson', positiveClasses: ['Tumor'], classes: ['Tumor'] });
    expect(a.dice).toBeGreaterThan(0.97);
    expect(a.auc).toBeGreaterThan(0.95);
    expect(r.stderr).toMatch(/annotations: \d+ polygons in cmu1-regions\.geojson \(Tumor; cancer = Tumor\): \d+ of \d+ tissue windows inside; window AUC [\d.]+, at the threshold Dice [\d.]+/);
    // an annotation in another slide's pixels (far outside CMU-1's 2,220 x 2,967 px)
    const far = join(tmp, 'far.geojson');
    writeFileSync(far, JSON.stringify([{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[50000, 50000], [60000, 50000], [60000, 60000], [50000, 50000]]] }, properties: { classification: { name: 'Tumor' } } }]));
    const w = await runCli(['heatmap', '--slide', slide, '--orientations', '1', '--annotations', far, '--json']);
    expect(w.code).toBe(0);
    expect(JSON.parse(w.stdout).warnings).toContain('no tissue window lies in a Tumor annotation of far.geojson: are the annotations from this slide, in its level-0 pixels?');
    const bad = await runCli(['heatmap', '--slide', slide, '--annotations', `${H}/spots/B1_selection.tsv`, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').pop()).toMatch(/^fusescope heatmap: B1_selection\.tsv: is not JSON; export the annotations from QuPath as GeoJSON/);
    // refused before any scoring
    expect(bad.stderr).not.toMatch(/^tissue:/m);
  }, 120_000);
});
