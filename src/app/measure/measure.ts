/**
 * Measurements on the slide: lines (the ruler) and polygons (areas), their sizes in physical units
 * and their QuPath export. Pure functions (the store and the tool are in measureStore.ts /
 * measureTool.ts).
 */

export interface Point {
  x: number;
  y: number;
}

export type MeasureKind = 'line' | 'area';

/** A line (two points) or a closed polygon (three or more) measured on the slide, in level-0 pixels. */
export interface Measurement {
  id: number;
  kind: MeasureKind;
  points: Point[];
}

/** Length of a polyline in level-0 pixels (closed: back to its first point). */
export function getPathLengthPx(points: Point[], closed = false): number {
  let sum = 0;
  const n = points.length;
  for (let i = 1; i < n + (closed && n > 2 ? 1 : 0); i++) {
    const a = points[i - 1];
    const b = points[i % n];
    sum += Math.hypot(b.x - a.x, b.y - a.y);
  }
  return sum;
}

/** Area of a simple polygon in level-0 pixels² (shoelace). */
export function getAreaPx(points: Point[]): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i];
    const b = points[(i + 1) % points.length];
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.abs(twice) / 2;
}

/** "850 µm", "1.25 mm", or "1,234 px" where the slide's um/px is unknown. */
export function getLengthLabel(lengthPx: number, mpp: number | null): string {
  if (!mpp) return `${Math.round(lengthPx).toLocaleString('en-US')} px`;
  const um = lengthPx * mpp;
  if (um < 10) return `${um.toFixed(1)} µm`;
  if (um < 1000) return `${Math.round(um)} µm`;
  return `${(um / 1000).toFixed(um < 10_000 ? 2 : 1)} mm`;
}

/** "4,560 µm²" below 0.01 mm², "0.123 mm²" above, or "12,345 px²" without um/px. */
export function getAreaLabel(areaPx: number, mpp: number | null): string {
  if (!mpp) return `${Math.round(areaPx).toLocaleString('en-US')} px²`;
  const um2 = areaPx * mpp * mpp;
  if (um2 < 10_000) return `${Math.round(um2).toLocaleString('en-US')} µm²`;
  const mm2 = um2 / 1e6;
  return `${mm2.toFixed(mm2 < 1 ? 3 : 2)} mm²`;
}

/** What the slide and the panel show for a measurement: a line's length, a polygon's area. */
export function getMeasurementLabel(m: { kind: MeasureKind; points: Point[] }, mpp: number | null): string {
  return m.kind === 'line' ? getLengthLabel(getPathLengthPx(m.points), mpp) : getAreaLabel(getAreaPx(m.points), mpp);
}

/** Measurements read back from storage (their ids dropped), or [] where the value is not a list of them. */
export function parseSavedMeasurements(text: string | null): Omit<Measurement, 'id'>[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as { fusescope?: string; items?: unknown };
    if (v.fusescope !== 'measurements' || !Array.isArray(v.items)) return [];
    const isPoint = (p: unknown): p is Point => typeof p === 'object' && p !== null && Number.isFinite((p as Point).x) && Number.isFinite((p as Point).y);
    return v.items.flatMap((m: unknown) => {
      const { kind, points } = (m ?? {}) as { kind?: unknown; points?: unknown };
      if ((kind !== 'line' && kind !== 'area') || !Array.isArray(points) || !points.every(isPoint)) return [];
      if (points.length < (kind === 'line' ? 2 : 3)) return [];
      return [{ kind, points: points.map((p) => ({ x: p.x, y: p.y })) }];
    });
  } catch {
    return [];
  }
}

/** What is stored for a slide's measurements. */
export function getSavedMeasurementsText(items: Measurement[]): string {
  return JSON.stringify({ fusescope: 'measurements', version: 1, items: items.map(({ kind, points }) => ({ kind, points })) });
}

/**
 * The measurements as QuPath GeoJSON (File > Import objects): annotations in level-0 pixels named
 * "Ruler N" (LineString) or "Area N" (Polygon), with the measurements QuPath's own line and
 * polygon tools record.
 */
export function getMeasurementsGeoJson(items: Measurement[], mpp: number | null): string {
  const count = { line: 0, area: 0 };
  const features = items.map((m) => {
    const n = ++count[m.kind];
    const coords = m.points.map((p) => [p.x, p.y]);
    const round = (v: number) => Number(v.toFixed(2));
    const measurements: Record<string, number> = {};
    if (m.kind === 'line') {
      const px = getPathLengthPx(m.points);
      measurements['Length px'] = round(px);
      if (mpp) measurements['Length µm'] = round(px * mpp);
    } else {
      const area = getAreaPx(m.points);
      const perimeter = getPathLengthPx(m.points, true);
      measurements['Area px^2'] = round(area);
      measurements['Perimeter px'] = round(perimeter);
      if (mpp) {
        measurements['Area µm^2'] = round(area * mpp * mpp);
        measurements['Perimeter µm'] = round(perimeter * mpp);
      }
    }
    return {
      type: 'Feature',
      geometry: m.kind === 'line' ? { type: 'LineString', coordinates: coords } : { type: 'Polygon', coordinates: [[...coords, coords[0]]] },
      properties: { objectType: 'annotation', name: `${m.kind === 'line' ? 'Ruler' : 'Area'} ${n}`, isLocked: false, measurements },
    };
  });
  return `${JSON.stringify({ type: 'FeatureCollection', features }, null, 1)}\n`;
}
