/**
 * Marker genes of the current cancer calls against the other scored spots (core/st/markers.ts,
 * computed in the inference worker while the list is open; modelOverlay.ts asks again when the
 * calls change):
 * AUC (the chance that a called spot expresses the gene more than another spot) and log2 fold
 * change. A gene's button colours the spots by it; "scores" brings the model colours back.
 */
import { type GeneMarker, getMarkersCsv } from '../../core/st/markers';
import { useStStore } from '../st/stStore';
import { downloadText, getExportBaseName } from './exports';
import { showScoresOnSpots } from './modelOverlay';
import { useModelStore } from './modelStore';

/** rows shown per direction (engine.requestMarkers ranks 10) */
const UP = 10;
const DOWN = 6;

function MarkerRows({ rows, testId }: { rows: GeneMarker[]; testId: string }) {
  const colourBy = (gene: string) => useStStore.getState().setColourSource({ kind: 'gene', gene });
  return (
    <table className="model-markers-table" data-testid={testId}>
      <thead>
        <tr>
          <th>gene</th>
          <th title="probability that a called spot expresses the gene more than another scored spot">AUC</th>
          <th title="log2 fold change of the mean CP10k">log2FC</th>
          <th title="detected in the called / other spots">detected</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((g) => (
          <tr key={g.gene}>
            <td>
              <button type="button" className="link" title={`colour the spots by ${g.symbol}`} onClick={() => colourBy(g.symbol)}>
                {g.symbol}
              </button>
            </td>
            <td>{g.auc.toFixed(2)}</td>
            <td>{g.log2fc.toFixed(2)}</td>
            <td>
              {Math.round(g.fracIn * 100)}% / {Math.round(g.fracOut * 100)}%
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MarkerList() {
  const open = useModelStore((s) => s.showMarkers);
  const markers = useModelStore((s) => s.markers);
  const done = useModelStore((s) => s.spotsMs !== null && s.scores !== null && s.st !== null);
  const geneShown = useStStore((s) => (s.colour.source.kind === 'gene' ? s.colour.source.gene : null));
  if (!done) return null;
  const r = markers?.result;
  return (
    <details className="model-markers" data-testid="model-markers" open={open} onToggle={(e) => useModelStore.getState().set({ showMarkers: (e.target as HTMLDetailsElement).open })}>
      <summary>Marker genes of the cancer calls</summary>
      {markers?.status === 'running' && <p className="muted small-text">computing...</p>}
      {markers?.status === 'error' && <p className="model-warn small-text">{markers.error}</p>}
      {r && markers && (
        <>
          <p className="muted small-text" data-testid="model-markers-groups">
            {r.nIn} spots called cancer ({markers.column} &gt;= {markers.threshold.toFixed(3)}) vs {r.nOut} other scored spots; {r.tested.toLocaleString('en-US')} genes detected in &gt;= 10% of
            either group, ranked by AUC on log1p CP10k.
          </p>
          <p className="small-text">Up in the calls</p>
          <MarkerRows rows={r.up.slice(0, UP)} testId="model-markers-up" />
          <p className="small-text">Down in the calls</p>
          <MarkerRows rows={r.down.slice(0, DOWN)} testId="model-markers-down" />
          <button
            type="button"
            className="small"
            data-testid="model-markers-csv"
            onClick={() => downloadText(`${getExportBaseName()}-markers.csv`, getMarkersCsv(r), 'text/csv')}
          >
            Markers CSV
          </button>
          {geneShown && (
            <p className="small-text">
              Spots coloured by {geneShown}.{' '}
              <button type="button" className="link" data-testid="model-markers-scores" onClick={showScoresOnSpots}>
                show scores
              </button>
            </p>
          )}
        </>
      )}
    </details>
  );
}
