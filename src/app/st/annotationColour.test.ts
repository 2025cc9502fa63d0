import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNodeStFiles } from '../../core/st/files/node';
import { loadStDataset } from '../../core/st/load';
import { getCategoricalColours, getCategoryColour } from '../../overlay/colour';
import { getSpotValues } from './spotValues';
import { getSpotTooltip } from './tooltip';

const A1 = resolve(__dirname, '../../../../shared/data/visium/breast_cancer_block_a1');

describe('colour by an annotation column (Visium breast block A1 + region_annotations.tsv)', () => {
  it('categorical values, Tableau10 colours per category and tooltips match the annotation file', async () => {
    const ds = await loadStDataset(
      await loadNodeStFiles([resolve(A1, 'spatial/tissue_positions_list.csv'), resolve(A1, 'spatial/scalefactors_json.json'), resolve(A1, 'region_annotations.tsv')]),
    );
    const column = Object.keys(ds.spots.annotations).find((k) => k === 'annot_type');
    expect(column).toBe('annot_type');
    const v = getSpotValues(ds, { kind: 'annotation', column: 'annot_type' }, 'raw');
    expect(v.kind).toBe('categorical');
    if (v.kind !== 'categorical') return;
    expect([...v.categories].sort()).toEqual(['Healthy', 'Invasive', 'Surrounding tumor', 'Tumor'].sort());

    const want = new Map(
      readFileSync(resolve(A1, 'region_annotations.tsv'), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t'))
        .map((c) => [c[0], c[1]] as const),
    );
    const rgba = getCategoricalColours(v.codes);
    let checked = 0;
    ds.spots.ids.forEach((id, i) => {
      const label = want.get(id);
      if (!label) return;
      const code = v.codes[i];
      expect(v.categories[code]).toBe(label);
      expect(Array.from(rgba.subarray(i * 4, i * 4 + 3))).toEqual(getCategoryColour(code));
      checked++;
    });
    expect(checked).toBeGreaterThan(3000);
    const i0 = ds.spots.ids.findIndex((id) => want.has(id));
    const tip = getSpotTooltip(ds, v, i0);
    expect(tip.id).toBe(ds.spots.ids[i0]);
    expect(tip.rows[0]).toEqual(['annot_type', want.get(ds.spots.ids[i0])]);
  });
});
