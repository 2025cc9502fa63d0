/**
 * Labels per spot (a pathologist's classes): a delimited table (CSV / TSV, gzipped or not) with a
 * spot id column and a label column, or a HER2ST `<S>_labeled_coordinates.tsv` (x, y, label;
 * joined to the counts' `XxY` ids by rounding x and y, as its README says), and which classes
 * count as cancer. Read by the legacy ST loader (the `label` annotation) and `fusescope evaluate`.
 */
import { decodeText, findColumn, getDelimiter, getHeaderKeys, getTextLines, splitFields } from './text/delimited.ts';
import { getPlainBytes } from './text/gzip.ts';

export interface SpotLabels {
  /** spot id -> class name */
  labels: Map<string, string>;
  /** how the ids were read, for the log */
  detail: string;
  /** rows without a usable id (HER2ST rows whose x or y is NA) */
  skipped: number;
}

const ID_NAMES = ['spot_id', 'barcode', 'barcodes', 'spot', 'id', 'row.names', 'cell_id', 'obs_names', 'index', ''];
const LABEL_NAMES = ['label', 'labels', 'annotation', 'annot_type', 'annotation_type', 'class', 'pathology', 'ground_truth', 'truth', 'region', 'type'];

export function getSpotLabels(bytes: Uint8Array, name: string): SpotLabels {
  return getSpotLabelsFromLines(getTextLines(decodeText(getPlainBytes(bytes, name))), name);
}

/** getSpotLabels over the lines of the table (loadTextLines). */
export function getSpotLabelsFromLines(lines: string[], name: string): SpotLabels {
  if (lines.length < 2) throw new Error(`${name}: has no label rows; give a table with a spot id column and a label column.`);
  const d = getDelimiter(lines, name);
  const keys = getHeaderKeys(splitFields(lines[0], d));
  // R's write.table header has one field fewer than the rows (the row names)
  const offset = splitFields(lines[1], d).length === keys.length + 1 ? 1 : 0;
  const labelCol = findColumn(keys, LABEL_NAMES);
  if (labelCol < 0) throw new Error(`${name}: no label column (looked for ${LABEL_NAMES.join(', ')}; the header has ${keys.join(', ')}).`);
  const xCol = keys.indexOf('x');
  const yCol = keys.indexOf('y');
  const idCol = findColumn(keys, ID_NAMES);
  const labels = new Map<string, string>();
  let skipped = 0;
  // HER2ST: the x, y array coordinates name the spot (its Row.names are pixel positions of another
  // image); a table with its own id column (barcode, spot_id, ...) keeps those ids even beside x, y
  const her2st = xCol >= 0 && yCol >= 0 && (idCol < 0 || keys[idCol] === 'row.names' || keys[idCol] === '');
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const f = splitFields(line, d).map((v) => v.trim().replace(/^"|"$/g, ''));
    const label = f[labelCol + offset];
    if (label === undefined || label === '' || /^(na|nan)$/i.test(label)) continue;
    let id: string;
    if (her2st) {
      const x = Number(f[xCol + offset]);
      const y = Number(f[yCol + offset]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        skipped++;
        continue;
      }
      id = `${Math.round(x)}x${Math.round(y)}`;
    } else {
      id = idCol >= 0 ? f[idCol + offset] : f[0];
    }
    labels.set(id, label);
  }
  const detail = her2st ? 'spot ids XxY from the rounded x, y columns (HER2ST labelled coordinates)' : `spot ids from column '${idCol >= 0 ? keys[idCol] || '(first)' : '(first)'}'`;
  return { labels, detail: `${detail}, classes from column '${keys[labelCol]}'`, skipped };
}

/**
 * Which classes are cancer: the user's list (case-insensitive), else the classes whose name says
 * cancer, tumour, carcinoma, DCIS, invasive or malignant, and not surrounding / adjacent / normal /
 * healthy / benign / non- / undetermined. HER2ST: invasive cancer + cancer in situ (undetermined
 * negative, as the model card's protocol); the SEDR Visium annotations: Invasive + Tumor/DCIS.
 */
export function getPositiveClasses(classes: Iterable<string>, given?: string[]): Set<string> {
  const all = [...new Set(classes)];
  if (given?.length) {
    const want = new Set(given.map((g) => g.trim().toLowerCase()));
    const found = all.filter((c) => want.has(c.toLowerCase()));
    const missing = [...want].filter((w) => !all.some((c) => c.toLowerCase() === w));
    if (missing.length) throw new Error(`--positive names classes the labels do not have: ${missing.join(', ')} (classes: ${all.join(', ')}).`);
    return new Set(found);
  }
  const pos = all.filter((c) => /cancer|tumou?r|carcinoma|dcis|invasive|malignan/i.test(c) && !/surround|adjacent|normal|healthy|benign|\bnon\b|non-|undetermined/i.test(c));
  if (pos.length === 0) throw new Error(`no class name says cancer (classes: ${all.join(', ')}); name the cancer classes with --positive "a,b".`);
  return new Set(pos);
}
