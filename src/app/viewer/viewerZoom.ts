import type OpenSeadragon from 'openseadragon';

/** Screen (CSS) pixels per level-0 image pixel; 0 when nothing is open. */
export function getImageZoom(viewer: OpenSeadragon.Viewer): number {
  const item = viewer.world.getItemAt(0);
  if (!item) return 0;
  return item.viewportToImageZoom(viewer.viewport.getZoom(true));
}

/** Zoom so that 1 screen (CSS) pixel shows 1 level-0 pixel, keeping the centre. */
export function zoomToNative(viewer: OpenSeadragon.Viewer): void {
  const item = viewer.world.getItemAt(0);
  if (!item) return;
  viewer.viewport.zoomTo(item.imageToViewportZoom(1), undefined, false);
}

export function zoomBy(viewer: OpenSeadragon.Viewer, factor: number): void {
  viewer.viewport.zoomBy(factor);
  viewer.viewport.applyConstraints();
}

export function goHome(viewer: OpenSeadragon.Viewer): void {
  viewer.viewport.goHome();
}

/**
 * Fit a level-0 rectangle of the image `imageWidth` px wide into the view, once the viewer shows
 * that image (it opens a new slide's tile source a few frames after the slide store changes);
 * gives up after `timeoutMs`.
 */
export async function fitImageRect(
  getViewer: () => OpenSeadragon.Viewer | null,
  imageWidth: number,
  rect: { x: number; y: number; width: number; height: number },
  timeoutMs = 3000,
): Promise<boolean> {
  const t0 = performance.now();
  for (;;) {
    const viewer = getViewer();
    const item = viewer?.world.getItemAt(0);
    if (viewer && item && Math.round(item.source.dimensions.x) === imageWidth) {
      viewer.viewport.fitBounds(item.imageToViewportRectangle(rect.x, rect.y, rect.width, rect.height), true);
      return true;
    }
    if (performance.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
