/**
 * The last step of every loader: drop spots outside tissue (unless asked to keep them), map
 * full-resolution positions into the target frame, and settle the spot diameter.
 */
import { getCsrRows } from './matrix.ts';
import { getSpotPitch, PLATFORM_GEOMETRY } from './pitch.ts';
import {
  type AnnotationColumn,
  type CsrMatrix,
  type GeneTable,
  type LoadStOptions,
  StError,
  type StDataset,
  type StDiameterSource,
  type StFormatId,
  type StFrameName,
  type StImageRef,
  type StPlatform,
} from './types.ts';

export interface RawStParts {
  platform: StPlatform;
  /** platform whose spot geometry (pitch, diameter) applies when it differs (AnnData from Visium) */
  geometryPlatform?: StPlatform;
  /** spot geometry of this dataset when it is not the platform's fixed one (Visium HD: the bin size) */
  geometry?: { pitchUm: number; diameterUm: number };
  /** Visium HD: the bin size read and the side of the summed squares */
  hdBins?: { nativeUm: number; binUm: number; angleDeg: number };
  format: StFormatId;
  /** rows follow `ids` */
  matrix: CsrMatrix;
  genes: GeneTable;
  ids: string[];
  /** full-resolution pixels (for CSV and legacy ST: the pixels of the image the positions refer to) */
  x: Float64Array;
  y: Float64Array;
  inTissue: Uint8Array;
  annotations: Record<string, AnnotationColumn>;
  files: { name: string; role: string }[];
  warnings: string[];
  frameScales: Partial<Record<StFrameName, number>>;
  /**
   * where frame scales come from, for the error when the target frame has none: a scalefactors file
   * that was read, one that is missing, or a format without frames (positions file named)
   */
  frameSource: { file: string; kind: 'scalefactors' | 'missing' | 'none' };
  spotDiameterFullres?: number;
  /** a per-spot diameter column (CSV), px */
  diameterColumnPx?: number;
  images: StImageRef[];
}

export function getAnnotationRows(col: AnnotationColumn, rows: Int32Array): AnnotationColumn {
  if (col.kind === 'numeric') return { kind: 'numeric', values: Float64Array.from(rows, (r) => col.values[r]) };
  return { kind: 'categorical', categories: col.categories, codes: Int32Array.from(rows, (r) => col.codes[r]) };
}

