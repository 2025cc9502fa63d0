/**
 * Derived view of the applied ST dataset: registered positions, per-spot values, legend range,
 * colours, and the deck.gl spot layer pushed into the overlay store. Recomputed only for the
 * inputs that changed (a colour change does not move the spots, a registration change does not
 * recolour them).
 */
import { create } from 'zustand';
import type { Affine } from '../../core/st/registration';
import { getSpotPitch } from '../../core/st/pitch';
import type { StDataset } from '../../core/st/types';
import { getAutoRange, getCategoricalColours, getContinuousColours, getUniformColours } from '../../overlay/colour';
import { useOverlayStore } from '../../overlay/overlayStore';
import { createSpotLayer, SPOT_LAYER_ID } from '../../overlay/spotLayer';
import { getDisplaySpots, getRegistrationAffine } from './registration';
import { getSpotValues, type SpotValues } from './spotValues';
import { type StState, useStStore } from './stStore';

export const SPOT_COLOUR: [number, number, number, number] = [255, 214, 0, 255];

export interface StView {
  dataset: StDataset | null;
  affine: Affine | null;
  /** registered centres, level-0 px */
  x: Float64Array;
  y: Float64Array;
  positions: Float32Array;
  diameterPx: number;
  values: SpotValues | null;
  /** automatic legend range (1st-99th percentile) of continuous values */
  autoRange: [number, number] | null;
  /** range in use (user-set or auto) */
  range: [number, number] | null;
  colours: Uint8Array;
}

const EMPTY: StView = {
  dataset: null,
  affine: null,
  x: new Float64Array(0),
  y: new Float64Array(0),
  positions: new Float32Array(0),
  diameterPx: 0,
  values: null,
  autoRange: null,
  range: null,
  colours: new Uint8Array(0),
};

export const useStViewStore = create<StView>()(() => EMPTY);

/** Diameter to draw: the dataset's, else half the nearest-neighbour distance, else 20 px. */
export function getDrawDiameter(diameterPx: number, x: Float64Array, y: Float64Array): number {
  if (Number.isFinite(diameterPx) && diameterPx > 0) return diameterPx;
  const p = getSpotPitch(x, y);
  return Number.isFinite(p.nearestPx) && p.nearestPx > 0 ? p.nearestPx / 2 : 20;
}

function getView(s: StState, prev: StView): StView {
  const ds = s.dataset;
  if (!ds) return EMPTY;
  let { x, y, positions, diameterPx, affine, values, autoRange, colours } = prev;
  const dsChanged = ds !== prev.dataset;
  const newAffine = getRegistrationAffine(ds, s.registration);
  const moved = dsChanged || !affine || newAffine.some((v, i) => v !== affine?.[i]);
  if (moved) {
    const d = getDisplaySpots(ds, newAffine);
    ({ x, y, positions } = d);
    diameterPx = getDrawDiameter(d.diameterPx, x, y);
    affine = newAffine;
  }
  const valuesChanged = dsChanged || !values || valueKey(s) !== lastValueKey;
  if (valuesChanged) {
    values = getSpotValues(ds, s.colour.source, s.colour.transform);
    autoRange = values.kind === 'continuous' ? getAutoRange(values.values) : null;
    lastValueKey = valueKey(s);
  }
  const range = values?.kind === 'continuous' ? (s.colour.range ?? autoRange) : null;
  const colourKey = `${s.colour.map}|${range?.join(',')}`;
  if (valuesChanged || colourKey !== lastColourKey || colours.length !== ds.spots.ids.length * 4) {
    const n = ds.spots.ids.length;
    if (values?.kind === 'continuous' && range) colours = getContinuousColours(values.values, range[0], range[1], s.colour.map);
    else if (values?.kind === 'categorical') colours = getCategoricalColours(values.codes);
    else colours = getUniformColours(n, SPOT_COLOUR);
    lastColourKey = colourKey;
  }
  return { dataset: ds, affine, x, y, positions, diameterPx, values, autoRange, range, colours };
}

let lastValueKey = '';
let lastColourKey = '';
let scoreIds = new WeakMap<Float32Array, number>();
let nextScoreId = 1;
function valueKey(s: StState): string {
  const src = s.colour.source;
  let k: string;
  if (src.kind === 'gene') k = `gene:${src.gene}`;
  else if (src.kind === 'annotation') k = `ann:${src.column}`;
  else if (src.kind === 'score') {
    let sid = scoreIds.get(src.values);
    if (!sid) {
      sid = nextScoreId++;
      scoreIds.set(src.values, sid);
    }
    k = `score:${sid}:${src.label}`;
  } else k = 'uniform';
  return `${k}|${s.colour.transform}`;
}

/** Keep the derived view and the deck.gl layer in step with the ST store. Returns the stop function. */
export function startStView(): () => void {
  lastValueKey = '';
  lastColourKey = '';
  scoreIds = new WeakMap();
  const update = (s: StState) => {
    const prev = useStViewStore.getState();
    const view = getView(s, prev);
    if (view !== prev) useStViewStore.setState(view, true);
    if (!view.dataset) {
      useOverlayStore.getState().setLayer(SPOT_LAYER_ID, null);
      return;
    }
    useOverlayStore.getState().setLayer(
      SPOT_LAYER_ID,
      createSpotLayer({
        positions: view.positions,
        colours: view.colours,
        diameterPx: view.diameterPx,
        opacity: s.display.opacity,
        mode: s.display.mode,
        visible: s.display.visible,
        shape: view.dataset.hdBins ? 'square' : 'circle',
        angleDeg: view.dataset.hdBins?.angleDeg,
      }),
      10,
    );
  };
  update(useStStore.getState());
  const unsub = useStStore.subscribe((s, p) => {
    if (s.dataset !== p.dataset || s.registration !== p.registration || s.colour !== p.colour || s.display !== p.display) update(s);
  });
  return () => {
    unsub();
    useOverlayStore.getState().setLayer(SPOT_LAYER_ID, null);
  };
}
