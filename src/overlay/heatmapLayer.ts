/**
 * The dense histology-only heatmap as a deck.gl BitmapLayer: one texel per raster cell, linear
 * filtering, stretched over the slide in level-0 px (the OrthographicView has flipY, so the
 * image's top row sits at the raster's origin y). Cells without a value are transparent.
 */
import { BitmapLayer } from '@deck.gl/layers';
import { type ContinuousMapId, getColourTable } from './colour';

export const HEATMAP_LAYER_ID = 'model-heatmap';

export interface HeatmapRasterLike {
  width: number;
  height: number;
  originX: number;
  originY: number;
  cellPx: number;
}

/** RGBA pixels of the raster through a colour map over [lo, hi]; NaN -> transparent. */
export function getHeatmapImage(raster: HeatmapRasterLike, values: Float32Array, map: ContinuousMapId, lo: number, hi: number): ImageData {
  const lut = getColourTable(map);
  const n = raster.width * raster.height;
  const data = new Uint8ClampedArray(n * 4);
  const span = hi - lo;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    let t = span > 0 ? (v - lo) / span : 0.5;
    t = t < 0 ? 0 : Math.min(t , 1);
    const k = Math.round(t * 255) * 3;
    data[i * 4] = lut[k];
    data[i * 4 + 1] = lut[k + 1];
    data[i * 4 + 2] = lut[k + 2];
    data[i * 4 + 3] = 255;
  }
  return new ImageData(data, raster.width, raster.height);
}

export function createHeatmapLayer(p: { raster: HeatmapRasterLike; image: ImageData; opacity: number; visible: boolean; version: number }): BitmapLayer {
  const { raster } = p;
  const x0 = raster.originX;
  const y0 = raster.originY;
  const x1 = x0 + raster.width * raster.cellPx;
  const y1 = y0 + raster.height * raster.cellPx;
  return new BitmapLayer({
    id: HEATMAP_LAYER_ID,
    image: p.image,
    // [left, bottom, right, top]: with flipY the top row belongs at the smaller y
    bounds: [x0, y1, x1, y0],
    opacity: p.opacity,
    visible: p.visible,
    pickable: false,
    textureParameters: { minFilter: 'linear', magFilter: 'linear' },
    updateTriggers: { image: p.version },
  });
}
