/**
 * The Measurements panel: the ruler and area tools, each measurement's length or area, and their
 * export as QuPath annotations.
 */
import { downloadBlob } from '../model/exports';
import { useModelStore } from '../model/modelStore';
import { useSlideStore } from '../stores/slideStore';
import { getAreaCalls } from './areaCalls';
import { getMeasurementLabel, getMeasurementsGeoJson, type MeasureKind, type Point } from './measure';
import { useMeasureStore } from './measureStore';

const TOOL_TEXT: Record<MeasureKind, { label: string; title: string }> = {
  line: { label: 'Ruler', title: 'Ruler (M): click the two ends of a line on the slide; Esc drops the line being drawn' },
  area: { label: 'Area', title: 'Area: click the corners of a region on the slide, then its first corner again (or Enter) to close it; Esc drops it' },
};

export function MeasureToggle({ kind, className, testId }: { kind: MeasureKind; className?: string; testId?: string }) {
  const on = useMeasureStore((s) => s.tool === kind);
  const hasSlide = useSlideStore((s) => s.meta !== null);
  return (
    <button
      type="button"
      className={`measure-toggle${className ? ` ${className}` : ''}`}
      disabled={!hasSlide}
      aria-pressed={on}
      data-testid={testId ?? `measure-${kind}`}
      title={TOOL_TEXT[kind].title}
      onClick={() => useMeasureStore.getState().setTool(on ? null : kind)}
    >
      {TOOL_TEXT[kind].label}
    </button>
  );
}

/** The dense heatmap inside an area: the share of its windows called cancer, and their mean. */
function AreaCallsText({ points }: { points: Point[] }) {
  // recomputed when the map or its threshold change
  useModelStore((s) => s.heatmapVersion);
  useModelStore((s) => s.thresholdOverride);
  const calls = getAreaCalls(useModelStore.getState(), points);
  if (!calls) return null;
  return (
    <span className="muted small-text" data-testid="measure-area-calls" title={`histology heatmap windows inside the region at or above the threshold ${calls.threshold.toFixed(3)}`}>
      {' '}
      · heatmap: {Math.round(calls.cancerFraction * 100)}% of {calls.windows} windows called cancer (mean {calls.meanProbability.toFixed(2)})
    </span>
  );
}

export function MeasurePanel() {
  const items = useMeasureStore((s) => s.items);
  const tool = useMeasureStore((s) => s.tool);
  const drawing = useMeasureStore((s) => s.draft.length);
  const mpp = useSlideStore((s) => s.meta?.mpp ?? null);
  const name = useSlideStore((s) => s.meta?.name ?? 'slide');
  const counts = { line: 0, area: 0 };
  const hint =
    tool === 'line'
      ? drawing
        ? 'Click the other end (Esc drops it).'
        : 'Click one end of the line on the slide; dragging still pans.'
      : tool === 'area'
        ? drawing >= 3
          ? 'Click the next corner, or the first one again (or Enter) to close the region.'
          : 'Click the corners of the region on the slide; dragging still pans.'
        : null;
  return (
    <div className="measure-panel" data-testid="measure-panel">
      <div className="model-row wrap">
        <MeasureToggle kind="line" className="small" testId="measure-line-panel" />
        <MeasureToggle kind="area" className="small" testId="measure-area-panel" />
        {items.length > 0 && (
          <>
            <button type="button" className="small ghost" data-testid="measure-clear" onClick={() => useMeasureStore.getState().clear()}>
              Clear
            </button>
            <button
              type="button"
              className="small ghost"
              data-testid="measure-export"
              title="QuPath: File > Import objects (line and polygon annotations in level-0 pixels, with their length, area and perimeter)"
              onClick={() => downloadBlob(`${name.replace(/\.[^.]+$/, '')}-measurements.geojson`, new Blob([getMeasurementsGeoJson(items, mpp)], { type: 'application/geo+json' }))}
            >
              GeoJSON
            </button>
          </>
        )}
      </div>
      {hint && <p className="muted small-text">{hint}</p>}
      {!mpp && items.length > 0 && <p className="model-warn small-text">The slide's µm/px is unknown: sizes are in pixels until it is set in the Slide panel.</p>}
      {items.length > 0 && (
        <ol className="measure-list">
          {items.map((m) => {
            const label = `${m.kind === 'line' ? 'Ruler' : 'Area'} ${++counts[m.kind]}`;
            return (
              <li key={m.id} data-testid="measure-item">
                <span>
                  {label}: <strong>{getMeasurementLabel(m, mpp)}</strong>
                </span>
                {m.kind === 'area' && <AreaCallsText points={m.points} />}{' '}
                <button type="button" className="small ghost" aria-label={`Remove ${label}`} onClick={() => useMeasureStore.getState().remove(m.id)}>
                  ×
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
