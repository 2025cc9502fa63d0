/**
 * `fusescope cohort` on real data: a table of HER2ST sections (labelled counts, an image with its
 * counts), CMU-1 and a corrupt file; every case's numbers must be those of predict / heatmap /
 * evaluate run alone, a failed case must not stop the others, and a rerun resumes.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/run-cli.ts';

const ROOT = resolve(__dirname, '../../..');
const DATA = resolve(ROOT, '../shared/data');
const tmp = mkdtempSync(join(tmpdir(), 'fusescope-cohort-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readCsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const keys = head.split(',');
  return rows.map((r) => {
    // no quoted commas in these rows except the error column, which is last
    const f = r.split(',');
    return Object.fromEntries(keys.map((k, i) => [k, i === keys.length - 1 ? f.slice(i).join(',') : f[i]]));
  });
}

describe('fusescope cohort', () => {
  const h = `${DATA}/her2st`;
  const slideCopy = join(tmp, 'CMU-1.svs');
  const table = join(tmp, 'cases.csv');
  const out = join(tmp, 'out');

  it('scores every case as predict / heatmap / evaluate do, records a corrupt file and goes on, then resumes', async () => {
    copyFileSync(`${DATA}/slides/CMU-1-Small-Region.svs`, slideCopy);
    writeFileSync(join(tmp, 'broken.svs'), 'not a slide');
    // a pathologist's annotation of CMU-1 (here: the regions the CLI exported, as QuPath would hold them)
    const annotation = join(tmp, 'CMU-1-annotation.geojson');
    expect((await runCli(['heatmap', '--slide', slideCopy, '--geojson', annotation])).code).toBe(0);
    writeFileSync(
      table,
      [
        'case,patient,slide,st,labels,annotations',
        `B1,B,,${h}/counts/B1.tsv.gz;${h}/spots/B1_selection.tsv,${h}/labels/B1_labeled_coordinates.tsv,`,
        `B4,B,${h}/images/B4.jpg,${h}/counts/B4.tsv.gz;${h}/spots/B4_selection.tsv,,`,
        'CMU-1,none,CMU-1.svs,,,CMU-1-annotation.geojson',
        'broken,none,broken.svs,,,',
      ].join('\n'),
    );
    const r = await runCli(['cohort', '--cases', table, '--out-dir', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cohort: 3 of 4 cases done, 1 failed/);
    expect(r.stderr).toMatch(/cohort: failed: broken: broken\.svs: is named like a slide but its content is not one/);

    const rows = readCsv(join(out, 'summary.csv'));
    expect(rows.map((x) => [x.case, x.patient, x.status])).toEqual([
      ['B1', 'B', 'done'],
      ['B4', 'B', 'done'],
      ['CMU-1', 'none', 'done'],
      ['broken', 'none', 'failed'],
    ]);

    // B4: the same bytes as predict alone
    const alone = join(tmp, 'B4-alone.csv');
    expect((await runCli(['predict', '--slide', `${h}/images/B4.jpg`, '--st', `${h}/counts/B4.tsv.gz`, `${h}/spots/B4_selection.tsv`, '--out', alone])).code).toBe(0);
    expect(readFileSync(join(out, 'B4.scores.csv'), 'utf8')).toBe(readFileSync(alone, 'utf8'));
    const b4 = rows[1];
    expect(Number(b4.spots)).toBe(283);
    expect(b4.cancer_column).toBe('fused');
    expect(b4.mpp_source).toBe('st-pitch');
    expect(b4.slide_score).toBe('');

    // B1: evaluate's numbers on the cohort's scores
    const ev = await runCli(['evaluate', '--scores', join(out, 'B1.scores.csv'), '--labels', `${h}/labels/B1_labeled_coordinates.tsv`, '--json']);
    const e = JSON.parse(ev.stdout);
    expect(Number(rows[0].auc_gene)).toBeCloseTo(e.columns.gene.auc, 4);
    expect(Number(rows[0].ap_gene)).toBeCloseTo(e.columns.gene.ap, 4);
    expect(Number(rows[0].f1_cancer)).toBeCloseTo(e.cancer.f1, 4);
    expect(Number(rows[0].labelled_spots)).toBe(295);
    expect(rows[0].auc_fused).toBe('');
    // the genes that mark each section's calls: markers alone on the same scores
    const mk = JSON.parse((await runCli(['markers', '--scores', join(out, 'B4.scores.csv'), '--st', `${h}/counts/B4.tsv.gz`, `${h}/spots/B4_selection.tsv`, '--json'])).stdout);
    expect(b4.top_markers).toBe(mk.up.slice(0, 5).map((g: { symbol: string }) => g.symbol).join(' '));
    expect(readFileSync(join(out, 'B4.markers.csv'), 'utf8').split('\n')[1]).toMatch(new RegExp(`^up,1,${mk.up[0].symbol},`));

    // CMU-1: heatmap --json's numbers, its GeoJSON and PNG written
    const hm = JSON.parse((await runCli(['heatmap', '--slide', slideCopy, '--annotations', annotation, '--json'])).stdout);
    const c = rows[2];
    expect(Number(c.slide_score)).toBeCloseTo(hm.slideScore, 4);
    expect(Number(c.cancer_area_mm2)).toBeCloseTo(hm.cancerAreaMm2, 4);
    expect(Number(c.regions)).toBe(hm.regions);
    expect(Number(c.max_region_diameter_mm)).toBeCloseTo(hm.maxRegionDiameterMm, 4);
    expect(Number(c.annotation_dice)).toBeCloseTo(hm.annotation.dice, 4);
    expect(Number(c.annotation_window_auc)).toBeCloseTo(hm.annotation.auc, 4);
    expect(b4.annotation_dice).toBe('');
    const gj = JSON.parse(readFileSync(join(out, 'CMU-1.regions.geojson'), 'utf8'));
    expect(gj.type).toBe('FeatureCollection');
    expect(gj.features.length).toBe(hm.regions);
    expect(readFileSync(join(out, 'CMU-1.heatmap.png')).subarray(1, 4).toString()).toBe('PNG');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.model.files.map((f: { path: string }) => f.path)).toEqual(['histology.onnx', 'gene.onnx', 'fusion.onnx']);
    expect(summary.records[3].error).toMatch(/^broken\.svs: /);

    // rerun: done cases are reused, the failed one is tried again; a changed input is recomputed
    const again = await runCli(['cohort', '--cases', table, '--out-dir', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/3 of 4 cases done \(3 from an earlier run\), 1 failed/);
    expect(again.stderr).toMatch(/cohort: case 4\/4 broken\n/);
    utimesSync(slideCopy, new Date(), new Date(Date.now() + 60_000));
    const changed = await runCli(['cohort', '--cases', table, '--out-dir', out]);
    expect(changed.stderr).toMatch(/3 of 4 cases done \(2 from an earlier run\)/);
    expect(changed.stderr).toMatch(/cohort: case 3\/4 CMU-1\n/);
    expect(readCsv(join(out, 'summary.csv'))).toEqual(rows.map((x, i) => (i === 2 || i === 3 ? { ...x, seconds: expect.any(String) } : x)));
  }, 180_000);

  it('no such table: one line saying what the table is', async () => {
    const r = await runCli(['cohort', '--cases', join(tmp, 'none.csv'), '--out-dir', join(tmp, 'out-none')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`fusescope cohort: ${join(tmp, 'none.csv')}: no such file (the cases table: a CSV or TSV with a header line, one row per case).`);
  });

  it('files missing from the table: exit 1 before any scoring, naming each line and path', async () => {
    const bad = join(tmp, 'missing.csv');
    writeFileSync(bad, `case,slide,st\nA,nope.svs,\nB,,${h}/counts/B1.tsv.gz;gone_selection.tsv\n`);
    const r = await runCli(['cohort', '--cases', bad, '--out-dir', join(tmp, 'out-missing')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`fusescope cohort: missing.csv: 2 file(s) not found: line 2 (A): ${join(tmp, 'nope.svs')}; line 3 (B): ${join(tmp, 'gone_selection.tsv')}. Paths are relative to the table's folder.`);
  });
});
