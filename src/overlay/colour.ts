/**
 * Colour maps and colouring of per-spot values into RGBA bytes for deck.gl binary attributes.
 * Continuous maps from d3-scale-chromatic (sampled once into 256-entry tables); categorical
 * palette schemeTableau10 (cycled when there are more categories).
 */
import { interpolateCividis, interpolateMagma, interpolateRdBu, interpolateViridis, schemeTableau10 } from 'd3-scale-chromatic';

export type ContinuousMapId = 'viridis' | 'magma' | 'cividis' | 'rdbu-r';

export const CONTINUOUS_MAPS: { id: ContinuousMapId; label: string; interpolate: (t: number) => string }[] = [
  { id: 'viridis', label: 'viridis', interpolate: interpolateViridis },
  { id: 'magma', label: 'magma', interpolate: interpolateMagma },
  { id: 'cividis', label: 'cividis', interpolate: interpolateCividis },
  { id: 'rdbu-r', label: 'RdBu (reversed, diverging)', interpolate: (t) => interpolateRdBu(1 - t) },
];

/** '#rrggbb' or 'rgb(r, g, b)' -> [r, g, b] */
export function getRgb(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(css.trim());
  if (hex) {
    const v = Number.parseInt(hex[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const m = /rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/i.exec(css);
  if (m) return [Math.round(Number(m[1])), Math.round(Number(m[2])), Math.round(Number(m[3]))];
  throw new Error(`unparseable colour ${css}`);
}

const lutCache = new Map<ContinuousMapId, Uint8Array>();

/** 256 x RGB table of a continuous map. */
export function getColourTable(id: ContinuousMapId): Uint8Array {
  const cached = lutCache.get(id);
  if (cached) return cached;
  const map = CONTINUOUS_MAPS.find((m) => m.id === id) ?? CONTINUOUS_MAPS[0];
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(getRgb(map.interpolate(i / 255)), i * 3);
  lutCache.set(id, lut);
  return lut;
}

/** CSS linear-gradient (left = low) for a legend bar. */
export function getGradientCss(id: ContinuousMapId, stops = 11): string {
  const map = CONTINUOUS_MAPS.find((m) => m.id === id) ?? CONTINUOUS_MAPS[0];
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const t = i / (stops - 1);
    const [r, g, b] = getRgb(map.interpolate(t));
    parts.push(`rgb(${r}, ${g}, ${b}) ${(t * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/** value at quantile q (0..1) of the finite values, linear interpolation; NaN when none */
export function getQuantiles(values: ArrayLike<number>, qs: number[]): number[] {
  const finite = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) finite[n++] = v;
  }
  if (n === 0) return qs.map(() => Number.NaN);
  const s = finite.subarray(0, n).sort();
  return qs.map((q) => {
    const pos = Math.min(1, Math.max(0, q)) * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  });
}

/** The automatic legend range: 1st-99th percentile (widened to min-max when that range is empty). */
export function getAutoRange(values: ArrayLike<number>): [number, number] {
  const [p1, p99, min, max] = getQuantiles(values, [0.01, 0.99, 0, 1]);
  if (!Number.isFinite(p1)) return [0, 1];
  if (p99 > p1) return [p1, p99];
  if (max > min) return [min, max];
  return [min, min + 1];
}

export const MISSING_RGBA: [number, number, number, number] = [128, 128, 128, 170];

/** RGBA bytes per value; values outside [lo, hi] clamp; NaN gets MISSING_RGBA. */
export function getContinuousColours(values: ArrayLike<number>, lo: number, hi: number, id: ContinuousMapId, alpha = 255): Uint8Array {
  const lut = getColourTable(id);
  const out = new Uint8Array(values.length * 4);
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const o = i * 4;
    if (!Number.isFinite(v)) {
      out.set(MISSING_RGBA, o);
      continue;
    }
    let t = span > 0 ? (v - lo) / span : 0.5;
    t = Math.min(1, Math.max(0, t));
    const k = Math.round(t * 255) * 3;
    out[o] = lut[k];
    out[o + 1] = lut[k + 1];
    out[o + 2] = lut[k + 2];
    out[o + 3] = alpha;
  }
  return out;
}

export function getCategoryColour(code: number): [number, number, number] {
  return getRgb(schemeTableau10[code % schemeTableau10.length]);
}

/** RGBA bytes per category code (-1 = missing). */
export function getCategoricalColours(codes: ArrayLike<number>, alpha = 255): Uint8Array {
  const palette = schemeTableau10.map(getRgb);
  const out = new Uint8Array(codes.length * 4);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < 0) out.set(MISSING_RGBA, i * 4);
    else {
      out.set(palette[c % palette.length], i * 4);
      out[i * 4 + 3] = alpha;
    }
  }
  return out;
}

/** The same colour for every spot. */
export function getUniformColours(n: number, rgba: [number, number, number, number]): Uint8Array {
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) out.set(rgba, i * 4);
  return out;
}
