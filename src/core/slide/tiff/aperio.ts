/**
 * Aperio SVS layout, following openslide's aperio vendor rules: tiled IFDs are the levels;
 * the second IFD (stripped) is the thumbnail; other stripped IFDs are named by the first word
 * of the ImageDescription's second line ('label', 'macro'). Properties come from the
 * '|'-separated 'key = value' pairs of the first ImageDescription; MPP and AppMag give
 * mpp and objective power.
 */
import type { IfdInfo } from './tiff-file.ts';
import type { TiffLayout } from './tiff-slide.ts';

export function isAperioDescription(desc: string): boolean {
  return desc.startsWith('Aperio');
}

export function parseAperioDescription(desc: string): Record<string, string> {
  const props: Record<string, string> = {};
  const parts = desc.split('|');
  for (const part of parts.slice(1)) {
    const eq = part.indexOf(' = ');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 3).trim();
    // openslide keeps the first occurrence of a key
    if (!(`aperio.${key}` in props)) props[`aperio.${key}`] = value;
  }
  return props;
}

function positive(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

export function aperioLayout(infos: IfdInfo[]): TiffLayout {
  const levels = infos.filter((i) => i.tiled);
  const associated: Record<string, IfdInfo> = {};
  infos.forEach((info, dir) => {
    if (info.tiled) return;
    let name: string | null = dir === 1 ? 'thumbnail' : null;
    if (!name) {
      const lines = info.description.split(/\r?\n/);
      const word = (lines[1] ?? '').trim().split(/\s+/)[0];
      name = word || null;
    }
    if (name && !(name in associated)) associated[name] = info;
  });
  const properties: Record<string, string> = {
    'openslide.vendor': 'aperio',
    'openslide.comment': levels[0]?.description ?? '',
    ...parseAperioDescription(levels[0]?.description ?? ''),
  };
  const mpp = positive(properties['aperio.MPP']);
  const objective = positive(properties['aperio.AppMag']);
  return { format: 'aperio-svs', levels, associated, mpp, objective, properties };
}
