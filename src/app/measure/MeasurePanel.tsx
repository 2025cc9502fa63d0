/**
 * The Measurements panel: the ruler's on/off switch, each line's length, and their export as
 * QuPath line annotations.
 */
import { downloadBlob } from '../model/exports';
import { useSlideStore } from '../stores/slideStore';
import { getLengthLabel, getLengthPx, getMeasurementsGeoJson } from './measure';
import { useMeasureStore } from './measureStore';

export function MeasureToggle({ className, testId = 'measure-toggle' }: { className?: string; testId?: string }) {
  const active = useMeasureStore((s) => s.active);
  const hasSlide = useSlideStore((s) => s.meta !== null);
  return (
    <button
      type="button"
      className={`measure-toggle${className ? ` ${className}` : ''}`}
      disabled={!hasSlide}
      aria-pressed={active}
      data-testid={testId}
      title="Ruler (M): click the two ends of a line on the slide; Esc drops the line being drawn"
      onClick={() => useMeasureStore.getState().setActive(!active)}
    >
      {active ? 'Ruler on' : 'Ruler'}
    </button>
  );
}

export function MeasurePanel() {
  const lines = useMeasureStore((s) => s.lines);
  const active = useMeasureStore((s) => s.active);
  const drawing = useMeasureStore((s) => s.start !== null);
  const mpp = useSlideStore((s) => s.meta?.mpp ?? null);
  const name = useSlideStore((s) => s.meta?.name ?? 'slide');
  return (
    <div className="measure-panel" data-testid="measure-panel">
      <div className="model-row wrap">
        <MeasureToggle className="small" testId="measure-toggle-panel" />
        {lines.length > 0 && (
          <>
            <button type="button" className="small ghost" data-testid="measure-clear" onClick={() => useMeasureStore.getState().clear()}>
              Clear
            </button>
            <button
              type="button"
              className="small ghost"
              data-testid="measure-export"
              title="QuPath: File > Import objects (line annotations in level-0 pixels, with their length)"
              onClick={() => downloadBlob(`${name.replace(/\.[^.]+$/, '')}-measurements.geojson`, new Blob([getMeasurementsGeoJson(lines, mpp)], { type: 'application/geo+json' }))}
            >
              GeoJSON
            </button>
          </>
        )}
      </div>
      {active && <p className="muted small-text">{drawing ? 'Click the other end (Esc drops it).' : 'Click one end of the line on the slide; dragging still pans.'}</p>}
      {!mpp && lines.length > 0 && <p className="model-warn small-text">The slide's µm/px is unknown: lengths are in pixels until it is set in the Slide panel.</p>}
      {lines.length > 0 && (
        <ol className="measure-list">
          {lines.map((m, i) => (
            <li key={m.id} data-testid="measure-item">
              <span>
                Ruler {i + 1}: <strong>{getLengthLabel(getLengthPx(m), mpp)}</strong>
              </span>{' '}
              <button type="button" className="small ghost" aria-label={`Remove ruler ${i + 1}`} onClick={() => useMeasureStore.getState().remove(m.id)}>
                ×
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
