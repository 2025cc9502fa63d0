/**
 * A probability raster over a slide: one value per grid cell, geometry in level-0 pixels.
 * Produced by the dense heatmap (one cell per sliding-window position) and turned into cancer
 * regions by contours.ts. NaN = no value (not tissue, or not computed yet).
 */
export interface ProbabilityRaster {
  width: number;
  height: number;
  /** level-0 px of the top-left corner of cell (0, 0) */
  originX: number;
  originY: number;
  /** level-0 px per cell side */
  cellPx: number;
  /** row-major, width * height */
  values: Float32Array;
}

/** Level-0 px of the centre of cell `index`. */
export function getCellCentre(r: ProbabilityRaster, index: number): [number, number] {
  const col = index % r.width;
  const row = (index - col) / r.width;
  return [r.originX + (col + 0.5) * r.cellPx, r.originY + (row + 0.5) * r.cellPx];
}
