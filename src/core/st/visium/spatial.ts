/** Space Ranger spatial/ folder: tissue positions (SR1 and SR2+), scalefactors JSON, image PNGs. */
import { findColumn, getDelimiter, getFileLabel, getHeaderKeys, loadTextLines, splitFields } from '../text/delimited.ts';
import { decodeText } from '../text/delimited.ts';
import { StError, type StFile, type StFrameName, type StImageRef } from '../types.ts';

export interface VisiumPositions {
  ids: string[];
  inTissue: Uint8Array;
  arrayRow: Int32Array;
  arrayCol: Int32Array;
  /** full-resolution pixels: x = pxl_col_in_fullres, y = pxl_row_in_fullres */
  x: Float64Array;
  y: Float64Array;
  /** 'sr1' (tissue_positions_list.csv, no header), 'sr2' (tissue_positions.csv, header), 'hd-parquet' (Visium HD tissue_positions.parquet) */
  layout: 'sr1' | 'sr2' | 'hd-parquet';
}

const SR_COLUMNS = ['barcode', 'in_tissue', 'array_row', 'array_col', 'pxl_row_in_fullres', 'pxl_col_in_fullres'];

/** An empty positions table of n rows, to be filled by a reader. */
export function createVisiumPositions(n: number, layout: VisiumPositions['layout']): VisiumPositions {
  return { ids: new Array(n), inTissue: new Uint8Array(n), arrayRow: new Int32Array(n), arrayCol: new Int32Array(n), x: new Float64Array(n), y: new Float64Array(n), layout };
}

export async function loadVisiumPositions(file: StFile): Promise<VisiumPositions> {
  const label = getFileLabel(file);
  const lines = await loadTextLines(file);
  const d = getDelimiter(lines, label);
  const first = getHeaderKeys(splitFields(lines[0], d));
  const hasHeader = first.includes('barcode') || first.includes('in_tissue') || Number.isNaN(Number(first[1]));
  let col = [0, 1, 2, 3, 4, 5];
  if (hasHeader) {
    col = SR_COLUMNS.map((name) => findColumn(first, [name]));
    if (col[0] < 0) col[0] = 0;
    const missing = SR_COLUMNS.filter((_, i) => col[i] < 0);
    if (missing.length) {
      throw new StError(label, `has no column ${missing.join(', ')}.`, `A Space Ranger positions file has the columns ${SR_COLUMNS.join(', ')}.`);
    }
  } else if (first.length < 6) {
    throw new StError(label, `has ${first.length} columns; a Space Ranger positions file has 6 (${SR_COLUMNS.join(', ')}).`, 'Use spatial/tissue_positions.csv or tissue_positions_list.csv from the Space Ranger output.');
  }
  const body = hasHeader ? lines.slice(1) : lines;
  const n = body.length;
  const out = createVisiumPositions(n, hasHeader ? 'sr2' : 'sr1');
  const { ids, inTissue, arrayRow, arrayCol, x, y } = out;
  for (let i = 0; i < n; i++) {
    const f = splitFields(body[i], d);
    ids[i] = f[col[0]].trim();
    const t = Number(f[col[1]]);
    const r = Number(f[col[2]]);
    const c = Number(f[col[3]]);
    const py = Number(f[col[4]]);
    const px = Number(f[col[5]]);
    if (![t, r, c, py, px].every(Number.isFinite)) {
      throw new StError(label, `line ${i + (hasHeader ? 2 : 1)} has a non-numeric value: "${body[i].slice(0, 80)}".`, 'The positions file must hold numbers in every column after the barcode.');
    }
    inTissue[i] = t ? 1 : 0;
    arrayRow[i] = r;
    arrayCol[i] = c;
    x[i] = px;
    y[i] = py;
  }
  return out;
}

export interface VisiumScalefactors {
  spot_diameter_fullres?: number;
  tissue_hires_scalef?: number;
  tissue_lowres_scalef?: number;
  fiducial_diameter_fullres?: number;
  regist_target_img_scalef?: number;
  /** Visium HD binned outputs: the bin side in um and the full-resolution image's um per pixel */
  bin_size_um?: number;
  microns_per_pixel?: number;
}

export async function loadVisiumScalefactors(file: StFile): Promise<VisiumScalefactors> {
  const label = getFileLabel(file);
  if (file.size === 0) throw new StError(label, 'is empty.', 'Copy spatial/scalefactors_json.json from the Space Ranger output again.');
  let json: unknown;
  try {
    json = JSON.parse(decodeText(await file.read()));
  } catch (err) {
    throw new StError(label, `is not valid JSON (${(err as Error).message}).`, 'Copy spatial/scalefactors_json.json from the Space Ranger output again.');
  }
  if (!json || typeof json !== 'object') throw new StError(label, 'is not a JSON object.', '');
  const out: VisiumScalefactors = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v === 'number' && Number.isFinite(v)) (out as Record<string, number>)[k] = v;
  }
  if (out.tissue_hires_scalef === undefined && out.tissue_lowres_scalef === undefined && out.spot_diameter_fullres === undefined) {
    throw new StError(label, 'has none of tissue_hires_scalef, tissue_lowres_scalef, spot_diameter_fullres.', 'This does not look like a Space Ranger scalefactors_json.json.');
  }
  return out;
}

export function getFrameScales(sf: VisiumScalefactors | null): Partial<Record<StFrameName, number>> {
  const out: Partial<Record<StFrameName, number>> = {};
  if (sf?.tissue_hires_scalef) out.hires = sf.tissue_hires_scalef;
  if (sf?.tissue_lowres_scalef) out.lowres = sf.tissue_lowres_scalef;
  return out;
}

/** Width and height from a PNG's IHDR chunk (or a JPEG's SOF marker); null when unknown. */
export async function loadImageSize(file: StFile): Promise<{ width: number; height: number } | null> {
  const head = await file.readRange(0, Math.min(file.size, 1 << 16));
  if (head.length >= 24 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) {
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    return { width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (head[0] === 0xff && head[1] === 0xd8) {
    let p = 2;
    while (p + 9 < head.length) {
      if (head[p] !== 0xff) return null;
      const marker = head[p + 1];
      const len = (head[p + 2] << 8) | head[p + 3];
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: (head[p + 5] << 8) | head[p + 6], width: (head[p + 7] << 8) | head[p + 8] };
      }
      p += 2 + len;
    }
  }
  return null;
}

/** Image references for tissue_hires_image.png / tissue_lowres_image.png among the inputs. */
export async function loadVisiumImages(files: { file: StFile; frame: StFrameName }[], scales: Partial<Record<StFrameName, number>>): Promise<StImageRef[]> {
  const out: StImageRef[] = [];
  for (const { file, frame } of files) {
    const size = await loadImageSize(file);
    out.push({ name: frame, scale: scales[frame] ?? Number.NaN, width: size?.width ?? 0, height: size?.height ?? 0, file: getFileLabel(file), embedded: '' });
  }
  return out;
}
