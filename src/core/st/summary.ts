/** The "recognised" summary of a loaded dataset: what the CLI prints with --json and the UI shows before applying. */
import { getCategoryCounts } from './annotations.ts';
import { getSpotBounds } from './slide-fit.ts';
import type { StDataset, StDiameterSource, StFormatId, StImageRef, StPlatform } from './types.ts';

export interface StSummary {
  platform: StPlatform;
  spots: number;
  spotsInTissue: number;
  genes: number;
  /** the frame the positions are in ('fullres' | 'hires' | 'lowres') */
  frame: string;
  /** null when unknown */
  spotDiameterPx: number | null;
  format: StFormatId | null;
  frameScale: number;
  diameterSource: StDiameterSource;
  nonZeros: number;
  /** centre-to-centre pitch of the platform, um (null when not an array platform) */
  pitchUm: number | null;
  /** bounding box of the spot centres in the frame's pixels */
  bounds: { minX: number; minY: number; maxX: number; maxY: number } | null;
  annotations: { name: string; kind: 'categorical' | 'numeric'; counts?: Record<string, number> }[];
  images: StImageRef[];
  frameScales: Record<string, number>;
  duplicateGenes: string[];
  files: { name: string; role: string }[];
  warnings: string[];
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function getStSummary(ds: StDataset): StSummary {
  const { inTissue } = ds.spots;
  let spotsInTissue = 0;
  for (const t of inTissue) spotsInTissue += t ? 1 : 0;
  return {
    platform: ds.platform,
    spots: ds.spots.ids.length,
    spotsInTissue,
    genes: ds.genes.symbols.length,
    frame: ds.frame.name,
    spotDiameterPx: finite(ds.spots.diameterPx),
    format: ds.format ?? null,
    frameScale: ds.frame.scale,
    diameterSource: ds.diameterSource ?? (Number.isFinite(ds.spots.diameterPx) ? 'file' : 'unknown'),
    nonZeros: ds.matrix.indices.length,
    pitchUm: finite(ds.pitchUm),
    bounds: getSpotBounds(ds),
    annotations: Object.entries(ds.spots.annotations).map(([name, col]) =>
      col.kind === 'categorical' ? { name, kind: col.kind, counts: getCategoryCounts(col) } : { name, kind: col.kind },
    ),
    images: ds.images ?? [],
    frameScales: { ...(ds.frameScales ?? { fullres: 1 }) } as Record<string, number>,
    duplicateGenes: ds.genes.duplicates,
    files: ds.files,
    warnings: ds.warnings,
  };
}
