/**
 * `fusescope info <slide> [--mpp M]`: slide metadata as JSON, openslide's numbers:
 * {format, width, height, levels: [{width, height, downsample, synthetic?}], tileWidth, tileHeight, mpp,
 * mppSource, objective, associated}; `synthetic: true` marks levels the file does not have, halved
 * from its smallest level. mpp is null when the file does not say (and --mpp is not given).
 * <slide> is a path or an http(s) URL served with Range support.
 */
import { createNodeCodec } from '../../core/image/node/sharp-codec.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { openSlideInputNode } from '../../core/slide/bytes/node-input.ts';
import { loadSlide } from '../../core/slide/load-slide.ts';
import type { SlideMetadata } from '../../core/slide/types.ts';

export const INFO_USAGE = 'usage: fusescope info <slide file or URL> [--mpp <um per pixel>] [--properties]';

export function parseMppOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mpp = Number(value);
  if (!Number.isFinite(mpp) || mpp <= 0) throw new Error(`--mpp must be a positive number of micrometres per pixel, got '${value}'`);
  return mpp;
}

export function infoJson(meta: SlideMetadata, withProperties = false): Record<string, unknown> {
  // levels the file does not have, halved from its smallest one (core/slide/pyramid/synthetic-levels.ts)
  const firstSynthetic = meta.levels.length - Number(meta.properties['fusescope.synthetic-levels'] ?? 0);
  return {
    format: meta.format,
    name: meta.name,
    width: meta.width,
    height: meta.height,
    levels: meta.levels.map((l, i) => ({ width: l.width, height: l.height, downsample: l.downsample, ...(i >= firstSynthetic ? { synthetic: true } : {}) })),
    tileWidth: meta.tileWidth,
    tileHeight: meta.tileHeight,
    mpp: meta.mpp,
    mppSource: meta.mppSource,
    objective: meta.objective,
    associated: meta.associated,
    compression: meta.compression ?? null,
    ...(withProperties ? { properties: meta.properties } : {}),
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(argv, { mpp: { type: 'string' }, properties: { type: 'boolean' } }, INFO_USAGE);
  if (isHelpAsked(parsed.values, INFO_USAGE)) return 0;
  const [slidePath, ...extra] = parsed.positionals;
  if (!slidePath || extra.length > 0) throw new Error(`give exactly one slide (${INFO_USAGE})`);
  const mpp = parseMppOption(parsed.values.mpp);
  const slide = await loadSlide(await openSlideInputNode(slidePath), { codec: createNodeCodec(), mpp });
  try {
    process.stdout.write(`${JSON.stringify(infoJson(slide.meta, parsed.values.properties === true), null, 2)}\n`);
  } finally {
    slide.close();
  }
  return 0;
}
