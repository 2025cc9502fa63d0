/**
 * Annotations drawn by a pathologist, read from GeoJSON as QuPath exports it (File > Export objects
 * as GeoJSON: a FeatureCollection, or a plain array of Features; Polygon and MultiPolygon
 * geometries in level-0 pixels; the class in `properties.classification.name`), and what the model
 * is compared with through them: spot labels (the class of the annotation a spot lies in) and the
 * agreement of a probability raster with the annotated area.
 */
import { getRocAuc } from '../score/metrics.ts';
import { getCellCentre, type ProbabilityRaster } from './raster.ts';
import { getPolygonArea, getRingBounds, isInside } from './contours.ts';

/** One polygon: exterior ring first, then holes; level-0 px. */
export interface AnnotationShape {
  className: string;
  rings: [number, number][][];
  areaPx2: number;
}

export interface Annotations {
  shapes: AnnotationShape[];
  /** features that were not polygons (points, lines), left out */
  skipped: number;
  classes: string[];
}

/** Class given to spots and windows outside every annotation. */
export const OUTSIDE_CLASS = 'outside annotations';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function getClassName(props: Json | undefined): string {
  if (!props || typeof props !== 'object' || Array.isArray(props)) return 'Unclassified';
  const c = props.classification;
  if (c && typeof c === 'object' && !Array.isArray(c) && typeof c.name === 'string') return c.name;
  if (typeof c === 'string') return c;
  for (const k of ['class', 'label', 'name']) if (typeof props[k] === 'string') return props[k] as string;
  return 'Unclassified';
}

function getRing(ring: Json, file: string): [number, number][] {
  if (!Array.isArray(ring) || ring.some((p) => !Array.isArray(p) || typeof p[0] !== 'number' || typeof p[1] !== 'number')) {
    throw new Error(`${file}: a polygon ring is not a list of [x, y] numbers.`);
  }
  return (ring as number[][]).map((p) => [p[0], p[1]]);
}

export function getAnnotations(text: string, file: string): Annotations {
  let doc: Json;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
  } catch {
    throw new Error(`${file}: is not JSON; export the annotations from QuPath as GeoJSON (File > Export objects as GeoJSON).`);
  }
  let features: Json[] = [];
  if (Array.isArray(doc)) features = doc;
  else if (doc && typeof doc === 'object' && doc.type === 'FeatureCollection' && Array.isArray(doc.features)) features = doc.features;
  else if (doc && typeof doc === 'object' && doc.type === 'Feature') features = [doc];
  else throw new Error(`${file}: is JSON but not GeoJSON features (no FeatureCollection, Feature or list of Features).`);
  const shapes: AnnotationShape[] = [];
  let skipped = 0;
  for (const f of features) {
    if (!f || typeof f !== 'object' || Array.isArray(f)) {
      skipped++;
      continue;
    }
    const g = f.geometry;
    if (!g || typeof g !== 'object' || Array.isArray(g)) {
      skipped++;
      continue;
    }
    const className = getClassName(f.properties);
    const polys: Json[] = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' && Array.isArray(g.coordinates) ? g.coordinates : [];
    if (polys.length === 0) skipped++;
    for (const poly of polys) {
      if (!Array.isArray(poly) || poly.length === 0) continue;
      const rings = poly.map((r) => getRing(r, file));
      shapes.push({ className, rings, areaPx2: getPolygonArea(rings) });
    }
  }
  if (shapes.length === 0) throw new Error(`${file}: has no polygon annotations (${features.length} features, none a Polygon or MultiPolygon).`);
  return { shapes, skipped, classes: [...new Set(shapes.map((s) => s.className))].sort() };
}

/**
 * The class at each point: the smallest annotation that contains it (a tumour drawn inside a tissue
 * outline is the tumour), else OUTSIDE_CLASS.
 */
export function getClassesAt(a: Annotations, x: ArrayLike<number>, y: ArrayLike<number>): string[] {
  const bySize = [...a.shapes].sort((p, q) => p.areaPx2 - q.areaPx2);
  const boxes = bySize.map((s) => getRingBounds(s.rings[0]));
  const out: string[] = new Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = OUTSIDE_CLASS;
    for (let k = 0; k < bySize.length; k++) {
      const b = boxes[k];
      if (x[i] < b.x0 || x[i] > b.x1 || y[i] < b.y0 || y[i] > b.y1) continue;
      if (isInside(x[i], y[i], bySize[k].rings)) {
        out[i] = bySize[k].className;
        break;
      }
    }
  }
  return out;
}

export interface RasterAgreement {
  /** tissue windows whose centre is in a positive annotation */
  windowsInside: number;
  windows: number;
  /** ROC AUC of the window probabilities against inside / outside (null when one side is empty) */
  auc: number | null;
  /** windows at or above the threshold against inside: Dice, sensitivity (recall), precision */
  dice: number;
  sensitivity: number;
  precision: number;
  /** tissue windows inside the positive annotations, mm^2 (null without um/px) */
  annotatedTissueMm2: number | null;
}

/**
 * How the histology heatmap agrees with positive annotations, window by window over the tissue:
 * threshold-free (AUC of the probabilities) and at the threshold (overlap of the windows called
 * cancer with the annotated ones).
 */
export function getRasterAgreement(raster: ProbabilityRaster, cells: ArrayLike<number>, a: Annotations, positive: Set<string>, threshold: number, mpp: number | null): RasterAgreement {
  const cx = new Float64Array(cells.length);
  const cy = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) [cx[i], cy[i]] = getCellCentre(raster, cells[i]);
  const classes = getClassesAt(a, cx, cy);
  const y = classes.map((c) => (positive.has(c) ? 1 : 0));
  const p = Array.from(cells, (c) => raster.values[c]);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let inside = 0;
  for (let i = 0; i < y.length; i++) {
    const called = p[i] >= threshold;
    inside += y[i];
    if (called && y[i]) tp++;
    else if (called) fp++;
    else if (y[i]) fn++;
  }
  const cell2 = raster.cellPx * raster.cellPx;
  return {
    windowsInside: inside,
    windows: y.length,
    auc: inside > 0 && inside < y.length ? getRocAuc(p, y) : null,
    dice: tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 1,
    sensitivity: tp + fn > 0 ? tp / (tp + fn) : 0,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    annotatedTissueMm2: mpp ? (inside * cell2 * mpp * mpp) / 1e6 : null,
  };
}
