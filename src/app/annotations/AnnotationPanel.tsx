/**
 * The Annotations panel: a pathologist's QuPath GeoJSON (dropped on the page or picked here),
 * drawn as green outlines, and how the model's maps agree with it: the dense heatmap window by
 * window (AUC, and Dice / sensitivity / precision at the threshold) and the spot scores (AUC, AP).
 */
import { useModelStore } from '../model/modelStore';
import { useSlideStore } from '../stores/slideStore';
import { getAnnotationPositives, getDenseAgreement, getSpotAgreement } from './agreement';
import { useAnnotationStore } from './annotationStore';
import { loadAnnotationFiles } from './loadAnnotations';

const f3 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

function Agreement() {
  const annotations = useAnnotationStore((s) => s.annotations);
  const picked = useAnnotationStore((s) => s.positive);
  // recomputed when the maps, the mode or the threshold change
  useModelStore((s) => s.version);
  useModelStore((s) => s.heatmapVersion);
  useModelStore((s) => s.mode);
  useModelStore((s) => s.thresholdOverride);
  const meta = useSlideStore((s) => s.meta);
  if (!annotations) return null;
  const positive = getAnnotationPositives(annotations, picked);
  const classPicker = (
    <label className="small-text">
      class{' '}
      <select
        aria-label="Cancer class of the annotations"
        data-testid="annotation-positive"
        value={picked?.[0] ?? ''}
        onChange={(e) => useAnnotationStore.getState().set({ positive: e.target.value ? [e.target.value] : null })}
      >
        <option value="">by name</option>
        {annotations.classes.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
  if (positive instanceof Error) {
    return (
      <div>
        <p className="model-warn small-text">{positive.message.replace(/ with --positive "a,b"/, ' below')}</p>
        {classPicker}
      </div>
    );
  }
  const s = useModelStore.getState();
  const dense = getDenseAgreement(s, annotations, positive, meta?.mpp ?? s.mpp);
  const spots = getSpotAgreement(s, annotations, positive);
  return (
    <div>
      <p className="small-text">
        cancer = {[...positive].join(' + ')} {classPicker}
      </p>
      {dense && (
        <p data-testid="annotation-dense" title="over the tissue windows of the dense histology heatmap, as fusescope heatmap --annotations">
          Heatmap: window AUC <strong>{f3(dense.auc)}</strong>; at the threshold Dice {f3(dense.dice)}, sensitivity {f3(dense.sensitivity)}, precision {f3(dense.precision)}{' '}
          <span className="muted small-text">
            ({dense.windowsInside} of {dense.windows} tissue windows annotated)
          </span>
        </p>
      )}
      {dense && dense.windowsInside === 0 && <p className="model-warn small-text">No tissue window lies in a cancer annotation.</p>}
      {spots && (
        <p data-testid="annotation-spots" title="each spot labelled by the annotation it lies in, as fusescope evaluate --labels annotations.geojson">
          Spots ({spots.mode}): AUC <strong>{spots.auc.toFixed(3)}</strong>, AP {spots.ap.toFixed(3)}{' '}
          <span className="muted small-text">
            ({spots.positives} of {spots.n} spots in a cancer annotation)
          </span>
        </p>
      )}
      {!dense && !spots && <p className="muted small-text">The agreement shows once the heatmap or the spot scores are complete.</p>}
    </div>
  );
}

export function AnnotationPanel() {
  const file = useAnnotationStore((s) => s.file);
  const annotations = useAnnotationStore((s) => s.annotations);
  const error = useAnnotationStore((s) => s.error);
  const visible = useAnnotationStore((s) => s.visible);
  return (
    <div className="annotation-panel" data-testid="annotation-panel">
      {error && (
        <p className="model-warn small-text" data-testid="annotation-error">
          {error.message}
        </p>
      )}
      {annotations && file ? (
        <>
          <div className="model-row wrap">
            <span data-testid="annotation-summary">
              {file}: {annotations.shapes.length} polygon{annotations.shapes.length === 1 ? '' : 's'} ({annotations.classes.join(', ')})
            </span>
            <label>
              <input type="checkbox" checked={visible} onChange={(e) => useAnnotationStore.getState().set({ visible: e.target.checked })} /> outlines
            </label>
          </div>
          <Agreement />
        </>
      ) : (
        <p className="muted small-text">Drop a pathologist's annotations exported from QuPath (File &gt; Export objects as GeoJSON) to see how the maps agree with them.</p>
      )}
      <label className="small">
        <input
          type="file"
          accept=".geojson,.json,application/geo+json,application/json"
          data-testid="annotation-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            if (files.length) void loadAnnotationFiles(files);
          }}
        />
      </label>
    </div>
  );
}
