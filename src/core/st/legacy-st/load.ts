/**
 * Legacy Spatial Transcriptomics (Ståhl et al. 2016 arrays; the HER2ST data set): a counts table
 * (spots x genes, rows named `XxY` by array position, gzipped or not), the `<section>_selection.tsv`
 * spot file (x, y, new_x, new_y, pixel_x, pixel_y, selected: each spot's centre in the H&E image)
 * joined by rounding x, y to `XxY`, and an optional `<section>_labeled_coordinates.tsv` whose
 * x, y are rounded to the nearest integer `XxY` to give a categorical `label` column (its pixel
 * coordinates are in another image frame and are never used).
 */
import { getAnnotationColumn } from '../annotations.ts';
import { getAssembledDataset } from '../assemble.ts';
import type { StClassifiedFile, StFileSet } from '../file-set.ts';
import type { StFormat } from '../format.ts';
import { getGeneTable } from '../genes.ts';
import { getSpotLabelsFromLines } from '../labels.ts';
import { getCsrRows } from '../matrix.ts';
import { loadImageSize } from '../visium/spatial.ts';
import { findColumn, getDelimiter, getHeaderKeys, loadTextHead, loadTextLines, splitFields } from '../text/delimited.ts';
import { getWideCounts } from '../text/wide.ts';
import { type AnnotationColumn, type LoadStOptions, StError, type StImageRef } from '../types.ts';

const ARRAY_ID = /^"?(\d+)x(\d+)"?$/;

function baseName(name: string): string {
  return name.replace(/\.gz$/i, '').replace(/\.(tsv|csv|txt|jpe?g|png|tiff?)$/i, '');
}

function sectionOf(item: StClassifiedFile): string {
  return item.file.name.replace(/_(selection|labeled_coordinates)\.tsv(\.gz)?$/i, '');
}

function matchesSection(item: StClassifiedFile, section: string): boolean {
  const b = baseName(item.file.name);
  return b === section || b.startsWith(`${section}_`) || b.startsWith(`${section}.`) || b.endsWith(`_${section}`);
}

/** True when the first data rows of a table are named `XxY` (legacy ST array positions). */
async function looksLikeLegacyCounts(item: StClassifiedFile): Promise<boolean> {
  try {
    const lines = (await loadTextHead(item.file, 4)).slice(1);
    return lines.length > 0 && lines.every((l) => ARRAY_ID.test(l.split(/[\t,]/)[0] ?? ''));
  } catch {
    return false;
  }
}

function pickSection(set: StFileSet, opts: LoadStOptions): string {
  const sections = [...new Set(set.of('selection').map(sectionOf))].sort();
  if (opts.section) {
    if (!sections.includes(opts.section)) {
      throw new StError(opts.section, `is not among the sections with a spot file (${sections.join(', ') || 'none'}).`, 'Pick one of those sections.');
    }
    return opts.section;
  }
  if (sections.length > 1) {
    throw new StError(
      set.of('selection').map((s) => s.file.name).slice(0, 3).join(', '),
      `are spot files of ${sections.length} sections (${sections.join(', ')}).`,
      'Drop the files of one section (or pass --section on the command line).',
    );
  }
  return sections[0] ?? '';
}

