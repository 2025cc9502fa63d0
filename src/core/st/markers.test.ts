import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNodeStFiles } from './files/node.ts';
import { getSpotLabels } from './labels.ts';
import { loadStDataset } from './load.ts';
import { getGroupMarkers } from './markers.ts';

const ROOT = resolve(__dirname, '../../..');
const HER2ST = resolve(ROOT, '../shared/data/her2st');

interface RefMarker {
  symbol: string;
  auc: number;
  log2fc: number;
  fracIn: number;
  fracOut: number;
  meanIn: number;
  meanOut: number;
}

describe('marker genes of a group of spots', () => {
  it('HER2ST B1, labelled cancer vs the rest: the markers scipy computes from the raw files (tests/fixtures/markers)', async () => {
    const ref = JSON.parse(readFileSync(resolve(ROOT, "tests/fixtures/markers/b1_markers.json"), "utf8")) as { nIn: number; nOut: number; testedUnique: number; up: RefMarker[]; down: RefMarker[]; named: Record<string, RefMarker> };
    const ds = await loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/B1.tsv.gz`, `${HER2ST}/spots/B1_selection.tsv`]), {});
    const { labels } = getSpotLabels(readFileSync(`${HER2ST}/labels/B1_labeled_coordinates.tsv`), 'B1_labeled_coordinates.tsv');
    const spots: number[] = [];
    const group: number[] = [];
    ds.spots.ids.forEach((id, i) => {
      const l = labels.get(id);
      if (l === undefined || !ds.spots.inTissue[i]) return;
      spots.push(i);
      group.push(/invasive cancer|cancer in situ/.test(l) ? 1 : 0);
    });
    const m = getGroupMarkers(ds, spots, group, { top: 20 });
    expect([m.nIn, m.nOut]).toEqual([ref.nIn, ref.nOut]);
    expect(m.tested).toBe(ref.testedUnique);
    // the reference skips duplicated symbols (the loader resolves them): compare the ranked lists without them
    const bySymbol = new Map([...m.up, ...m.down].map((g) => [g.symbol, g]));
    const dup = new Set(ds.genes.duplicates);
    expect(m.up.filter((g) => !dup.has(g.symbol)).map((g) => g.symbol).slice(0, 15)).toEqual(ref.up.map((g) => g.symbol).slice(0, 15));
    expect(m.down.filter((g) => !dup.has(g.symbol)).map((g) => g.symbol).slice(0, 15)).toEqual(ref.down.map((g) => g.symbol).slice(0, 15));
    for (const r of [...ref.up.slice(0, 15), ...ref.down.slice(0, 15)]) {
      const g = bySymbol.get(r.symbol)!;
      expect(g.auc).toBeCloseTo(r.auc, 10);
      expect(g.log2fc).toBeCloseTo(r.log2fc, 8);
      expect(g.fracIn).toBeCloseTo(r.fracIn, 12);
      expect(g.fracOut).toBeCloseTo(r.fracOut, 12);
      expect(g.meanIn).toBeCloseTo(r.meanIn, 10);
    }
    // named genes anywhere in the ranking: all of them through the full list
    const all = getGroupMarkers(ds, spots, group, { top: 1e6 });
    const every = new Map([...all.up, ...all.down].map((g) => [g.symbol, g]));
    for (const [sym, r] of Object.entries(ref.named)) {
      expect(every.get(sym)?.auc).toBeCloseTo(r.auc, 10);
      expect(every.get(sym)?.log2fc).toBeCloseTo(r.log2fc, 8);
    }
  });

  it('refuses an empty group, and ranks nothing below the detection filter', async () => {
    const ds = await loadStDataset(await loadNodeStFiles([`${HER2ST}/counts/B1.tsv.gz`, `${HER2ST}/spots/B1_selection.tsv`]), {});
    expect(() => getGroupMarkers(ds, [0, 1, 2], [0, 0, 0])).toThrow(/need spots in both groups \(0 in the group, 3 outside\)/);
    const m = getGroupMarkers(ds, [0, 1, 2, 3], [1, 1, 0, 0], { minFraction: 1.01 });
    expect(m.tested).toBe(0);
    expect(m.up).toEqual([]);
  });
});
