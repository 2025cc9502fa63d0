/**
 * `fusescope st <files or folders...>`: read spatial-transcriptomics files with the same core as the
 * browser (src/core/st). `--json` prints the recognised summary; `--gene ERBB2 [--out values.csv]`
 * writes spot_id,x,y,value (raw counts; x, y in slide level-0 pixels of the chosen frame).
 */
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { parsePositive } from '../model-options.ts';
import { writeFile } from 'node:fs/promises';
import { loadNodeStFiles } from '../../core/st/files/node.ts';
import { getGeneIndex, getGeneValues } from '../../core/st/genes.ts';
import { loadStDataset } from '../../core/st/load.ts';
import { getStSummary } from '../../core/st/summary.ts';
import { getCsvField } from '../../core/st/text/delimited.ts';
import type { StDataset, StFrameName } from '../../core/st/types.ts';

export const ST_USAGE =
  'usage: fusescope st <files or folders...> [--json] [--gene SYMBOL[,SYMBOL...] [--out values.csv]] [--frame fullres|hires|lowres] [--mpp UM_PER_PX] [--section NAME] [--hd-bin-um UM] [--all-spots]';

const FRAMES: StFrameName[] = ['fullres', 'hires', 'lowres'];

/** spot_id,x,y,value (one gene) or spot_id,x,y,<gene>... (several). */
export function getGeneCsv(ds: StDataset, genes: string[]): string {
  const index = getGeneIndex(ds);
  const columns = genes.map((g) => {
    const values = getGeneValues(ds, g);
    if (!values) {
      const q = g.toUpperCase();
      const near = index.symbols.filter((s) => s.toUpperCase().startsWith(q.slice(0, Math.max(2, q.length - 1)))).slice(0, 5);
      throw new Error(`gene '${g}' is not among the ${ds.genes.symbols.length} genes of these files${near.length ? ` (similar: ${near.join(', ')})` : ''}`);
    }
    return values;
  });
  const header = genes.length === 1 ? 'spot_id,x,y,value' : `spot_id,x,y,${genes.map(getCsvField).join(',')}`;
  const lines = [header];
  const { ids, x, y } = ds.spots;
  for (let i = 0; i < ids.length; i++) lines.push(`${getCsvField(ids[i])},${x[i]},${y[i]},${columns.map((c) => c[i]).join(',')}`);
  return `${lines.join('\n')}\n`;
}

/** The summary with the six headline keys first. */
export function getStJson(ds: StDataset): Record<string, unknown> {
  const s = getStSummary(ds);
  const { platform, spots, spotsInTissue, genes, frame, spotDiameterPx, ...rest } = s;
  return { platform, spots, spotsInTissue, genes, frame, spotDiameterPx, ...rest };
}

function getText(ds: StDataset): string {
  const s = getStSummary(ds);
  const lines = [
    `platform        ${s.platform} (${s.format})`,
    `spots           ${s.spots} (${s.spotsInTissue} in tissue)`,
    `genes           ${s.genes} (${s.nonZeros} non-zero counts)`,
    `frame           ${s.frame} (x ${s.frameScale} of full resolution)`,
    `spot diameter   ${s.spotDiameterPx === null ? 'unknown' : `${s.spotDiameterPx.toFixed(2)} px`} (${s.diameterSource})`,
    ...s.files.map((f) => `file            ${f.name}: ${f.role}`),
    ...s.annotations.map((a) => `annotation      ${a.name} (${a.kind}${a.counts ? `: ${Object.entries(a.counts).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''})`),
    ...s.images.map((im) => `image           ${im.name} ${im.width} x ${im.height} px, scale ${im.scale} (${im.file || im.embedded})`),
    ...s.warnings.map((w) => `warning         ${w}`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(
    argv,
    {
      json: { type: 'boolean' },
      gene: { type: 'string' },
      out: { type: 'string', short: 'o' },
      frame: { type: 'string' },
      mpp: { type: 'string' },
      section: { type: 'string' },
      'hd-bin-um': { type: 'string' },
      'all-spots': { type: 'boolean' },
    },
    ST_USAGE,
  );
  const v = parsed.values;
  if (isHelpAsked(v, ST_USAGE)) return 0;
  if (parsed.positionals.length === 0) throw new Error(`give the ST files or folder (${ST_USAGE})`);
  const frame = (v.frame ?? 'fullres') as StFrameName;
  if (!FRAMES.includes(frame)) throw new Error(`--frame must be one of ${FRAMES.join(', ')}, got '${v.frame}'`);
  let slideMpp: number | undefined;
  if (v.mpp !== undefined) {
    slideMpp = Number(v.mpp);
    if (!Number.isFinite(slideMpp) || slideMpp <= 0) throw new Error(`--mpp must be a positive number of micrometres per pixel, got '${v.mpp}'`);
  }
  if (v.out && !v.gene) throw new Error('--out needs --gene (which gene to write)');
  const files = await loadNodeStFiles(parsed.positionals);
  const ds = await loadStDataset(files, { targetFrame: frame, slideMpp, section: v.section, hdBinUm: parsePositive('hd-bin-um', v['hd-bin-um']), includeOffTissue: v['all-spots'] === true });
  if (v.gene) {
    const genes = v.gene.split(',').map((g) => g.trim()).filter(Boolean);
    const csv = getGeneCsv(ds, genes);
    if (v.out && v.out !== '-') await writeFile(v.out, csv);
    else process.stdout.write(csv);
    if (v.json) process.stderr.write(`${JSON.stringify(getStJson(ds))}\n`);
    return 0;
  }
  process.stdout.write(v.json ? `${JSON.stringify(getStJson(ds), null, 2)}\n` : getText(ds));
  return 0;
}
