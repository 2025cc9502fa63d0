/**
 * Cancer regions from a probability raster: d3-contour (marching squares) at the threshold, with
 * coordinates mapped to level-0 pixels, polygon areas (holes subtracted) in px^2 and mm^2, each
 * region's greatest dimension (maximum Feret diameter, how a pathologist sizes a tumour), and a
 * GeoJSON FeatureCollection that QuPath imports as annotations (one Polygon feature per region).
 */
import { contours } from 'd3-contour';
import { polygonHull } from 'd3-polygon';
import type { ModelManifest } from '../model/manifest.ts';
import type { ProbabilityRaster } from './raster.ts';

/** One polygon: exterior ring first, then holes; each ring a closed list of [x, y] level-0 px. */
export type Polygon = [number, number][][];

export interface CancerRegions {
  threshold: number;
  polygons: Polygon[];
  /** per polygon, level-0 px^2 (holes subtracted) */
  areasPx2: Float64Array;
  /** per polygon, its greatest dimension in level-0 px (maximum Feret diameter of the exterior ring) */
  maxDiametersPx: Float64Array;
  /** per polygon, the mean of the raster cells whose centres lie in it (how sure the map is there) */
  meanValues: Float64Array;
  totalAreaPx2: number;
  /** what the size filter removed: regions left out (and their area), holes filled */
  dropped: { regions: number; areaPx2: number; holes: number };
}

/**
 * Size filter on the contours, in level-0 px^2 (QuPath's thresholder has the same pair): regions
 * smaller than `minRegionPx2` (holes subtracted) are left out, holes smaller than `minHolePx2` are
 * filled (their area joins the region). 0 keeps everything.
 */
export interface RegionSizeFilter {
  minRegionPx2: number;
  minHolePx2: number;
}

/** Shoelace area of a ring (absolute value). */
export function getRingArea(ring: readonly (readonly [number, number])[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  return Math.abs(s) / 2;
}

export function getPolygonArea(polygon: Polygon): number {
  let a = polygon.length ? getRingArea(polygon[0]) : 0;
  for (let h = 1; h < polygon.length; h++) a -= getRingArea(polygon[h]);
  return a;
}

/** Even-odd point in polygon over all rings (holes excluded). */
export function isInside(x: number, y: number, rings: readonly (readonly [number, number])[][]): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/**
 * The greatest distance between two points of a ring (maximum Feret diameter, the caliper width
 * at its widest): the largest pairwise distance between the vertices of its convex hull.
 */
export function getMaxDiameter(ring: readonly (readonly [number, number])[]): number {
  const pts = ring.length >= 3 ? (polygonHull(ring.map(([x, y]) => [x, y] as [number, number])) ?? ring) : ring;
  let best = 0;
  for (let i = 0; i < pts.length; i++) {
    for (let j = i + 1; j < pts.length; j++) {
      const dx = pts[i][0] - pts[j][0];
      const dy = pts[i][1] - pts[j][1];
      const d = dx * dx + dy * dy;
      if (d > best) best = d;
    }
  }
  return Math.sqrt(best);
}

/**
 * A ring clipped to the rectangle [0, width] x [0, height] (Sutherland-Hodgman; the clip window is
 * convex, so the clipped area is exact even for concave rings). Fewer than 3 points: outside.
 */
export function getClippedRing(ring: readonly (readonly [number, number])[], width: number, height: number): [number, number][] {
  let pts: [number, number][] = ring.map(([x, y]) => [x, y]);
  if (pts.length > 1 && pts[0][0] === pts[pts.length - 1][0] && pts[0][1] === pts[pts.length - 1][1]) pts.pop();
  const edges: [(p: [number, number]) => number, number][] = [
    [(p) => p[0], 0],
    [(p) => -p[0], -width],
    [(p) => p[1], 0],
    [(p) => -p[1], -height],
  ];
  for (const [f, lim] of edges) {
    const out: [number, number][] = [];
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i];
      const b = pts[(i + 1) % pts.length];
      const ina = f(a) >= lim;
      const inb = f(b) >= lim;
      if (ina) out.push(a);
      if (ina !== inb) {
        const t = (lim - f(a)) / (f(b) - f(a));
        out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
      }
    }
    pts = out;
    if (pts.length < 3) return [];
  }
  pts.push([pts[0][0], pts[0][1]]);
  return pts;
}

