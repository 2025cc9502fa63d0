/**
 * The spot layer: one ScatterplotLayer over binary (typed-array) attributes, circles at their
 * physical size (radiusUnits 'common' = level-0 pixels in the OrthographicView), filled or
 * outlined. Binary data keeps 100,000 spots interactive: no per-spot objects, no accessors.
 * Square bins (Visium HD) are drawn as squares of their side instead: a flat ColumnLayer whose
 * disk is a square, turned by the bin grid's angle on the image.
 */
import { ColumnLayer, ScatterplotLayer } from '@deck.gl/layers';

export interface SpotLayerProps {
  id?: string;
  /** x0, y0, x1, y1, ... in level-0 pixels */
  positions: Float32Array;
  /** r, g, b, a per spot */
  colours: Uint8Array;
  /** spot diameter in level-0 pixels */
  diameterPx: number;
  /** 0..1 */
  opacity: number;
  mode: 'fill' | 'outline';
  visible: boolean;
  /** outline width in screen pixels */
  lineWidthPx?: number;
  pickable?: boolean;
  /** 'square': square bins of side `diameterPx` (default 'circle') */
  shape?: 'circle' | 'square';
  /** squares: the bin grid's angle on the image, degrees */
  angleDeg?: number;
}

/** a square inscribed in the unit circle's bounding box: half side = radius */
const SQUARE: [number, number][] = [
  [-1, -1],
  [1, -1],
  [1, 1],
  [-1, 1],
];

export const SPOT_LAYER_ID = 'st-spots';

export function createSpotLayer(p: SpotLayerProps): ScatterplotLayer | ColumnLayer {
  const outline = p.mode === 'outline';
  // what circles and squares share: the binary data, fill or outline, opacity, picking
  const common = {
    id: p.id ?? SPOT_LAYER_ID,
    data: {
      length: p.positions.length / 2,
      attributes: {
        getPosition: { value: p.positions, size: 2 },
        getFillColor: { value: p.colours, size: 4 },
        getLineColor: { value: p.colours, size: 4 },
      },
    },
    radiusUnits: 'common' as const,
    filled: !outline,
    stroked: outline,
    lineWidthUnits: 'pixels' as const,
    getLineWidth: p.lineWidthPx ?? 2,
    opacity: p.opacity,
    visible: p.visible,
    pickable: p.pickable ?? true,
  };
  if (p.shape === 'square') {
    return new ColumnLayer({ ...common, vertices: SQUARE, diskResolution: SQUARE.length, radius: p.diameterPx / 2, angle: p.angleDeg ?? 0, extruded: false });
  }
  return new ScatterplotLayer({ ...common, getRadius: p.diameterPx / 2, antialiasing: true, updateTriggers: { getRadius: p.diameterPx } });
}
