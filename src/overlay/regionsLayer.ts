/**
 * Cancer-region outlines (contours of the score field at the threshold) as a stroked deck.gl
 * PathLayer in level-0 px; the stroke width is in screen pixels so outlines stay visible at any zoom.
 */
import { PathLayer } from '@deck.gl/layers';

export const REGIONS_LAYER_ID = 'model-regions';
/** a pathologist's annotations, drawn the same way in green */
export const ANNOTATIONS_LAYER_ID = 'annotations';

/** polygons: each an exterior ring then holes; rings are [x, y] level-0 px */
export function createRegionsLayer(p: { polygons: [number, number][][][]; visible: boolean; colour?: [number, number, number, number]; id?: string }): PathLayer<[number, number][]> {
  const rings: [number, number][][] = [];
  for (const poly of p.polygons) for (const ring of poly) rings.push(ring);
  return new PathLayer<[number, number][]>({
    id: p.id ?? REGIONS_LAYER_ID,
    data: rings,
    getPath: (r) => r.flat(),
    positionFormat: 'XY',
    getColor: p.colour ?? [0, 255, 255, 255],
    getWidth: 2,
    widthUnits: 'pixels',
    widthMinPixels: 2,
    visible: p.visible,
    pickable: false,
  });
}