export const legacyStFormat: StFormat = {
  id: 'legacy-st',
  async detect(set) {
    if (set.of('selection').length) return 9;
    for (const t of set.of('table')) if (await looksLikeLegacyCounts(t)) return 7;
    return 0;
  },
  async load(set, opts, progress) {
    const files: { name: string; role: string }[] = [];
    const warnings: string[] = [];
    const section = pickSection(set, opts);
    const selection = set.of('selection').find((s) => sectionOf(s) === section);
    const tables = set.of('table');
    let countsItem = tables.find((t) => section && matchesSection(t, section));
    if (!countsItem && tables.length === 1) countsItem = tables[0];
    if (!countsItem) {
      for (const t of tables) if (await looksLikeLegacyCounts(t)) countsItem = t;
    }
    if (!countsItem) {
      throw new StError(selection?.label ?? 'legacy ST files', `has no counts table${section ? ` for section ${section} (e.g. ${section}.tsv.gz)` : ''}.`, 'Add the section\'s counts file (spots x genes, rows named XxY).');
    }
    if (!selection && !opts.allowArrayPositions) {
      throw new StError(
        countsItem.label,
        'is a legacy ST count matrix but no spot file gives the spots\' positions (no spatial coordinates).',
        'Add the section\'s *_selection.tsv (x, y, pixel_x, pixel_y) from the spot detection step.',
      );
    }

    // counts
    progress.report(0.05, `Reading ${countsItem.label}`);
    const lines = await loadTextLines(countsItem.file);
    const d = getDelimiter(lines, countsItem.label);
    const header = splitFields(lines[0], d);
    const body = lines.slice(1);
    const firstBodyFields = splitFields(body[0] ?? '', d).length;
    const genesInHeader = header.length === firstBodyFields ? header.slice(1) : header;
    const symbols = genesInHeader.map((g) => g.trim().replace(/^"|"$/g, ''));
    const idOf = (line: string) => line.slice(0, line.indexOf(d)).replace(/"/g, '').trim();
    const wide = getWideCounts(body, d, 1, symbols, countsItem.label, idOf, progress.signal);
    const badId = wide.rowIds.find((id) => !ARRAY_ID.test(id));
    if (badId !== undefined) {
      throw new StError(countsItem.label, `row "${badId}" is not an array position XxY.`, 'Legacy ST count rows are named by array position, e.g. 10x14.');
    }
    files.push({ name: countsItem.label, role: `counts (${wide.rowIds.length} spots x ${symbols.length} genes)` });
    // spot positions: from the spot file, or (counts alone, opts.allowArrayPositions: the CLI's
    // gene-only run) the array positions the row ids name, in array units. Those serve the gene
    // model's neighbourhood, which only needs which spots are near; the neighbours among the 4
    // diagonal spots of the square array are then picked by row order instead of by the few pixels
    // that separate them in the image, so scores can differ slightly from a run with the spot file.
    // The HER2ST count tables hold only the spots under tissue, so every row is taken as one.
    let pos: Map<string, SpotPosition>;
    if (selection) pos = await loadSelection(selection, files, warnings, progress);
    else {
      pos = new Map();
      for (const id of wide.rowIds) {
        const m = ARRAY_ID.exec(id) as RegExpExecArray;
        const ax = Number(m[1]);
        const ay = Number(m[2]);
        pos.set(id, { x: ax, y: ay, sel: 1, ax, ay });
      }
      files.push({ name: countsItem.label, role: 'spot positions: array coordinates from the row ids (no spot file)' });
      warnings.push(
        `${countsItem.label}: no spot file (*_selection.tsv), so each spot is placed at the array position of its id (x, y in array units) and every row is taken as under tissue; the spots cannot be placed on an image.`,
      );
    }
    const keep: number[] = [];
    wide.rowIds.forEach((id, r) => {
      if (pos.has(id)) keep.push(r);
    });
    if (keep.length === 0) {
      throw new StError(selection?.label ?? countsItem.label, `matches none of the ${wide.rowIds.length} spots of ${countsItem.label} (e.g. ${wide.rowIds[0]}).`, 'Use the spot file of the same section.');
    }
    if (keep.length < wide.rowIds.length) {
      const ex = wide.rowIds.filter((id) => !pos.has(id)).slice(0, 3).join(', ');
      warnings.push(`Partial load: ${wide.rowIds.length - keep.length} of ${wide.rowIds.length} count rows have no position in ${selection?.label} and were left out (e.g. ${ex}).`);
    }
    const countIds = new Set(wide.rowIds);
    const noCounts = [...pos.keys()].filter((id) => !countIds.has(id));
    if (noCounts.length) warnings.push(`${noCounts.length} spots of ${selection?.label} have no counts row (e.g. ${noCounts.slice(0, 3).join(', ')}) and were not loaded.`);
    const rows = Int32Array.from(keep);
    const matrix = getCsrRows(wide.matrix, rows);
    const ids = keep.map((r) => wide.rowIds[r]);
    const p = ids.map((id) => pos.get(id)!);
    const annotations: Record<string, AnnotationColumn> = {
      array_x: { kind: 'numeric', values: Float64Array.from(p, (q) => q.ax) },
      array_y: { kind: 'numeric', values: Float64Array.from(p, (q) => q.ay) },
    };

    // labels
    const labelsItem = set.of('labels').find((l) => sectionOf(l) === section) ?? (set.of('labels').length === 1 ? set.of('labels')[0] : undefined);
    if (labelsItem) {
      const ll = await loadTextLines(labelsItem.file);
      const lk = getHeaderKeys(splitFields(ll[0], getDelimiter(ll, labelsItem.label)));
      if (!lk.includes('x') || !lk.includes('y') || findColumn(lk, ['label', 'pathology', 'annotation']) < 0) {
        throw new StError(labelsItem.label, `lacks one of the columns x, y, label (has ${lk.join(', ')}).`, 'Use the *_labeled_coordinates.tsv of the HER2ST data.');
      }
      const { labels: byId, skipped } = getSpotLabelsFromLines(ll, labelsItem.label);
      const values = ids.map((id) => byId.get(id) ?? null);
      const col = getAnnotationColumn(values);
      annotations.label = col;
      const matched = values.filter((v) => v !== null).length;
      files.push({ name: labelsItem.label, role: `labels (joined by rounding x, y to XxY; ${matched} of ${ids.length} spots labelled)` });
      if (skipped) warnings.push(`${labelsItem.label}: ${skipped} rows without array coordinates (NA) were skipped.`);
      const unmatched = [...byId.keys()].filter((id) => !ids.includes(id)).length;
      if (unmatched) warnings.push(`${labelsItem.label}: ${unmatched} labelled spots are not among the loaded spots.`);
    }

    // the section's H&E image, when dropped with the files
    const images: StImageRef[] = [];
    const img = set.of('image').find((i) => section && matchesSection(i, section));
    if (img) {
      const size = await loadImageSize(img.file);
      images.push({ name: 'fullres', scale: 1, width: size?.width ?? 0, height: size?.height ?? 0, file: img.label, embedded: '' });
      files.push({ name: img.label, role: 'H&E image (full resolution; the spot positions refer to it)' });
    }
    const { genes, warnings: gw } = getGeneTable(symbols, symbols.map(() => ''));
    warnings.push(...gw);
    return getAssembledDataset(
      {
        platform: 'legacy-st',
        format: 'legacy-st',
        matrix,
        genes,
        ids,
        x: Float64Array.from(p, (q) => q.x),
        y: Float64Array.from(p, (q) => q.y),
        inTissue: Uint8Array.from(p, (q) => q.sel),
        annotations,
        files,
        warnings,
        frameScales: {},
        frameSource: { file: selection?.label ?? countsItem.label, kind: 'none' },
        images,
        // array units: legacy ST spots are 100 um across at a 200 um pitch
        ...(selection ? {} : { spotDiameterFullres: 0.5 }),
      },
      opts,
    );
  },
};

interface SpotPosition {
  x: number;
  y: number;
  sel: number;
  ax: number;
  ay: number;
}

/** Reads a `*_selection.tsv`: array id -> position in the H&E image's pixels and the selected flag. */
async function loadSelection(
  selection: StClassifiedFile,
  files: { name: string; role: string }[],
  warnings: string[],
  progress: { report(fraction: number, message: string): void },
): Promise<Map<string, SpotPosition>> {
  progress.report(0.75, `Reading ${selection.label}`);
  const sel = await loadTextLines(selection.file);
  const sd = getDelimiter(sel, selection.label);
  const keys = getHeaderKeys(splitFields(sel[0], sd));
  const cx = findColumn(keys, ['x']);
  const cy = findColumn(keys, ['y']);
  const px = findColumn(keys, ['pixel_x']);
  const py = findColumn(keys, ['pixel_y']);
  const cs = findColumn(keys, ['selected']);
  if (cx < 0 || cy < 0 || px < 0 || py < 0) {
    throw new StError(selection.label, `lacks one of the columns x, y, pixel_x, pixel_y (has ${keys.join(', ')}).`, 'Use the *_selection.tsv written by the ST spot detector.');
  }
  const pos = new Map<string, SpotPosition>();
  for (let i = 1; i < sel.length; i++) {
    const f = splitFields(sel[i], sd);
    const ax = Math.round(Number(f[cx]));
    const ay = Math.round(Number(f[cy]));
    const x = Number(f[px]);
    const y = Number(f[py]);
    if (![ax, ay, x, y].every(Number.isFinite)) {
      warnings.push(`${selection.label}: line ${i + 1} has no numeric position and was skipped.`);
      continue;
    }
    pos.set(`${ax}x${ay}`, { x, y, sel: cs >= 0 ? (Number(f[cs]) ? 1 : 0) : 1, ax, ay });
  }
  files.push({ name: selection.label, role: 'spot positions (pixel_x, pixel_y in the full-resolution H&E image)' });
  return pos;
}
