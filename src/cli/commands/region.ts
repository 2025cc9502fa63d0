/**
 * `fusescope region <slide> --level L --x X --y Y --width W --height H --out region.png`
 * writes an RGB PNG of openslide's read_region(level, (x, y), (w, h)): x, y in level-0 pixels,
 * w, h in level pixels. openslide returns RGBA with transparent (0,0,0,0) pixels outside the
 * slide, and openslide-python's `.convert('RGB')` would make them black; FuseScope composites
 * the RGBA region on WHITE instead (slide background), so outside-slide pixels are (255,255,255).
 * `--associated NAME` writes an associated image (label, macro, thumbnail) instead.
 */
import sharp from 'sharp';
import { createNodeCodec } from '../../core/image/node/sharp-codec.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { flattenToRgb } from '../../core/image/rgba.ts';
import { openSlideInputNode } from '../../core/slide/bytes/node-input.ts';
import { loadSlide } from '../../core/slide/load-slide.ts';
import { parseMppOption } from './info.ts';

export const REGION_USAGE =
  'usage: fusescope region <slide file or URL> --level L --x X --y Y --width W --height H --out region.png | --associated NAME --out image.png';

function intOption(name: string, value: string | undefined, min: number): number {
  if (value === undefined) throw new Error(`--${name} is required (${REGION_USAGE})`);
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/** `--x -40` reads as an option to parseArgs: glue negative numbers to --x / --y. */
function glueNegatives(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '--x' || argv[i] === '--y') && /^-\d+$/.test(argv[i + 1] ?? '')) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

export async function run(rawArgv: string[]): Promise<number> {
  const argv = glueNegatives(rawArgv);
  const parsed = getCommandArgs(
    argv,
    {
      level: { type: 'string', default: '0' },
      x: { type: 'string' },
      y: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      out: { type: 'string', short: 'o' },
      associated: { type: 'string' },
      mpp: { type: 'string' },
    },
    REGION_USAGE,
  );
  const v = parsed.values;
  if (isHelpAsked(v, REGION_USAGE)) return 0;
  const [slidePath, ...extra] = parsed.positionals;
  if (!slidePath || extra.length > 0) throw new Error(`give exactly one slide (${REGION_USAGE})`);
  if (!v.out) throw new Error(`--out is required (${REGION_USAGE})`);
  if (!/\.png$/i.test(v.out)) throw new Error(`--out must name a .png file, got '${v.out}'`);
  const region = v.associated
    ? null
    : {
        level: intOption('level', v.level, 0),
        x: intOption('x', v.x, Number.MIN_SAFE_INTEGER),
        y: intOption('y', v.y, Number.MIN_SAFE_INTEGER),
        width: intOption('width', v.width, 1),
        height: intOption('height', v.height, 1),
      };
  const slide = await loadSlide(await openSlideInputNode(slidePath), { codec: createNodeCodec(), mpp: parseMppOption(v.mpp) });
  try {
    const img = region
      ? await slide.readRegion(region.level, region.x, region.y, region.width, region.height)
      : await slide.readAssociated(v.associated as string);
    const rgb = flattenToRgb(img);
    try {
      await sharp(rgb, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(v.out);
    } catch (e) {
      throw new Error(`cannot write ${v.out}: ${e instanceof Error ? e.message : String(e)}`);
    }
  } finally {
    slide.close();
  }
  return 0;
}
