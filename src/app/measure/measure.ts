/**
 * Ruler measurements on the slide: lengths in physical units and their QuPath export. Pure
 * functions (the store and the tool are in measureStore.ts / measureTool.ts).
 */

export interface Point {
  x: number;
  y: number;
}

/** A straight line measured on the slide, its ends in level-0 pixels. */
export interface Measurement {
  id: number;
  a: Point;
  b: Point;
}

/** Length in level-0 pixels. */
export function getLengthPx(m: { a: Point; b: Point }): number {
  return Math.hypot(m.b.x - m.a.x, m.b.y - m.a.y);
}

/** "850 µm", "1.25 mm", or "1,234 px" where the slide's um/px is unknown. */
export function getLengthLabel(lengthPx: number, mpp: number | null): string {
  if (!mpp) return `${Math.round(lengthPx).toLocaleString('en-US')} px`;
  const um = lengthPx * mpp;
  if (um < 10) return `${um.toFixed(1)} µm`;
  if (um < 1000) return `${Math.round(um)} µm`;
  return `${(um / 1000).toFixed(um < 10_000 ? 2 : 1)} mm`;
}

/**
 * The measurements as QuPath GeoJSON (File > Import objects): line annotations in level-0 pixels
 * named "Ruler N", with their length as a measurement, as QuPath's own line tool records it.
 */
export function getMeasurementsGeoJson(lines: Measurement[], mpp: number | null): string {
  const features = lines.map((m, i) => {
    const px = getLengthPx(m);
    const measurements: Record<string, number> = { 'Length px': Number(px.toFixed(2)) };
    if (mpp) measurements['Length µm'] = Number((px * mpp).toFixed(2));
    return {
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: [[m.a.x, m.a.y], [m.b.x, m.b.y]] },
      properties: { objectType: 'annotation', name: `Ruler ${i + 1}`, isLocked: false, measurements },
    };
  });
  return `${JSON.stringify({ type: 'FeatureCollection', features }, null, 1)}\n`;
}
