/**
 * OME-TIFF layout: the first image's full-resolution plane is IFD 0; its pyramid is either the
 * SubIFDs of IFD 0 (OME-TIFF 6+) or further IFDs of the main chain with decreasing size (older
 * writers). mpp from the OME-XML PhysicalSizeX with its unit (default um), objective from the
 * Objective's NominalMagnification; TIFF resolution tags as a fallback.
 */
import { mppFromResolution, pyramidOf } from './generic.ts';
import { type IfdInfo, readIfdInfo, type TiffFile } from './tiff-file.ts';
import type { TiffLayout } from './tiff-slide.ts';

export function isOmeDescription(desc: string): boolean {
  return /<OME[\s>]/.test(desc);
}

const UNIT_TO_UM: Record<string, number> = {
  'µm': 1,
  'μm': 1,
  um: 1,
  micron: 1,
  nm: 1e-3,
  'Å': 1e-4,
  pm: 1e-6,
  mm: 1e3,
  cm: 1e4,
  dm: 1e5,
  m: 1e6,
};

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag);
  return m?.[1];
}

/** PhysicalSizeX of the first <Pixels> in um, or null. */
export function omePhysicalSizeX(xml: string): number | null {
  const pixels = /<(?:\w+:)?Pixels\b[^>]*>/.exec(xml)?.[0];
  if (!pixels) return null;
  const v = attr(pixels, 'PhysicalSizeX');
  if (v === undefined) return null;
  const size = Number.parseFloat(v);
  const unit = attr(pixels, 'PhysicalSizeXUnit') ?? 'µm';
  const factor = UNIT_TO_UM[unit];
  if (!Number.isFinite(size) || size <= 0 || factor === undefined) return null;
  return size * factor;
}

export function omeObjective(xml: string): number | null {
  const obj = /<(?:\w+:)?Objective\b[^>]*>/.exec(xml)?.[0];
  const v = obj ? attr(obj, 'NominalMagnification') : undefined;
  const n = v === undefined ? Number.NaN : Number.parseFloat(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

export async function omeLayout(file: TiffFile, infos: IfdInfo[]): Promise<TiffLayout> {
  const xml = infos[0].description;
  const subs = await file.subIfds(infos[0].ifd);
  let levels: IfdInfo[];
  if (subs.length > 0) {
    const subInfos: IfdInfo[] = [];
    for (let i = 0; i < subs.length; i++) subInfos.push(await readIfdInfo(subs[i], infos.length + i));
    levels = [infos[0], ...subInfos];
  } else {
    levels = pyramidOf(infos);
  }
  const mpp = omePhysicalSizeX(xml) ?? (await mppFromResolution(infos[0].ifd));
  const properties: Record<string, string> = { 'openslide.vendor': 'ome-tiff', 'tiff.ImageDescription': xml.slice(0, 4096) };
  return { format: 'ome-tiff', levels, associated: {}, mpp, objective: omeObjective(xml), properties };
}
