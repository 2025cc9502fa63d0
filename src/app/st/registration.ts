/**
 * Registration of the applied spots onto the slide: typed parameters (scale, rotation, flips,
 * offset about the spots' centre) or a least-squares affine from landmark pairs; persisted per
 * slide + ST files in localStorage, and exported / imported as a small JSON file.
 */
import { type Affine, getAffineFromParams, getSpotsWithAffine } from '../../core/st/registration';
import { getSpotBounds } from '../../core/st/slide-fit';
import type { StDataset } from '../../core/st/types';
import { DEFAULT_REGISTRATION, EMPTY_REGISTRATION, type LandmarkPair, type RegistrationParams, type RegistrationState } from './stStore';

/** The transform from ST positions to slide level-0 pixels. */
export function getRegistrationAffine(ds: Pick<StDataset, 'spots'>, reg: RegistrationState): Affine {
  if (reg.landmarkAffine) return reg.landmarkAffine;
  const b = getSpotBounds(ds);
  const cx = b ? (b.minX + b.maxX) / 2 : 0;
  const cy = b ? (b.minY + b.maxY) / 2 : 0;
  const p = reg.params;
  return getAffineFromParams({ scale: p.scale, rotationDeg: p.rotationDeg, flipX: p.flipX, flipY: p.flipY, offsetX: p.offsetX, offsetY: p.offsetY, centerX: cx, centerY: cy });
}

/** Spot centres after registration as x0, y0, x1, y1, ... (Float32 for deck.gl) and the diameter. */
export function getDisplaySpots(ds: Pick<StDataset, 'spots'>, t: Affine): { positions: Float32Array; x: Float64Array; y: Float64Array; diameterPx: number } {
  const moved = getSpotsWithAffine(ds.spots, t);
  const n = moved.x.length;
  const positions = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = moved.x[i];
    positions[2 * i + 1] = moved.y[i];
  }
  return { positions, x: moved.x, y: moved.y, diameterPx: moved.diameterPx };
}

export function getRegistrationKey(slideName: string, stFileNames: string[]): string {
  const base = (p: string) => p.split('/').pop() ?? p;
  return `fusescope.st-registration:${slideName}|${[...stFileNames].map(base).sort().join(',')}`;
}

export interface RegistrationFile {
  fusescope: 'st-registration';
  version: 1;
  slide: string;
  stFiles: string[];
  params: RegistrationParams;
  landmarks: LandmarkPair[];
  /** the affine in use ([a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f) */
  affine: number[];
  landmarkAffine: number[] | null;
  fit: { residualsPx: number[]; rmsPx: number } | null;
}

export function getRegistrationFile(reg: RegistrationState, affine: Affine, slide: string, stFiles: string[]): RegistrationFile {
  return {
    fusescope: 'st-registration',
    version: 1,
    slide,
    stFiles: stFiles.map((p) => p.split('/').pop() ?? p),
    params: reg.params,
    landmarks: reg.landmarks,
    affine: [...affine],
    landmarkAffine: reg.landmarkAffine ? [...reg.landmarkAffine] : null,
    fit: reg.fit,
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPoint = (v: unknown): v is { x: number; y: number } => typeof v === 'object' && v !== null && isNum((v as { x: unknown }).x) && isNum((v as { y: unknown }).y);

/** Parse a registration JSON (exported file or localStorage); throws Error with what is wrong. */
export function getRegistrationFromJson(json: unknown): RegistrationState {
  if (typeof json !== 'object' || json === null) throw new Error('is not a JSON object.');
  const o = json as Record<string, unknown>;
  if (o.fusescope !== 'st-registration') throw new Error('is not a FuseScope ST registration file (no "fusescope": "st-registration").');
  const p = (o.params ?? {}) as Record<string, unknown>;
  const params: RegistrationParams = {
    scale: isNum(p.scale) && p.scale !== 0 ? p.scale : DEFAULT_REGISTRATION.scale,
    rotationDeg: isNum(p.rotationDeg) ? p.rotationDeg : 0,
    flipX: p.flipX === true,
    flipY: p.flipY === true,
    offsetX: isNum(p.offsetX) ? p.offsetX : 0,
    offsetY: isNum(p.offsetY) ? p.offsetY : 0,
  };
  const landmarks: LandmarkPair[] = Array.isArray(o.landmarks)
    ? o.landmarks.filter((l): l is LandmarkPair => typeof l === 'object' && l !== null && isPoint((l as LandmarkPair).st) && isPoint((l as LandmarkPair).slide))
    : [];
  const la = o.landmarkAffine;
  const landmarkAffine = Array.isArray(la) && la.length === 6 && la.every(isNum) ? (la as unknown as Affine) : null;
  const f = o.fit as { residualsPx?: unknown; rmsPx?: unknown } | null | undefined;
  const fit = f && Array.isArray(f.residualsPx) && f.residualsPx.every(isNum) && isNum(f.rmsPx) ? { residualsPx: f.residualsPx as number[], rmsPx: f.rmsPx } : null;
  return { ...EMPTY_REGISTRATION, params, landmarks, landmarkAffine, fit };
}

/** The saved registration for this slide + ST files, or the identity. */
export function getSavedRegistration(storage: Pick<Storage, 'getItem'> | null, key: string | null): RegistrationState {
  if (!storage || !key) return EMPTY_REGISTRATION;
  try {
    const text = storage.getItem(key);
    return text ? getRegistrationFromJson(JSON.parse(text)) : EMPTY_REGISTRATION;
  } catch {
    return EMPTY_REGISTRATION;
  }
}

export function isIdentityRegistration(reg: RegistrationState): boolean {
  const p = reg.params;
  return !reg.landmarkAffine && reg.landmarks.length === 0 && p.scale === 1 && p.rotationDeg === 0 && !p.flipX && !p.flipY && p.offsetX === 0 && p.offsetY === 0;
}
