import OpenSeadragon from 'openseadragon';
import { useEffect, useRef } from 'react';
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { ScaleBarView } from './ScaleBarView';
import { getImageZoom } from './viewerZoom';
import { createSlideTileSource } from './slideTileSource';
import { getViewerDrawer } from './viewerDrawer';

const TILE_TIMEOUT_MS = 120_000;

/**
 * The OpenSeadragon viewer. No navigation-control images (they would be fetched from a CDN or
 * a prefixUrl): the toolbar's React buttons drive zoom and home. The drawer is WebGL on a GPU and
 * the 2D canvas where WebGL is a software renderer (getViewerDrawer; `?drawer=` overrides). The viewer instance is published
 * in useViewerStore for the overlay and the toolbar.
 */
export function SlideViewer() {
  const hostRef = useRef<HTMLDivElement>(null);
  const handle = useSlideStore((s) => s.handle);
  const viewer = useViewerStore((s) => s.viewer);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const { drawer } = getViewerDrawer();
    const v = OpenSeadragon({
      element: host,
      // WebGL on a GPU (falling back to canvas); the 2D canvas where WebGL is software (viewerDrawer.ts)
      drawer: drawer === 'webgl' ? ['webgl', 'canvas'] : 'canvas',
      prefixUrl: '',
      showNavigationControl: false,
      showNavigator: true,
      navigatorPosition: 'BOTTOM_RIGHT',
      navigatorSizeRatio: 0.18,
      navigatorAutoFade: false,
      navigatorBackground: '#111318',
      navigatorBorderColor: '#3b4252',
      navigatorDisplayRegionColor: '#5fb3f5',
      animationTime: 0.6,
      springStiffness: 8,
      visibilityRatio: 0.3,
      minZoomImageRatio: 0.6,
      maxZoomPixelRatio: 4,
      immediateRender: false,
      imageLoaderLimit: 8,
      // tiles are decoded in workers; on a busy machine a coarse synthetic tile (which needs a
      // whole region of the slide decoded) can take longer than OSD's default 30 s
      timeout: TILE_TIMEOUT_MS,
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true, scrollToZoom: true },
      keyboardNavEnabled: true,
      preserveViewport: false,
      crossOriginPolicy: false,
    } as OpenSeadragon.Options);
    // the navigator is a second viewer that does not take the timeout option
    const nav = (v as unknown as { navigator?: { imageLoader?: { timeout: number } } }).navigator;
    if (nav?.imageLoader) nav.imageLoader.timeout = TILE_TIMEOUT_MS;
    const store = useViewerStore.getState();
    const updateZoom = () => useViewerStore.getState().setImageZoom(getImageZoom(v));
    v.addHandler('open', () => {
      updateZoom();
      // keyboard pan/zoom works once the viewer's canvas has focus
      (v.canvas as HTMLElement).focus({ preventScroll: true });
    });
    v.addHandler('animation', updateZoom);
    v.addHandler('update-viewport', updateZoom);
    v.addHandler('resize', updateZoom);
    v.addHandler('tile-loaded', () => useViewerStore.getState().countTile(true));
    v.addHandler('tile-load-failed', () => useViewerStore.getState().countTile(false));
    store.setViewer(v);
    return () => {
      useViewerStore.getState().setViewer(null);
      v.destroy();
    };
  }, []);

  useEffect(() => {
    if (!viewer) return;
    if (!handle) {
      viewer.close();
      return;
    }
    useViewerStore.getState().resetTileCounts();
    viewer.open(createSlideTileSource(handle) as unknown as OpenSeadragon.TileSourceSpecifier);
  }, [viewer, handle]);

  return (
    <div className={handle ? 'viewer' : 'viewer viewer-empty'} data-testid="viewer">
      <div ref={hostRef} className="viewer-osd" />
      <ScaleBarView />
    </div>
  );
}
