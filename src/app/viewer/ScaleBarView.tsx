import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { getScaleBar } from './scaleBar';

export function ScaleBarView() {
  const mpp = useSlideStore((s) => s.meta?.mpp ?? null);
  const hasSlide = useSlideStore((s) => s.meta !== null);
  const imageZoom = useViewerStore((s) => s.imageZoom);
  const bar = hasSlide ? getScaleBar(mpp, imageZoom) : null;
  if (!bar) return null;
  return (
    <div className="scalebar" data-testid="scalebar" title={mpp ? `${mpp.toFixed(4)} µm/px` : 'µm/px unknown: set it in the Slide panel'}>
      <div className="scalebar-bar" style={{ width: `${bar.px.toFixed(1)}px` }} />
      <span className="scalebar-label">{bar.label}</span>
    </div>
  );
}
