/**
 * The cancer regions, largest first, with their area and greatest dimension; a click zooms the
 * viewer to the region (its bounding box with a margin), as a pathologist goes to the largest focus.
 */
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { fitImageRect } from '../viewer/viewerZoom';
import { getCurrentRegions } from './modelOverlay';
import { useModelStore } from './modelStore';
import { getRegionRows, type RegionRow } from './scoreField';

const LIMIT = 8;

function zoomTo(row: RegionRow): void {
  const meta = useSlideStore.getState().meta;
  if (!meta) return;
  const b = row.bounds;
  // a margin of a third of the region, and at least 200 level-0 px, so its surroundings show
  const m = Math.max(200, Math.max(b.width, b.height) / 3);
  void fitImageRect(() => useViewerStore.getState().viewer, meta.width, { x: b.x - m, y: b.y - m, width: b.width + 2 * m, height: b.height + 2 * m });
}

export function RegionList() {
  // re-render when the regions can change (getCurrentRegions caches on these)
  useModelStore((s) => s.version);
  useModelStore((s) => s.heatmapVersion);
  useModelStore((s) => s.mode);
  useModelStore((s) => s.thresholdOverride);
  const meta = useSlideStore((s) => s.meta);
  const s = useModelStore.getState();
  const summary = getCurrentRegions(s);
  const n = summary?.regions.polygons.length ?? 0;
  if (!summary || n === 0 || !meta) return null;
  const rows = getRegionRows(summary.regions, meta.mpp ?? s.mpp, LIMIT);
  return (
    <details className="model-regions" data-testid="model-region-list" open={n <= 3}>
      <summary>
        Regions{n > LIMIT ? ` (largest ${LIMIT} of ${n})` : ` (${n})`}
      </summary>
      <ol>
        {rows.map((r, k) => (
          <li key={r.index}>
            <button type="button" className="small" data-testid="model-region-zoom" title="Zoom to this region" onClick={() => zoomTo(r)}>
              {k + 1}
            </button>{' '}
            <span data-testid="model-region-text">
              {r.areaMm2 != null ? `${r.areaMm2.toFixed(3)} mm²` : `${Math.round(r.areaPx2).toLocaleString('en-US')} px²`}
              {r.maxDiameterMm != null ? ` · ${r.maxDiameterMm.toFixed(2)} mm across` : ''}
              {Number.isFinite(r.meanValue) ? ` · mean ${r.meanValue.toFixed(2)}` : ''}
            </span>
          </li>
        ))}
      </ol>
    </details>
  );
}
