import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeStFiles } from '../../core/st/files/node';
import { loadStDataset } from '../../core/st/load';
import type { StDataset } from '../../core/st/types';
import { getAutoRange, getContinuousColours, getColourTable } from '../../overlay/colour';
import { getGeneSuggestions, getSpotTotals, getSpotValues } from './spotValues';

const HER2ST = resolve(__dirname, '../../../../shared/data/her2st');
const COUNTS = resolve(HER2ST, 'counts/C2.tsv.gz');
const SPOTS = resolve(HER2ST, 'spots/C2_selection.tsv');

/** ERBB2 raw counts and spot totals straight from the counts file. */
function getReference(gene: string): Map<string, { raw: number; total: number }> {
  const lines = gunzipSync(readFileSync(COUNTS)).toString('utf8').trimEnd().split('\n');
  const g = lines[0].split('\t').indexOf(gene);
  const out = new Map<string, { raw: number; total: number }>();
  for (const line of lines.slice(1)) {
    const c = line.split('\t');
    let total = 0;
    for (let i = 1; i < c.length; i++) total += Number(c[i]);
    out.set(c[0], { raw: Number(c[g]), total });
  }
  return out;
}

let ds: StDataset;
beforeAll(async () => {
  ds = await loadStDataset(await loadNodeStFiles([COUNTS, SPOTS]));
});

describe('spot values on HER2ST C2', () => {
  it('gene values through every display transform match the counts file', () => {
    const ref = getReference('ERBB2');
    for (const transform of ['raw', 'log1p', 'cp10k', 'log1p-cp10k'] as const) {
      const v = getSpotValues(ds, { kind: 'gene', gene: 'erbb2' }, transform);
      expect(v.kind).toBe('continuous');
      if (v.kind !== 'continuous') continue;
      expect(v.label).toContain('ERBB2');
      ds.spots.ids.forEach((id, i) => {
        const r = ref.get(id);
        expect(r, id).toBeDefined();
        if (!r) return;
        const cp = (r.raw / r.total) * 10_000;
        const want = transform === 'raw' ? r.raw : transform === 'log1p' ? Math.log1p(r.raw) : transform === 'cp10k' ? cp : Math.log1p(cp);
        expect(v.values[i]).toBeCloseTo(want, 2);
      });
    }
    const totals = getSpotTotals(ds);
    expect(totals[0]).toBe(ref.get(ds.spots.ids[0])?.total);
  });

  it('a gene that is not there is reported, not drawn as zeros', () => {
    const v = getSpotValues(ds, { kind: 'gene', gene: 'NOT_A_GENE' }, 'raw');
    expect(v.kind).toBe('missing');
    if (v.kind === 'missing') expect(v.reason).toMatch(/not among the 15,\d{3} genes/);
  });

  it('type-ahead lists prefix matches first', () => {
    const s = getGeneSuggestions(ds, 'erbb');
    expect(s.map((x) => x.label)).toEqual(expect.arrayContaining(['ERBB2', 'ERBB3']));
    expect(s[0].label.startsWith('ERBB')).toBe(true);
    expect(getGeneSuggestions(ds, '')).toEqual([]);
  });

  it('scores must have one value per spot', () => {
    const n = ds.spots.ids.length;
    expect(getSpotValues(ds, { kind: 'score', values: new Float32Array(n).fill(0.5), label: 'p' }, 'raw').kind).toBe('continuous');
    expect(getSpotValues(ds, { kind: 'score', values: new Float32Array(n - 1), label: 'p' }, 'raw').kind).toBe('missing');
  });

  it('the auto range is the 1st-99th percentile and colours clamp to the map ends', () => {
    const v = getSpotValues(ds, { kind: 'gene', gene: 'ERBB2' }, 'log1p-cp10k');
    if (v.kind !== 'continuous') throw new Error('ERBB2 missing');
    const sorted = Float64Array.from(v.values).sort();
    const [lo, hi] = getAutoRange(v.values);
    const q = (p: number) => {
      const pos = p * (sorted.length - 1);
      const a = Math.floor(pos);
      return sorted[a] + (sorted[Math.min(sorted.length - 1, a + 1)] - sorted[a]) * (pos - a);
    };
    expect(lo).toBeCloseTo(q(0.01), 6);
    expect(hi).toBeCloseTo(q(0.99), 6);
    const rgba = getContinuousColours(v.values, lo, hi, 'viridis');
    const lut = getColourTable('viridis');
    const iMax = v.values.indexOf(Math.max(...v.values));
    expect(Array.from(rgba.subarray(iMax * 4, iMax * 4 + 3))).toEqual(Array.from(lut.subarray(255 * 3, 256 * 3)));
    const iMin = v.values.indexOf(Math.min(...v.values));
    expect(Array.from(rgba.subarray(iMin * 4, iMin * 4 + 3))).toEqual(Array.from(lut.subarray(0, 3)));
  });
});