/**
 * Regions where the raster is >= threshold. NaN cells count as below the threshold, so regions
 * stay inside the computed tissue. A cell is a unit square of the grid (d3-contour's convention).
 * With `bounds` (the slide's level-0 size), polygons are clipped to the slide: the last row and
 * column of cells usually overhang its edge, and that overhang is not tissue.
 */
export function getCancerRegions(
  raster: ProbabilityRaster,
  threshold: number,
  bounds?: { width: number; height: number },
  filter: RegionSizeFilter = { minRegionPx2: 0, minHolePx2: 0 },
): CancerRegions {
  const { width, height, originX, originY, cellPx } = raster;
  const polygons: Polygon[] = [];
  if (width > 0 && height > 0) {
    // pad by one cell so regions touching the border close properly
    const pw = width + 2;
    const ph = height + 2;
    const padded = new Float64Array(pw * ph).fill(Number.NEGATIVE_INFINITY);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = raster.values[y * width + x];
        padded[(y + 1) * pw + x + 1] = Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
      }
    }
    // d3-contour interpolates linearly between cells; -Infinity breaks that, so use a finite floor
    const floor = Math.min(threshold, 0) - 1;
    for (let i = 0; i < padded.length; i++) if (padded[i] === Number.NEGATIVE_INFINITY) padded[i] = floor;
    const [mp] = contours().size([pw, ph]).smooth(false).thresholds([threshold])(Array.from(padded));
    for (const poly of mp?.coordinates ?? []) {
      let rings = poly.map((ring) => ring.map(([gx, gy]) => [originX + (gx - 1) * cellPx, originY + (gy - 1) * cellPx] as [number, number]));
      if (bounds) {
        const outer = getClippedRing(rings[0], bounds.width, bounds.height);
        if (outer.length === 0) continue;
        rings = [outer, ...rings.slice(1).map((r) => getClippedRing(r, bounds.width, bounds.height)).filter((r) => r.length > 0)];
      }
      polygons.push(rings);
    }
  }
  const dropped = { regions: 0, areaPx2: 0, holes: 0 };
  const kept: Polygon[] = [];
  const areas: number[] = [];
  const diameters: number[] = [];
  const means: number[] = [];
  let total = 0;
  for (const poly of polygons) {
    const holes = poly.slice(1).filter((ring) => getRingArea(ring) >= filter.minHolePx2);
    const rings = [poly[0], ...holes];
    const area = getPolygonArea(rings);
    if (area < filter.minRegionPx2 || area <= 0) {
      dropped.regions++;
      dropped.areaPx2 += Math.max(0, getPolygonArea(poly));
      continue;
    }
    dropped.holes += poly.length - rings.length;
    kept.push(rings);
    areas.push(area);
    diameters.push(getMaxDiameter(rings[0]));
    means.push(getMeanInside(raster, rings));
    total += area;
  }
  return { threshold, polygons: kept, areasPx2: Float64Array.from(areas), maxDiametersPx: Float64Array.from(diameters), meanValues: Float64Array.from(means), totalAreaPx2: total, dropped };
}

/** Bounding box of a ring of [x, y] points (infinite for an empty ring). */
export function getRingBounds(ring: readonly (readonly [number, number])[]): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const [x, y] of ring) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return { x0, y0, x1, y1 };
}

/** Mean of the finite raster values whose cell centres lie in the polygon (NaN when none does). */
export function getMeanInside(raster: ProbabilityRaster, rings: [number, number][][]): number {
  return getValuesInside(raster, rings).mean;
}

/**
 * The raster cells whose centres lie inside `rings` (first ring the outline, then holes) and hold
 * a value: how many, their mean, and how many are at or above `threshold` (when given).
 */
