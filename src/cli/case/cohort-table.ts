/**
 * The cases table of `fusescope cohort`: one row per case, CSV or TSV with a header.
 *
 * Columns (names case-insensitive; order free):
 * - `case` (or `id`, `case_id`, `sample`): unique name, also the stem of the case's output files;
 * - `slide`: the slide or image; `st`: ST files or folders, several separated by `;`;
 *   a row needs at least one of the two;
 * - optional `mpp`, `st_scale`, `section`, `hd_bin_um` (Visium HD: side of the summed bins), `labels` (spot labels for `evaluate`: a table, or a
 *   pathologist's QuPath GeoJSON), `annotations` (QuPath GeoJSON the slide's heatmap is measured
 *   against, as `heatmap --annotations`), `positive` (the classes counted as cancer, separated
 *   by `;` or `,`);
 * - any other column (patient, diagnosis, ...) is carried into the summary unchanged.
 * Relative paths are relative to the table's folder.
 */
import { isAbsolute, resolve } from 'node:path';
import { getDelimiter, getHeaderKeys, splitFields } from '../../core/st/text/delimited.ts';

export interface CohortCase {
  /** 1-based line of the table */
  line: number;
  name: string;
  slide?: string;
  st: string[];
  mpp?: number;
  stScale?: number;
  section?: string;
  hdBinUm?: number;
  labels?: string;
  annotations?: string;
  positive?: string[];
  /** the other columns, as written */
  extra: Record<string, string>;
}

export interface CohortTable {
  cases: CohortCase[];
  /** the other columns' headers, in table order */
  extraColumns: string[];
}

const KNOWN: Record<string, string[]> = {
  case: ['case', 'id', 'case_id', 'sample', 'sample_id'],
  slide: ['slide', 'image'],
  st: ['st'],
  mpp: ['mpp', 'um_per_px'],
  st_scale: ['st_scale'],
  section: ['section'],
  hd_bin_um: ['hd_bin_um'],
  labels: ['labels'],
  annotations: ['annotations', 'geojson'],
  positive: ['positive'],
};

/** A case name must be usable as a file stem in the output folder. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]*$/;

export class CohortTableError extends Error {}

export function getCohortTable(text: string, tableName: string, baseDir: string): CohortTable {
  // blank lines and # comments are skipped; errors name the line as the user's editor numbers it
  const numbered = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l, i) => ({ l: l.replace(/\r$/, ''), n: i + 1 }))
    .filter(({ l }) => l.trim() !== '' && !l.startsWith('#'));
  const lines = numbered.map(({ l }) => l);
  if (lines.length < 2) throw new CohortTableError(`${tableName}: no cases (a header line and one row per case are needed: case,slide,st,...).`);
  const d = getDelimiter(lines, tableName);
  const header = splitFields(lines[0], d).map((h) => h.trim());
  const keys = getHeaderKeys(splitFields(lines[0], d));
  const col: Record<string, number> = {};
  const extraIdx: number[] = [];
  keys.forEach((k, i) => {
    const role = Object.keys(KNOWN).find((r) => KNOWN[r].includes(k));
    if (role && col[role] === undefined) col[role] = i;
    else if (role) throw new CohortTableError(`${tableName}: two columns give the ${role} ('${header[col[role]]}' and '${header[i]}'); keep one.`);
    else extraIdx.push(i);
  });
  if (col.case === undefined) {
    throw new CohortTableError(`${tableName}: no 'case' column (the header has ${header.join(', ')}). The first line must name the columns: case, slide, st, and optionally mpp, st_scale, section, hd_bin_um, labels, annotations, positive.`);
  }
  if (col.slide === undefined && col.st === undefined) throw new CohortTableError(`${tableName}: neither a 'slide' nor an 'st' column: nothing to score.`);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const seen = new Map<string, number>();
  const cases: CohortCase[] = [];
  for (let r = 1; r < lines.length; r++) {
    const f = splitFields(lines[r], d).map((x) => x.trim());
    const line = numbered[r].n;
    const at = `${tableName} line ${line}`;
    const get = (role: string): string => (col[role] === undefined ? '' : (f[col[role]] ?? ''));
    const name = get('case');
    if (!name) throw new CohortTableError(`${at}: the case name is empty.`);
    if (!SAFE_NAME.test(name)) throw new CohortTableError(`${at}: case name '${name}' cannot name its output files (use letters, digits, '.', '_', '-' and spaces, starting with a letter or digit).`);
    if (name.toLowerCase() === 'summary') throw new CohortTableError(`${at}: 'summary' cannot name a case: the cohort's own summary.csv and summary.json have that name.`);
    const prev = seen.get(name.toLowerCase());
    if (prev !== undefined) throw new CohortTableError(`${at}: case '${name}' is also on line ${prev}; case names must be unique.`);
    seen.set(name.toLowerCase(), line);
    const slide = get('slide');
    const st = get('st').split(';').map((s) => s.trim()).filter((s) => s !== '');
    if (!slide && st.length === 0) throw new CohortTableError(`${at}: case '${name}' has neither a slide nor ST files.`);
    const num = (role: string): number | undefined => {
      const v = get(role);
      if (v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new CohortTableError(`${at}: ${role} of case '${name}' must be a positive number, got '${v}'.`);
      return n;
    };
    const labels = get('labels');
    if (labels && st.length === 0) throw new CohortTableError(`${at}: case '${name}' has labels but no ST files: labels are spot labels, scored against predict's spots.`);
    const annotations = get('annotations');
    if (annotations && !slide) throw new CohortTableError(`${at}: case '${name}' has annotations but no slide: they are measured against the slide's heatmap.`);
    const positive = get('positive').split(/[;,]/).map((s) => s.trim()).filter((s) => s !== '');
    const extra: Record<string, string> = {};
    for (const i of extraIdx) extra[header[i]] = f[i] ?? '';
    cases.push({
      line,
      name,
      slide: slide ? path(slide) : undefined,
      st: st.map(path),
      mpp: num('mpp'),
      stScale: num('st_scale'),
      section: get('section') || undefined,
      hdBinUm: num('hd_bin_um'),
      labels: labels ? path(labels) : undefined,
      annotations: annotations ? path(annotations) : undefined,
      positive: positive.length ? positive : undefined,
      extra,
    });
  }
  return { cases, extraColumns: extraIdx.map((i) => header[i]) };
}
