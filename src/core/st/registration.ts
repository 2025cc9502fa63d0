/**
 * Registration of spot coordinates to the slide: 2-D affine transforms as
 * [a, b, c, d, e, f] with x' = a x + b y + c, y' = d x + e y + f.
 */
import { StError, type SpotTable } from './types.ts';

export type Affine = readonly [number, number, number, number, number, number];

export const IDENTITY_AFFINE: Affine = [1, 0, 0, 0, 1, 0];

export interface Point {
  x: number;
  y: number;
}

export function applyAffine(t: Affine, x: number, y: number): Point {
  return { x: t[0] * x + t[1] * y + t[2], y: t[3] * x + t[4] * y + t[5] };
}

/** `outer` after `inner`: p -> outer(inner(p)). */
export function getComposedAffine(outer: Affine, inner: Affine): Affine {
  const [a, b, c, d, e, f] = outer;
  const [A, B, C, D, E, F] = inner;
  return [a * A + b * D, a * B + b * E, a * C + b * F + c, d * A + e * D, d * B + e * E, d * C + e * F + f];
}

export function getInverseAffine(t: Affine): Affine {
  const [a, b, c, d, e, f] = t;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new StError('registration', 'the transform is singular and cannot be inverted.', 'Use a non-zero scale.');
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

export interface AffineParams {
  /** uniform scale (or x scale when scaleY is given); default 1 */
  scale?: number;
  scaleY?: number;
  /** counter-clockwise on screen (image y down: clockwise in maths terms); degrees; default 0 */
  rotationDeg?: number;
  flipX?: boolean;
  flipY?: boolean;
  offsetX?: number;
  offsetY?: number;
  /** centre of flip and rotation (default 0,0) */
  centerX?: number;
  centerY?: number;
}

/**
 * Compose scale, flips and rotation about (centerX, centerY), then the offset:
 * p' = R * F * S * (p - c) + c + offset.
 */
export function getAffineFromParams(p: AffineParams): Affine {
  const sx = (p.scale ?? 1) * (p.flipX ? -1 : 1);
  const sy = (p.scaleY ?? p.scale ?? 1) * (p.flipY ? -1 : 1);
  const th = ((p.rotationDeg ?? 0) * Math.PI) / 180;
  const cos = Math.cos(th);
  const sin = Math.sin(th);
  const cx = p.centerX ?? 0;
  const cy = p.centerY ?? 0;
  const a = cos * sx;
  const b = -sin * sy;
  const d = sin * sx;
  const e = cos * sy;
  const c = cx - (a * cx + b * cy) + (p.offsetX ?? 0);
  const f = cy - (d * cx + e * cy) + (p.offsetY ?? 0);
  return [a, b, c, d, e, f];
}

export interface AffineFit {
  affine: Affine;
  /** distance between the mapped source point and its target, per pair (px) */
  residuals: Float64Array;
  rms: number;
}

function solve3(m: number[][], v: number[]): number[] | null {
  const a = m.map((row, i) => [...row, v[i]]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (Math.abs(a[piv][col]) < 1e-9) return null;
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const k = a[r][col] / a[col][col];
      for (let j = col; j < 4; j++) a[r][j] -= k * a[col][j];
    }
  }
  return [a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]];
}

/**
 * Least-squares affine that maps `from` landmarks onto `to` landmarks (>= 3 pairs, not all on one
 * line), with per-pair residuals and their RMS.
 */
export function getAffineFromLandmarks(from: Point[], to: Point[]): AffineFit {
  if (from.length !== to.length) throw new StError('registration', `has ${from.length} source and ${to.length} target landmarks.`, 'Give each landmark on the spots a matching landmark on the slide.');
  if (from.length < 3) throw new StError('registration', `needs at least 3 landmark pairs (got ${from.length}).`, 'Add landmarks spread over the tissue.');
  // centre for conditioning
  const n = from.length;
  const mx = from.reduce((s, p) => s + p.x, 0) / n;
  const my = from.reduce((s, p) => s + p.y, 0) / n;
  const m = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const vx = [0, 0, 0];
  const vy = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const r = [from[i].x - mx, from[i].y - my, 1];
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < 3; k++) m[j][k] += r[j] * r[k];
      vx[j] += r[j] * to[i].x;
      vy[j] += r[j] * to[i].y;
    }
  }
  const px = solve3(m, vx);
  const py = solve3(m, vy);
  if (!px || !py) throw new StError('registration', 'the landmarks lie on one line, so no affine transform is defined.', 'Add a landmark away from the line through the others.');
  const affine: Affine = [px[0], px[1], px[2] - px[0] * mx - px[1] * my, py[0], py[1], py[2] - py[0] * mx - py[1] * my];
  const residuals = new Float64Array(n);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const q = applyAffine(affine, from[i].x, from[i].y);
    residuals[i] = Math.hypot(q.x - to[i].x, q.y - to[i].y);
    ss += residuals[i] ** 2;
  }
  return { affine, residuals, rms: Math.sqrt(ss / n) };
}

/** A new SpotTable with centres mapped by `t` and the diameter scaled by sqrt(|det|). */
export function getSpotsWithAffine(spots: SpotTable, t: Affine): SpotTable {
  const n = spots.x.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = t[0] * spots.x[i] + t[1] * spots.y[i] + t[2];
    y[i] = t[3] * spots.x[i] + t[4] * spots.y[i] + t[5];
  }
  const scale = Math.sqrt(Math.abs(t[0] * t[4] - t[1] * t[3]));
  return { ...spots, x, y, diameterPx: spots.diameterPx * scale };
}
