/** Bad input: each gets a specific StError (which file, what is wrong, what to do). */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBytesStFile } from './files/bytes.ts';
import { loadNodeStFiles } from './files/node.ts';
import { loadStDataset } from './load.ts';
import { checkStFitsSlide, getBlankCanvasPlan, getSlideFit } from './slide-fit.ts';
import { StError } from './types.ts';

const FX = resolve(__dirname, '../../../tests/fixtures/st');

async function stError(paths: string[], opts = {}): Promise<StError> {
  try {
    await loadStDataset(await loadNodeStFiles(paths.map((p) => `${FX}/${p}`)), opts);
  } catch (e) {
    expect(e).toBeInstanceOf(StError);
    return e as StError;
  }
  throw new Error('expected an StError');
}

describe('ST bad input', () => {
  it('matrix barcodes missing from the positions: partial load that says what was used', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${FX}/visium_sr3/filtered_feature_bc_matrix.h5`, `${FX}/bad/positions_partial`]));
    expect(ds.spots.ids.length).toBe(280);
    const w = ds.warnings.join('\n');
    expect(w).toMatch(/Partial load: 20 of 300 matrix barcodes have no position in positions_partial\/tissue_positions\.csv and were left out \(e\.g\. [ACGT]+-1.*\); 280 spots were used\./);
    // the reverse: in-tissue positions without counts are reported
    expect(w).toMatch(/5 in-tissue spots of positions_partial\/tissue_positions\.csv have no counts/);
  });

  it('positions from another sample (no shared barcode)', async () => {
    const e = await stError(['visium_sr3/filtered_feature_bc_matrix.h5', 'bad/positions_other_sample']);
    expect(e.file).toBe('positions_other_sample/tissue_positions.csv');
    expect(e.problem).toMatch(/shares no barcode with filtered_feature_bc_matrix\.h5/);
    expect(e.hint).toMatch(/same Space Ranger outs/);
  });

  it('missing scalefactors when the hires frame is asked for', async () => {
    const e = await stError(['visium_sr3/filtered_feature_bc_matrix.h5', 'visium_sr3/spatial/tissue_positions.csv'], { targetFrame: 'hires' });
    expect(e.file).toBe('spatial/scalefactors_json.json');
    expect(e.problem).toMatch(/is missing, so the spots cannot be mapped to the hires image/);
    // fullres still loads, with a warning and the platform diameter (55 um) from the slide mpp
    const ds = await loadStDataset(await loadNodeStFiles([`${FX}/visium_sr3/filtered_feature_bc_matrix.h5`, `${FX}/visium_sr3/spatial/tissue_positions.csv`]), { slideMpp: 0.5 });
    expect(ds.spots.diameterPx).toBe(110);
    expect(ds.warnings.join(' ')).toMatch(/No scalefactors_json\.json/);
  });

  it('a matrix with no spatial coordinates (10x h5, MEX, h5ad)', async () => {
    let e = await stError(['visium_sr3/filtered_feature_bc_matrix.h5']);
    expect(e.message).toMatch(/^filtered_feature_bc_matrix\.h5: has a count matrix but no spot positions \(no spatial coordinates\)\. Add the spatial\/ folder/);
    e = await stError(['visium_sr1_mex/filtered_feature_bc_matrix']);
    expect(e.problem).toMatch(/no spot positions/);
    e = await stError(['bad/no_spatial.h5ad']);
    expect(e.file).toBe('no_spatial.h5ad');
    expect(e.problem).toMatch(/no spatial coordinates \(no obsm\/spatial/);
  });

  it('non-numeric counts name the row, the gene column and the value', async () => {
    const e = await stError(['bad/nonnumeric_wide.csv']);
    expect(e.file).toBe('nonnumeric_wide.csv');
    expect(e.problem).toMatch(/^row 7 \([ACGT]+-1\), column "[A-Z0-9]+": "abc" is not a count\.$/);
  });

  it('a wrong delimiter', async () => {
    const e = await stError(['bad/pipe_delimited.csv']);
    expect(e.problem).toMatch(/could not be split into columns: no tab, comma or semicolon .*other separators seen: \|/);
    expect(e.hint).toMatch(/CSV \(comma\) or TSV \(tab\)/);
    // semicolons are sniffed, not an error
    const ds = await loadStDataset(await loadNodeStFiles([`${FX}/csv/semicolon.csv`]));
    expect(ds.spots.ids.length).toBe(10);
  });

  it('an HDF5 file that is neither 10x nor AnnData', async () => {
    const e = await stError(['bad/not_st.h5']);
    expect(e.problem).toMatch(/neither a 10x feature-barcode matrix .* nor AnnData .*top-level entries are: calibration, images/);
  });

  it('an empty file, and a text file named .h5', async () => {
    let e = await stError(['bad/empty.csv']);
    expect(e.message).toBe('empty.csv: is empty. Export the table again; the file has no content.');
    try {
      await loadStDataset([createBytesStFile('filtered_feature_bc_matrix.h5', new TextEncoder().encode('barcode,x,y\n'))]);
      throw new Error('expected an StError');
    } catch (err) {
      e = err as StError;
    }
    expect(e).toBeInstanceOf(StError);
    expect(e.problem).toMatch(/is not an HDF5 file \(no HDF5 signature\)/);
    e = await (async () => {
      try {
        await loadStDataset([]);
      } catch (err) {
        return err as StError;
      }
      throw new Error('expected an StError');
    })();
    expect(e.problem).toMatch(/none were given/);
  });

  it('a corrupt gzip', async () => {
    const bytes = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]);
    await expect(loadStDataset([createBytesStFile('wide.csv.gz', bytes)])).rejects.toThrow(/wide\.csv\.gz: is not valid gzip/);
  });

  it('spots that all fall outside the slide', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${FX}/visium_sr3`]));
    expect(getSlideFit(ds, 30000, 30000).fraction).toBe(1);
    expect(() => checkStFitsSlide(ds, { width: 2000, height: 2000, name: 'hires.png' })).toThrow(StError);
    expect(() => checkStFitsSlide(ds, { width: 2000, height: 2000, name: 'hires.png' })).toThrow(
      /places all 300 spots outside the slide hires\.png \(2000 x 2000 px; spots span x 4587-20303, y 4046-20678, fullres frame\)\. They would fit in the hires frame/,
    );
  });
});