export function getAssembledDataset(parts: RawStParts, opts: LoadStOptions = {}): StDataset {
  const warnings = [...parts.warnings];
  let { matrix, ids, x, y, inTissue, annotations } = parts;
  const n = ids.length;
  const offTissue = n - inTissue.reduce((s, v) => s + (v ? 1 : 0), 0);
  if (!opts.includeOffTissue && offTissue > 0) {
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (inTissue[i]) keep.push(i);
    if (keep.length === 0) {
      throw new StError(
        parts.files.find((f) => f.role.startsWith('positions'))?.name ?? parts.files[0]?.name ?? 'ST files',
        `marks none of the ${n} spots as under tissue.`,
        'Load with "include spots outside tissue" (CLI: --all-spots) or check the in_tissue column.',
      );
    }
    const rows = Int32Array.from(keep);
    matrix = getCsrRows(matrix, rows);
    ids = keep.map((i) => ids[i]);
    x = Float64Array.from(rows, (r) => x[r]);
    y = Float64Array.from(rows, (r) => y[r]);
    inTissue = new Uint8Array(rows.length).fill(1);
    const ann: Record<string, AnnotationColumn> = {};
    for (const [k, col] of Object.entries(annotations)) ann[k] = getAnnotationRows(col, rows);
    annotations = ann;
  }

  const frame = opts.targetFrame ?? 'fullres';
  const scale = frame === 'fullres' ? 1 : parts.frameScales[frame];
  if (scale === undefined || !Number.isFinite(scale) || scale <= 0) {
    const src = parts.frameSource;
    const problem =
      src.kind === 'scalefactors'
        ? `gives no tissue_${frame}_scalef, so the spots cannot be placed on the ${frame} image.`
        : src.kind === 'missing'
          ? `is missing, so the spots cannot be mapped to the ${frame} image (their positions are in full-resolution pixels).`
          : `gives positions in the full-resolution image's pixels only; this format has no ${frame} image scale.`;
    const hint =
      src.kind === 'none'
        ? 'Load with frame "fullres" (CLI: --frame fullres) and open the full-resolution image.'
        : 'Add spatial/scalefactors_json.json from the same Space Ranger run, or load with frame "fullres".';
    throw new StError(src.file, problem, hint);
  }
  if (scale !== 1) {
    x = x.map((v) => v * scale);
    y = y.map((v) => v * scale);
  }

  const geometry = parts.geometry ?? PLATFORM_GEOMETRY[parts.geometryPlatform ?? parts.platform];
  let diameterPx = Number.NaN;
  let diameterSource: StDiameterSource = 'unknown';
  if (parts.spotDiameterFullres && Number.isFinite(parts.spotDiameterFullres)) {
    diameterPx = parts.spotDiameterFullres * scale;
    diameterSource = 'file';
  } else if (parts.diameterColumnPx && Number.isFinite(parts.diameterColumnPx)) {
    diameterPx = parts.diameterColumnPx * scale;
    diameterSource = 'column';
  } else if (geometry && opts.slideMpp && opts.slideMpp > 0) {
    diameterPx = geometry.diameterUm / opts.slideMpp;
    diameterSource = 'mpp';
  } else if (geometry) {
    const pitch = getSpotPitch(x, y);
    if (Number.isFinite(pitch.pitchPx)) {
      diameterPx = (pitch.pitchPx * geometry.diameterUm) / geometry.pitchUm;
      diameterSource = 'pitch';
      warnings.push(
        `Spot diameter estimated from the spot grid (${pitch.pitchPx.toFixed(1)} px pitch = ${geometry.pitchUm} um, so ${geometry.diameterUm} um = ${diameterPx.toFixed(1)} px); give the slide's um/px for an exact value.`,
      );
    }
  }
  if (diameterSource === 'unknown') warnings.push('Spot diameter unknown (no scalefactors, platform or diameter column); the viewer picks a default.');

  return {
    platform: parts.platform,
    format: parts.format,
    matrix,
    spots: { ids, x, y, inTissue, diameterPx, annotations },
    genes: parts.genes,
    frame: { name: frame, scale },
    pitchUm: geometry?.pitchUm ?? Number.NaN,
    files: parts.files,
    warnings,
    images: parts.images,
    frameScales: { fullres: 1, ...parts.frameScales },
    spotDiameterFullres: parts.spotDiameterFullres,
    diameterSource,
    spotDiameterUm: geometry?.diameterUm,
    ...(parts.hdBins ? { hdBins: parts.hdBins } : {}),
  };
}

/**
 * The dataset as `assemble` would have made it with the slide's um/px known: a platform spot
 * diameter that was estimated from the spot grid (or unknown) becomes diameterUm / slideMpp, and
 * the estimate's warning goes. Lets a case parse its ST files while the slide is still opening.
 */
export function getStDatasetWithSlideMpp(dataset: StDataset, slideMpp: number | null): StDataset {
  const source = dataset.diameterSource;
  if (!(slideMpp && slideMpp > 0) || !dataset.spotDiameterUm || (source !== 'pitch' && source !== 'unknown')) return dataset;
  const diameterPx = dataset.spotDiameterUm / slideMpp;
  return {
    ...dataset,
    spots: { ...dataset.spots, diameterPx },
    diameterSource: 'mpp',
    warnings: dataset.warnings.filter((w) => !w.startsWith('Spot diameter ')),
  };
}

/** The same dataset with positions (and diameter) mapped into another frame it knows the scale of. */
export function getStDatasetInFrame(dataset: StDataset, frame: StFrameName): StDataset {
  const to = dataset.frameScales?.[frame];
  if (to === undefined) {
    throw new StError(dataset.files[0]?.name ?? 'ST dataset', `has no scale for the ${frame} image.`, 'Load the spatial/scalefactors_json.json file with the data.');
  }
  return { ...getStDatasetScaled(dataset, to / dataset.frame.scale), frame: { name: frame, scale: to } };
}

/**
 * The same dataset with spot positions and diameter multiplied by `k`: spots given in the pixels of
 * one scan placed on a resized copy of it (k = copy width / original width).
 */
export function getStDatasetScaled(dataset: StDataset, k: number): StDataset {
  if (k === 1) return dataset;
  return {
    ...dataset,
    spots: { ...dataset.spots, x: dataset.spots.x.map((v) => v * k), y: dataset.spots.y.map((v) => v * k), diameterPx: dataset.spots.diameterPx * k },
    frame: { name: dataset.frame.name, scale: dataset.frame.scale * k },
  };
}
