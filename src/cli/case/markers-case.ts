/**
 * Marker genes of a section's cancer calls (or of labelled classes) from predict's scores and the
 * ST files: what `fusescope markers` prints and `fusescope cohort` writes per case.
 */
import { getSpotCsvColumns } from '../../core/score/spot-csv.ts';
import { getPositiveClasses, getSpotLabels } from '../../core/st/labels.ts';
import { type GroupMarkers, getGroupMarkers, type MarkerOptions } from '../../core/st/markers.ts';
import type { StDataset } from '../../core/st/types.ts';
import { getCsvField } from '../../core/st/text/delimited.ts';

export interface MarkersCaseInput {
  scoresCsv: string;
  scoresName: string;
  /** group by these labels (positive classes vs the other labelled spots) instead of the `cancer` calls */
  labels?: { bytes: Uint8Array; name: string; positive?: string[] };
}

export interface MarkersCaseResult extends GroupMarkers {
  /** what the group is, for logs and the CSV's readers */
  groupDetail: string;
}

/** The markers of the calls (or labels) over the scored spots that the dataset has. */
export function getCaseMarkers(ds: StDataset, input: MarkersCaseInput, opts: MarkerOptions = {}): MarkersCaseResult {
  const sc = getSpotCsvColumns(input.scoresCsv, input.scoresName);
  const row = new Map(ds.spots.ids.map((id, i) => [id, i]));
  const spots: number[] = [];
  const group: number[] = [];
  let groupDetail: string;
  if (input.labels) {
    const { labels } = getSpotLabels(input.labels.bytes, input.labels.name);
    const pos = getPositiveClasses(labels.values(), input.labels.positive);
    sc.ids.forEach((id) => {
      const l = labels.get(id);
      const r = row.get(id);
      if (l === undefined || r === undefined) return;
      spots.push(r);
      group.push(pos.has(l) ? 1 : 0);
    });
    groupDetail = `labelled ${[...pos].sort().join(' + ')} (${input.labels.name}) vs the other labelled scored spots`;
  } else {
    sc.ids.forEach((id, k) => {
      const r = row.get(id);
      const c = sc.values.cancer[k];
      if (r === undefined || !Number.isFinite(c)) return;
      spots.push(r);
      group.push(c === 1 ? 1 : 0);
    });
    groupDetail = `spots called cancer (the 'cancer' column of ${input.scoresName}) vs the other scored spots`;
  }
  if (spots.length === 0) {
    throw new Error(`${input.scoresName}: none of its ${sc.ids.length} spot ids is in the ST files (scores ${sc.ids.slice(0, 3).join(', ')}...; ST ${ds.spots.ids.slice(0, 3).join(', ')}...). Check that both are the same section.`);
  }
  return { ...getGroupMarkers(ds, spots, group, opts), groupDetail };
}

const MARKER_COLUMNS = ['direction', 'rank', 'gene', 'auc', 'log2fc', 'mean_in', 'mean_out', 'frac_in', 'frac_out'];

/** direction,rank,gene,auc,log2fc,mean_in,mean_out,frac_in,frac_out (means of log1p CP10k). */
export function getMarkersCsv(m: GroupMarkers): string {
  const f = (v: number) => Number(v.toFixed(6)).toString();
  const lines = [MARKER_COLUMNS.join(',')];
  for (const [direction, list] of [['up', m.up], ['down', m.down]] as const) {
    for (const [i, g] of list.entries()) {
      lines.push([direction, String(i + 1), getCsvField(g.symbol), f(g.auc), f(g.log2fc), f(g.meanIn), f(g.meanOut), f(g.fracIn), f(g.fracOut)].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
