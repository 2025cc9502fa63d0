/** Per-spot annotation columns, and extra per-spot tables (e.g. region_annotations.tsv) joined by spot id. */
import type { StClassifiedFile } from './file-set.ts';
import { findColumn, getDelimiter, getHeaderKeys, loadTextLines, splitFields } from './text/delimited.ts';
import type { AnnotationColumn } from './types.ts';

const MISSING = new Set(['', 'na', 'nan', 'null', 'none']);

/** Numeric when every present value is a number; else categorical with sorted categories (-1 = missing). */
export function getAnnotationColumn(values: (string | null | undefined)[]): AnnotationColumn {
  const present = values.filter((v): v is string => v != null && !MISSING.has(v.trim().toLowerCase()));
  if (present.length > 0 && present.every((v) => Number.isFinite(Number(v)))) {
    return { kind: 'numeric', values: Float64Array.from(values, (v) => (v == null || MISSING.has(v.trim().toLowerCase()) ? Number.NaN : Number(v))) };
  }
  const categories = [...new Set(present.map((v) => v.trim()))].sort();
  const code = new Map(categories.map((c, i) => [c, i]));
  return { kind: 'categorical', categories, codes: Int32Array.from(values, (v) => (v == null ? -1 : (code.get(v.trim()) ?? -1))) };
}

/** Count of spots per category (for summaries and tests). */
export function getCategoryCounts(col: AnnotationColumn): Record<string, number> {
  if (col.kind !== 'categorical') return {};
  const out: Record<string, number> = {};
  for (const c of col.categories) out[c] = 0;
  for (const k of col.codes) if (k >= 0) out[col.categories[k]]++;
  return out;
}

const ID_NAMES = ['barcode', 'barcodes', 'spot_id', 'spot', 'id', 'cell_id', 'obs_names', 'index', ''];

/**
 * Join extra tables whose id column matches at least half of the spot ids; every other column
 * becomes an annotation column named after its header. Tables that do not match are reported.
 */
export async function loadJoinedAnnotations(
  items: StClassifiedFile[],
  ids: string[],
  out: { annotations: Record<string, AnnotationColumn>; files: { name: string; role: string }[]; warnings: string[] },
  /** spots that count for the "no row" warning (e.g. in tissue); default all */
  countMask?: Uint8Array,
): Promise<void> {
  const index = new Map(ids.map((id, i) => [id, i]));
  for (const item of items) {
    let lines: string[];
    try {
      lines = await loadTextLines(item.file);
    } catch {
      out.warnings.push(`${item.label}: not read (empty or not text).`);
      continue;
    }
    let d: string;
    try {
      d = getDelimiter(lines, item.label);
    } catch {
      out.warnings.push(`${item.label}: ignored (not a delimited table).`);
      continue;
    }
    const header = splitFields(lines[0], d);
    const keys = getHeaderKeys(header);
    const offset = keys.length === splitFields(lines[1] ?? '', d).length ? 0 : 1;
    let idCol = findColumn(keys, ID_NAMES);
    if (idCol < 0) idCol = 0;
    const rows = lines.slice(1).map((l) => splitFields(l, d));
    const idOf = (r: string[]) => (offset ? r[0] : r[idCol])?.trim() ?? '';
    const matched = rows.filter((r) => index.has(idOf(r))).length;
    if (rows.length === 0 || matched < rows.length / 2) {
      out.warnings.push(`${item.label}: ignored (${matched} of ${rows.length} rows match a spot id).`);
      continue;
    }
    const nCols = Math.max(...rows.map((r) => r.length));
    const added: string[] = [];
    for (let c = 0; c < nCols; c++) {
      if (!offset && c === idCol) continue;
      const name = (header[c - offset] ?? `column${c + 1}`).trim().replace(/^"|"$/g, '') || `column${c + 1}`;
      const values: (string | null)[] = new Array(ids.length).fill(null);
      for (const r of rows) {
        const i = index.get(idOf(r));
        if (i !== undefined) values[i] = r[c] ?? null;
      }
      // the same header in several tables (Space Ranger's analysis/clustering/*/clusters.csv): prefix the folder
      const folder = item.dir.split('/').pop() ?? '';
      let key = name in out.annotations && folder ? `${folder}/${name}` : name;
      for (let k = 2; key in out.annotations; k++) key = `${name}_${k}`;
      out.annotations[key] = getAnnotationColumn(values);
      added.push(key);
    }
    out.files.push({ name: item.label, role: `annotations (${added.join(', ')})` });
    const first = out.annotations[added[0]];
    let counted = 0;
    let missing = 0;
    for (let i = 0; i < ids.length; i++) {
      if (countMask && !countMask[i]) continue;
      counted++;
      const isMissing = !first || (first.kind === 'categorical' ? first.codes[i] < 0 : Number.isNaN(first.values[i]));
      if (isMissing) missing++;
    }
    if (missing > 0) out.warnings.push(`${item.label}: ${missing} of ${counted} spots have no annotation.`);
  }
}