describe('a blank canvas for spots without an image', () => {
  it('HER2ST B1: the spots frame at the spot grid um/px; spots at negative or huge coordinates are refused clearly', async () => {
    const H = resolve(__dirname, '../../../../shared/data/her2st');
    const ds = await loadStDataset(await loadNodeStFiles([`${H}/counts/B1.tsv.gz`, `${H}/spots/B1_selection.tsv`]));
    const plan = getBlankCanvasPlan(ds);
    // 200 um over about 289 px: 0.69 um/px; the canvas reaches two pitches past the last spot
    expect(plan.mpp!).toBeGreaterThan(0.68);
    expect(plan.mpp!).toBeLessThan(0.7);
    const maxX = Math.max(...ds.spots.x);
    expect(plan.width).toBeGreaterThan(maxX + 500);
    expect(plan.width).toBeLessThan(maxX + 700);
    expect(plan.view.x).toBeLessThan(Math.min(...ds.spots.x));
    expect(plan.view.x + plan.view.width).toBeGreaterThan(maxX);
    const shifted = { ...ds, spots: { ...ds.spots, x: ds.spots.x.map((v) => v - 4000) } };
    expect(() => getBlankCanvasPlan(shifted)).toThrow(/places spots at negative coordinates \(x from -\d+, y from \d+\).*Open the image the spots belong to first/);
    const huge = { ...ds, spots: { ...ds.spots, y: ds.spots.y.map((v) => v * 100) } };
    expect(() => getBlankCanvasPlan(huge)).toThrow(/more than a blank canvas holds \(200000 px\)/);
  });
});

