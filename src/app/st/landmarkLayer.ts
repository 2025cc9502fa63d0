/**
 * Landmark pairs drawn on the overlay: the ST point where it is now (after registration,
 * magenta), the target on the tissue (cyan) and a line between them.
 */
import { LineLayer, ScatterplotLayer } from '@deck.gl/layers';
import { applyAffine } from '../../core/st/registration';
import { useOverlayStore } from '../../overlay/overlayStore';
import { useStStore } from './stStore';
import { useStViewStore } from './stView';

const ST_COLOUR: [number, number, number, number] = [255, 64, 200, 255];
const SLIDE_COLOUR: [number, number, number, number] = [64, 220, 255, 255];

function update(): void {
  const { registration, picking, dataset } = useStStore.getState();
  const affine = useStViewStore.getState().affine;
  const set = useOverlayStore.getState().setLayer;
  const pairs = registration.landmarks;
  if (!dataset || !affine || (pairs.length === 0 && picking?.step !== 'slide')) {
    set('st-landmark-points', null);
    set('st-landmark-lines', null);
    return;
  }
  const pts: { p: [number, number]; c: [number, number, number, number] }[] = [];
  const lines: { a: [number, number]; b: [number, number] }[] = [];
  for (const pair of pairs) {
    const now = applyAffine(affine, pair.st.x, pair.st.y);
    pts.push({ p: [now.x, now.y], c: ST_COLOUR }, { p: [pair.slide.x, pair.slide.y], c: SLIDE_COLOUR });
    lines.push({ a: [now.x, now.y], b: [pair.slide.x, pair.slide.y] });
  }
  if (picking?.step === 'slide') {
    const now = applyAffine(affine, picking.st.x, picking.st.y);
    pts.push({ p: [now.x, now.y], c: ST_COLOUR });
  }
  set(
    'st-landmark-lines',
    new LineLayer<{ a: [number, number]; b: [number, number] }>({
      id: 'st-landmark-lines',
      data: lines,
      getSourcePosition: (d) => d.a,
      getTargetPosition: (d) => d.b,
      getColor: [255, 255, 255, 220],
      getWidth: 2,
      widthUnits: 'pixels',
    }),
    20,
  );
  set(
    'st-landmark-points',
    new ScatterplotLayer<{ p: [number, number]; c: [number, number, number, number] }>({
      id: 'st-landmark-points',
      data: pts,
      getPosition: (d) => d.p,
      getFillColor: (d) => d.c,
      getLineColor: [0, 0, 0, 255],
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 1.5,
      radiusUnits: 'pixels',
      getRadius: 6,
    }),
    21,
  );
}

export function startLandmarkLayer(): () => void {
  update();
  const a = useStStore.subscribe((s, p) => {
    if (s.registration !== p.registration || s.picking !== p.picking || s.dataset !== p.dataset) update();
  });
  const b = useStViewStore.subscribe((s, p) => {
    if (s.affine !== p.affine) update();
  });
  return () => {
    a();
    b();
    useOverlayStore.getState().setLayer('st-landmark-points', null);
    useOverlayStore.getState().setLayer('st-landmark-lines', null);
  };
}
