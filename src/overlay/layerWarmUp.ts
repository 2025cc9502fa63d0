/**
 * Layers that the overlay draws once, invisibly, when it starts: one tiny layer of each kind the
 * app draws (the spot circles, the cancer-region outlines, the dense heatmap), made by the same
 * factories as the real ones so their shaders are the same. Where WebGL is a software renderer
 * (SwiftShader in headless Chromium) the first draw of each kind compiles its shaders for 0.3-1.3 s,
 * and the page's main thread waits for it at the next frame; drawn here, at start-up, that cost is
 * paid before a case is open (or while its slide decodes in a worker), not in the middle of a
 * spot run, where it delayed the slide reads for the patches. On a GPU it costs a few ms.
 */
import type { Layer } from '@deck.gl/core';
import { createHeatmapLayer } from './heatmapLayer';
import { createRegionsLayer } from './regionsLayer';
import { createSpotLayer } from './spotLayer';

export const WARM_UP_PREFIX = 'warm-up-';

/** Opacity 0 (drawn, blended to nothing), not pickable, a few pixels at the view's centre. */
export function getWarmUpLayers(): Layer[] {
  const spots = createSpotLayer({
    id: `${WARM_UP_PREFIX}spots`,
    positions: new Float32Array([0, 0]),
    colours: new Uint8Array([0, 0, 0, 255]),
    diameterPx: 4,
    opacity: 0,
    mode: 'fill',
    visible: true,
    pickable: false,
  });
  const regions = createRegionsLayer({ polygons: [[[[0, 0], [4, 0], [4, 4], [0, 0]]]], visible: true }).clone({ id: `${WARM_UP_PREFIX}regions`, opacity: 0 });
  const raster = { width: 1, height: 1, originX: 0, originY: 0, cellPx: 4 };
  const image = new ImageData(new Uint8ClampedArray([0, 0, 0, 255]), 1, 1);
  const heatmap = createHeatmapLayer({ raster, image, opacity: 0, visible: true, version: 0 }).clone({ id: `${WARM_UP_PREFIX}heatmap` });
  return [heatmap, spots, regions];
}
