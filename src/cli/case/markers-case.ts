/**
 * Marker genes of a section's cancer calls (or of labelled classes) from predict's scores and the
 * ST files: what `fusescope markers` prints and `fusescope cohort` writes per case.
 */
import { getSpotCsvColumns } from '../../core/score/spot-csv.ts';
import { getPositiveClasses, getSpotLabels } from '../../core/st/labels.ts';
import { type GroupMarkers, getGroupMarkers, type MarkerOptions } from '../../core/st/markers.ts';

import type { StDataset } from '../../core/st/types.ts';

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
