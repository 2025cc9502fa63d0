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
