import type { StDataset } from '../../core/st/types';
import type { SpotValues } from './spotValues';

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(3) : v.toExponential(2);
}

/** What a spot tooltip shows: id, the coloured value, and the annotation values. */
export function getSpotTooltip(ds: StDataset, values: SpotValues | null, index: number): { id: string; rows: [string, string][] } {
  const rows: [string, string][] = [];
  if (values?.kind === 'continuous') rows.push([values.label, fmtValue(values.values[index])]);
  else if (values?.kind === 'categorical') {
    const c = values.codes[index];
    rows.push([values.label, c >= 0 ? values.categories[c] : '—']);
  }
  for (const [name, col] of Object.entries(ds.spots.annotations).slice(0, 8)) {
    if (values && values.kind !== 'uniform' && values.label === name) continue;
    if (col.kind === 'categorical') rows.push([name, col.codes[index] >= 0 ? col.categories[col.codes[index]] : '—']);
    else rows.push([name, fmtValue(col.values[index])]);
  }
  return { id: ds.spots.ids[index] ?? String(index), rows };
}
