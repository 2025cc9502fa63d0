/**
 * The per-spot scores table that `fusescope predict`, `fusescope cohort` and the app's CSV export
 * write: `spot_id,x,y,histology,gene,fused,cancer`, probabilities with 6 decimals, positions in
 * level-0 px with 2, empty cells for what was not scored.
 */
import { getCsvField, getTextLines, splitFields } from '../st/text/delimited.ts';

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

/** A scores table read back: spot ids and each column (NaN where empty). */
export interface SpotCsvColumns {
  ids: string[];
  /** level-0 px */
  x: Float64Array;
  y: Float64Array;
  values: Record<'histology' | 'gene' | 'fused' | 'cancer', Float64Array>;
}

/** Reads a table written by getSpotCsvText (predict's output); throws naming the file when the header differs. */
export function getSpotCsvColumns(text: string, name: string): SpotCsvColumns {
  const lines = getTextLines(text.replace(/^\uFEFF/, ''));
  const header = lines[0]?.split(',').map((h) => h.trim());
  if (!header || SPOT_CSV_COLUMNS.some((w, i) => header[i] !== w)) {
    throw new Error(`${name}: not a fusescope predict output (the header must be ${SPOT_CSV_COLUMNS.join(',')}; got ${lines[0]?.slice(0, 80) ?? 'nothing'}).`);
  }
  const rows = lines.slice(1).filter((l) => l.trim() !== '');
  const ids: string[] = [];
  const x = new Float64Array(rows.length);
  const y = new Float64Array(rows.length);
  const values = { histology: new Float64Array(rows.length), gene: new Float64Array(rows.length), fused: new Float64Array(rows.length), cancer: new Float64Array(rows.length) };
  const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? Number.NaN : Number(v));
  rows.forEach((line, i) => {
    const f = splitFields(line, ',');
    ids.push(f[0]);
    x[i] = num(f[1]);
    y[i] = num(f[2]);
    values.histology[i] = num(f[3]);
    values.gene[i] = num(f[4]);
    values.fused[i] = num(f[5]);
    values.cancer[i] = num(f[6]);
  });
  return { ids, x, y, values };
}