export function getValuesInside(raster: ProbabilityRaster, rings: [number, number][][], threshold?: number): { cells: number; mean: number; atOrAbove: number } {
  const { width, height, originX, originY, cellPx, values } = raster;
  const { x0, y0, x1, y1 } = getRingBounds(rings[0]);
  const c0 = Math.max(0, Math.floor((x0 - originX) / cellPx));
  const c1 = Math.min(width - 1, Math.floor((x1 - originX) / cellPx));
  const r0 = Math.max(0, Math.floor((y0 - originY) / cellPx));
  const r1 = Math.min(height - 1, Math.floor((y1 - originY) / cellPx));
  let sum = 0;
  let n = 0;
  let above = 0;
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      const v = values[r * width + c];
      if (!Number.isFinite(v) || !isInside(originX + (c + 0.5) * cellPx, originY + (r + 0.5) * cellPx, rings)) continue;
      sum += v;
      n++;
      if (threshold !== undefined && v >= threshold) above++;
    }
  }
  return { cells: n, mean: n ? sum / n : Number.NaN, atOrAbove: above };
}

/** A size filter with both minimums set to `minAreaUm2`, in level-0 px^2 of a slide at `mpp` um/px (none when mpp is unknown). */
export function getRegionSizeFilter(minAreaUm2: number, mpp: number | null): RegionSizeFilter {
  const px2 = mpp && mpp > 0 ? minAreaUm2 / (mpp * mpp) : 0;
  return { minRegionPx2: px2, minHolePx2: px2 };
}

export interface GeoJsonPolygonFeature {
  type: 'Feature';
  geometry: { type: 'Polygon'; coordinates: [number, number][][] };
  properties: {
    objectType: 'annotation';
    classification: { name: string; color: [number, number, number] };
    isLocked: boolean;
    measurements: Record<string, number>;
  };
}

export interface GeoJsonFeatureCollection {
  type: 'FeatureCollection';
  features: GeoJsonPolygonFeature[];
}

/**
 * QuPath-importable annotations (File > Import objects): coordinates in level-0 px, rings closed,
 * classification Tumor. `mpp` (um per level-0 px) adds an area measurement in mm^2.
 */
export function getRegionsGeoJson(regions: CancerRegions, mpp: number | null, className = 'Tumor', color: [number, number, number] = [200, 0, 0]): GeoJsonFeatureCollection {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    type: 'FeatureCollection',
    features: regions.polygons.map((poly, i) => {
      const measurements: Record<string, number> = { 'Area px^2': round(regions.areasPx2[i]), threshold: regions.threshold };
      measurements['Max diameter px'] = round(regions.maxDiametersPx[i]);
      if (Number.isFinite(regions.meanValues[i])) measurements['Mean probability'] = Math.round(regions.meanValues[i] * 1e4) / 1e4;
      if (mpp) {
        measurements['Area mm^2'] = (regions.areasPx2[i] * mpp * mpp) / 1e6;
        measurements['Max diameter µm'] = round(regions.maxDiametersPx[i] * mpp);
      }
      return {
        type: 'Feature' as const,
        geometry: {
          type: 'Polygon' as const,
          coordinates: poly.map((ring) => {
            const r = ring.map(([x, y]) => [round(x), round(y)] as [number, number]);
            const a = r[0];
            const b = r[r.length - 1];
            if (a[0] !== b[0] || a[1] !== b[1]) r.push([a[0], a[1]]);
            return r;
          }),
        },
        properties: { objectType: 'annotation' as const, classification: { name: className, color }, isLocked: false, measurements },
      };
    }),
  };
}

/**
 * The smallest cancer region (and hole) worth drawing, in um^2: the histology model's field of view,
 * one patch (64 px at 1.5 um/px = 96 x 96 um for the default model). A region smaller than what the
 * model looks at is a fragment of the threshold, not a finding. (Here, not beside the manifest's
 * schema: the page imports this, and zod on the page trips the CSP's eval check.)
 */
export function getMinRegionUm2(manifest: Pick<ModelManifest, 'histology'>): number {
  return (manifest.histology.patchPx * manifest.histology.mpp) ** 2;
}
