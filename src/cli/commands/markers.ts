/**
 * `fusescope markers --scores predict.csv --st <ST files...> [--labels L [--positive "a,b"]] [--top N] [--min-fraction F] [--out markers.csv] [--json]`:
 * the genes that mark the spots called cancer (predict's `cancer` column), or a labelled class,
 * against the other scored spots: Mann-Whitney AUC and log2 fold change on log1p CP10k
 * (core/st/markers.ts; the app's "Marker genes of the cancer calls" list).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadNodeStFiles } from '../../core/st/files/node.ts';
import { loadStDataset } from '../../core/st/load.ts';
import { getCommandArgs, isHelpAsked } from '../args.ts';
import { getMarkersCsv } from '../../core/st/markers.ts';
import { getCaseMarkers } from '../case/markers-case.ts';
import { parsePositive } from '../model-options.ts';
import { expandListOption } from './predict.ts';

export const MARKERS_USAGE =
  'usage: fusescope markers --scores <predict output .csv> --st <ST files or folder...> [--section <name>] [--hd-bin-um <um>] [--labels <labels .tsv> [--positive "a,b"]] [--top <n>] [--min-fraction <0-1>] [--out markers.csv] [--json]';

export async function run(argv: string[]): Promise<number> {
  const parsed = getCommandArgs(
    expandListOption(argv, 'st'),
    {
      scores: { type: 'string' },
      st: { type: 'string', multiple: true },
      section: { type: 'string' },
      'hd-bin-um': { type: 'string' },
      labels: { type: 'string' },
      positive: { type: 'string' },
      top: { type: 'string' },
      'min-fraction': { type: 'string' },
      out: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
    },
    MARKERS_USAGE,
    false,
  );
  const v = parsed.values;
  if (isHelpAsked(v, MARKERS_USAGE)) return 0;
  if (!v.scores || !v.st?.length) throw new Error(`--scores and --st are required (${MARKERS_USAGE})`);
  const top = parsePositive('top', v.top);
  let minFraction: number | undefined;
  if (v['min-fraction'] !== undefined) {
    minFraction = Number(v['min-fraction']);
    if (!(minFraction >= 0 && minFraction <= 1)) throw new Error(`--min-fraction must be a number in [0, 1], got '${v['min-fraction']}'`);
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const ds = await loadStDataset(await loadNodeStFiles(v.st), { section: v.section, hdBinUm: parsePositive('hd-bin-um', v['hd-bin-um']), allowArrayPositions: true });
  const labels = v.labels ? { bytes: new Uint8Array(await readFile(v.labels)), name: basename(v.labels), positive: v.positive?.split(',').filter((p) => p.trim() !== '') } : undefined;
  const m = getCaseMarkers(ds, { scoresCsv: await readFile(v.scores, 'utf8'), scoresName: basename(v.scores), labels }, { top: top === undefined ? 20 : Math.round(top), minFraction });
  log(`markers: ${m.nIn} ${m.groupDetail} (${m.nOut}); ${m.tested} genes detected in >= ${((minFraction ?? 0.1) * 100).toFixed(0)}% of either group, ranked by Mann-Whitney AUC on log1p CP10k`);
  if (v.out) {
    await writeFile(v.out, getMarkersCsv(m));
    log(`wrote ${m.up.length} up and ${m.down.length} down markers to ${v.out}`);
  }
  if (v.json) {
    process.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
    return 0;
  }
  if (!v.out) {
    const lines = ['direction rank gene              AUC    log2FC  detected (in / out)'];
    for (const [dir, list] of [['up', m.up], ['down', m.down]] as const) {
      for (const [i, g] of list.entries()) {
        lines.push(`${dir.padEnd(9)} ${String(i + 1).padStart(4)} ${g.symbol.padEnd(16)} ${g.auc.toFixed(3)}  ${g.log2fc.toFixed(2).padStart(6)}  ${(g.fracIn * 100).toFixed(0)}% / ${(g.fracOut * 100).toFixed(0)}%`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