describe('a whole Space Ranger outs/ folder', () => {
  it('picks the filtered matrix, joins clustering tables by barcode, ignores the rest', async () => {
    const { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const expected = JSON.parse((await import('node:fs')).readFileSync(`${FX}/expected.json`, 'utf8')) as { barcodes: string[] };
    const tmp = mkdtempSync(join(tmpdir(), 'fusescope-outs-'));
    const outs = join(tmp, 'outs');
    for (const d of ['spatial', 'analysis/clustering/graphclust', 'analysis/clustering/kmeans_2_clusters']) mkdirSync(join(outs, d), { recursive: true });
    copyFileSync(`${FX}/visium_sr3/filtered_feature_bc_matrix.h5`, join(outs, 'filtered_feature_bc_matrix.h5'));
    copyFileSync(`${FX}/visium_sr3/filtered_feature_bc_matrix.h5`, join(outs, 'raw_feature_bc_matrix.h5'));
    copyFileSync(`${FX}/visium_sr3/spatial/tissue_positions.csv`, join(outs, 'spatial/tissue_positions.csv'));
    copyFileSync(`${FX}/visium_sr3/spatial/scalefactors_json.json`, join(outs, 'spatial/scalefactors_json.json'));
    writeFileSync(join(outs, 'metrics_summary.csv'), 'Sample ID,Number of Spots Under Tissue\nfixture,300\n');
    writeFileSync(join(outs, 'web_summary.html'), '<html></html>');
    const clusters = (k: number) => `Barcode,Cluster\n${expected.barcodes.map((b, i) => `${b},${(i % k) + 1}`).join('\n')}\n`;
    writeFileSync(join(outs, 'analysis/clustering/graphclust/clusters.csv'), clusters(7));
    writeFileSync(join(outs, 'analysis/clustering/kmeans_2_clusters/clusters.csv'), clusters(2));
    const ds = await loadStDataset(await loadNodeStFiles([outs]));
    rmSync(tmp, { recursive: true, force: true });
    expect(ds.format).toBe('visium-h5');
    expect(ds.files[0].name).toBe('outs/filtered_feature_bc_matrix.h5');
    expect(ds.spots.ids).toEqual(expected.barcodes);
    const graph = ds.spots.annotations.Cluster;
    const kmeans = ds.spots.annotations['kmeans_2_clusters/Cluster'];
    expect(graph.kind === 'numeric' && Array.from(graph.values.slice(0, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 1]);
    expect(kmeans.kind === 'numeric' && Array.from(kmeans.values.slice(0, 3))).toEqual([1, 2, 1]);
    const w = ds.warnings.join('\n');
    expect(w).toMatch(/Other matrices ignored: outs\/raw_feature_bc_matrix\.h5/);
    expect(w).toMatch(/metrics_summary\.csv: ignored \(0 of 1 rows match a spot id\)/);
    expect(w).toMatch(/Ignored files: outs\/web_summary\.html/);
  });
});

describe('legacy ST counts without their spot file (HER2ST B1)', () => {
  const B1 = resolve(__dirname, '../../../../shared/data/her2st');

  it('are refused by default, naming the spot file to add', async () => {
    const err = await loadStDataset(await loadNodeStFiles([`${B1}/counts/B1.tsv.gz`])).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StError);
    expect((err as StError).file).toBe('B1.tsv.gz');
    expect((err as StError).hint).toMatch(/\*_selection\.tsv/);
  });

  it('with allowArrayPositions (gene-only CLI): every row placed at its XxY id in array units, labels still joined, and a warning', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${B1}/counts/B1.tsv.gz`, `${B1}/labels/B1_labeled_coordinates.tsv`]), { allowArrayPositions: true });
    const withSpots = await loadStDataset(await loadNodeStFiles([`${B1}/counts/B1.tsv.gz`, `${B1}/spots/B1_selection.tsv`]));
    expect(ds.spots.ids).toEqual(withSpots.spots.ids);
    for (let i = 0; i < ds.spots.ids.length; i++) expect(`${ds.spots.x[i]}x${ds.spots.y[i]}`).toBe(ds.spots.ids[i]);
    expect(ds.matrix.indptr).toEqual(withSpots.matrix.indptr);
    expect(ds.spots.diameterPx).toBe(0.5);
    expect(ds.spots.annotations.label?.kind).toBe('categorical');
    expect(ds.warnings.join('\n')).toMatch(/B1\.tsv\.gz: no spot file \(\*_selection\.tsv\), so each spot is placed at the array position of its id/);
  });
});
