/**
 * The per-spot scores table that `fusescope predict`, `fusescope cohort` and the app's CSV export
 * write: `spot_id,x,y,histology,gene,fused,cancer`, probabilities with 6 decimals, positions in
 * level-0 px with 2, empty cells for what was not scored.
 */
import { getCsvField } from '../st/text/delimited.ts';

export const SPOT_CSV_COLUMNS = ['spot_id', 'x', 'y', 'histology', 'gene', 'fused', 'cancer'] as const;

export interface SpotRow {
  spot_id: string;
  x: number;
  y: number;
  histology: number | null;
  gene: number | null;
  fused: number | null;
  /** 1/0 at the label-free threshold on the fused score (gene score without a slide); null when not scored */
  cancer: 0 | 1 | null;
}

const prob = (v: number | null) => (v == null || !Number.isFinite(v) ? '' : v.toFixed(6));

export function getSpotCsvText(rows: Iterable<SpotRow>): string {
  const lines = [SPOT_CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(`${getCsvField(r.spot_id)},${r.x.toFixed(2)},${r.y.toFixed(2)},${prob(r.histology)},${prob(r.gene)},${prob(r.fused)},${r.cancer ?? ''}`);
  return `${lines.join('\n')}\n`;
}
