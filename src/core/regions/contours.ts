/**
 * Cancer regions from a probability raster: d3-contour (marching squares) at the threshold, with
 * coordinates mapped to level-0 pixels, polygon areas (holes subtracted) in px^2 and mm^2, and a
 * GeoJSON FeatureCollection that QuPath imports as annotations (one Polygon feature per region).
 */
import { contours } from 'd3-contour';
import type { ProbabilityRaster } from './raster.ts';

/** One polygon: exterior ring first, then holes; each ring a closed list of [x, y] level-0 px. */
export type Polygon = [number, number][][];

export interface CancerRegions {
  threshold: number;
  polygons: Polygon[];
  /** per polygon, level-0 px^2 (holes subtracted) */
  areasPx2: Float64Array;
  totalAreaPx2: number;
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

/**
 * Regions where the raster is >= threshold. NaN cells count as below the threshold, so regions
 * stay inside the computed tissue. A cell is a unit square of the grid (d3-contour's convention).
 */
export function getCancerRegions(raster: ProbabilityRaster, threshold: number): CancerRegions {
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
      polygons.push(poly.map((ring) => ring.map(([gx, gy]) => [originX + (gx - 1) * cellPx, originY + (gy - 1) * cellPx] as [number, number])));
    }
  }
  const areasPx2 = new Float64Array(polygons.length);
  let total = 0;
  for (let i = 0; i < polygons.length; i++) {
    areasPx2[i] = getPolygonArea(polygons[i]);
    total += areasPx2[i];
  }
  return { threshold, polygons, areasPx2, totalAreaPx2: total };
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
      if (mpp) measurements['Area mm^2'] = (regions.areasPx2[i] * mpp * mpp) / 1e6;
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
