/**
 * The one mapping between OpenSeadragon and deck.gl: deck's OrthographicView (flipY) works in
 * slide level-0 pixels; its target is the image point under the centre of the viewer element
 * and its zoom is log2(screen CSS px per level-0 px).
 */
export interface OverlayViewState {
  /** level-0 image point at the centre of the viewer element */
  target: [number, number];
  /** log2 of screen (CSS) pixels per level-0 pixel */
  zoom: number;
  /** viewer element size in CSS pixels */
  width: number;
  height: number;
}

/** The parts of an OpenSeadragon viewer the overlay reads (kept small so it can be tested without a DOM). */
export interface OsdViewLike {
  viewport: {
    getCenter(current?: boolean): { x: number; y: number };
    getZoom(current?: boolean): number;
    getContainerSize(): { x: number; y: number };
  };
  world: {
    getItemAt(i: number):
      | {
          viewportToImageCoordinates(x: number | { x: number; y: number }, y?: number): { x: number; y: number };
          viewportToImageZoom(z: number): number;
        }
      | undefined;
  };
}

/** deck view state for the viewer's current (animated) viewport; null when no image is open. */
export function getOverlayViewState(viewer: OsdViewLike): OverlayViewState | null {
  const item = viewer.world.getItemAt(0);
  if (!item) return null;
  const c = viewer.viewport.getCenter(true);
  const img = item.viewportToImageCoordinates(c.x, c.y);
  const imageZoom = item.viewportToImageZoom(viewer.viewport.getZoom(true));
  const size = viewer.viewport.getContainerSize();
  if (!(imageZoom > 0) || !Number.isFinite(img.x) || !Number.isFinite(img.y)) return null;
  return { target: [img.x, img.y], zoom: Math.log2(imageZoom), width: size.x, height: size.y };
}

/** Whether two view states put every image point at the same screen pixel (to 1e-6 px at the viewer's edge). */
export function isSameViewState(a: OverlayViewState | null, b: OverlayViewState | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.width !== b.width || a.height !== b.height) return false;
  const k = 2 ** a.zoom;
  const eps = 1e-6;
  // a target shift moves the screen by shift * k; a zoom change moves the edge by about dz * ln2 * size / 2
  return Math.abs(a.target[0] - b.target[0]) * k < eps && Math.abs(a.target[1] - b.target[1]) * k < eps && Math.abs(a.zoom - b.zoom) * Math.max(a.width, a.height) < eps;
}

/** Level-0 image point -> viewer element CSS pixels, with the same maths deck uses. */
export function getScreenPoint(vs: OverlayViewState, x: number, y: number): { x: number; y: number } {
  const k = 2 ** vs.zoom;
  return { x: (x - vs.target[0]) * k + vs.width / 2, y: (y - vs.target[1]) * k + vs.height / 2 };
}

/** Viewer element CSS pixels -> level-0 image point. */
export function getImagePoint(vs: OverlayViewState, sx: number, sy: number): { x: number; y: number } {
  const k = 2 ** vs.zoom;
  return { x: (sx - vs.width / 2) / k + vs.target[0], y: (sy - vs.height / 2) / k + vs.target[1] };
}
