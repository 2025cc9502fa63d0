/**
 * Generic pyramidal TIFF / BigTIFF layout (openslide's generic-tiff rules, widened): the levels
 * are the tiled IFDs of the main chain, largest first, with strictly decreasing width and the
 * same samples per pixel as level 0 (a multi-page TIFF's repeated full-size pages are not
 * levels). A single stripped image is served as a one-level slide. mpp from XResolution +
 * ResolutionUnit when it is plausible for microscopy (0.01-100 um/px): the common "72 dpi"
 * writer default (353 um/px) is not a pixel size.
 */
import { type Ifd, type IfdInfo, tagNumber } from './tiff-file.ts';
import type { TiffLayout } from './tiff-slide.ts';

export function pyramidOf(infos: IfdInfo[]): IfdInfo[] {
  const tiled = infos.filter((i) => i.tiled && i.width > 0 && i.height > 0);
  const candidates = tiled.length > 0 ? tiled : infos.slice(0, 1);
  const sorted = [...candidates].sort((a, b) => b.width * b.height - a.width * a.height);
  const out: IfdInfo[] = [];
  for (const info of sorted) {
    const prev = out[out.length - 1];
    if (!prev) out.push(info);
    else if (info.width < prev.width && info.height <= prev.height && info.samplesPerPixel === out[0].samplesPerPixel) out.push(info);
  }
  return out;
}

/** um per pixel from TIFF resolution tags, or null when absent or implausible. */
export async function mppFromResolution(ifd: Ifd): Promise<number | null> {
  const xres = await tagNumber(ifd, 'XResolution');
  const unit = (await tagNumber(ifd, 'ResolutionUnit')) ?? 2;
  if (!xres || !Number.isFinite(xres) || xres <= 0) return null;
  let mpp: number;
  if (unit === 2) mpp = 25400 / xres;
  else if (unit === 3) mpp = 10000 / xres;
  else return null;
  return mpp >= 0.01 && mpp <= 100 ? mpp : null;
}

export async function genericLayout(infos: IfdInfo[]): Promise<TiffLayout> {
  const levels = pyramidOf(infos);
  const mpp = levels[0] ? await mppFromResolution(levels[0].ifd) : null;
  const properties: Record<string, string> = { 'openslide.vendor': 'generic-tiff' };
  if (levels[0]?.description) properties['tiff.ImageDescription'] = levels[0].description;
  return { format: 'generic-tiff', levels, associated: {}, mpp, objective: null, properties };
}
