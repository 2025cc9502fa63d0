import { describe, expect, it } from 'vitest';
import { getImagePoint, getOverlayViewState, getScreenPoint, isSameViewState, type OsdViewLike } from './viewState';

/**
 * OpenSeadragon's viewport maths for one image of width W placed at viewport x 0..1 (its
 * default): image = viewport * W, image zoom = viewport zoom * container width / W.
 */
function getOsdLike(W: number, container: { x: number; y: number }, center: { x: number; y: number }, zoom: number): OsdViewLike & { toScreen(x: number, y: number): { x: number; y: number } } {
  const imageZoom = (zoom * container.x) / W;
  return {
    viewport: { getCenter: () => center, getZoom: () => zoom, getContainerSize: () => container },
    world: {
      getItemAt: () => ({
        viewportToImageCoordinates: (x: number | { x: number; y: number }, y?: number) =>
          typeof x === 'number' ? { x: x * W, y: (y ?? 0) * W } : { x: x.x * W, y: x.y * W },
        viewportToImageZoom: (z: number) => (z * container.x) / W,
      }),
    },
    // OSD's imageToViewerElementCoordinates
    toScreen: (x, y) => ({ x: (x - center.x * W) * imageZoom + container.x / 2, y: (y - center.y * W) * imageZoom + container.y / 2 }),
  };
}

describe('overlay view state', () => {
  it('deck target/zoom reproduce OpenSeadragon image -> screen mapping', () => {
    const osd = getOsdLike(9274, { x: 980, y: 757 }, { x: 0.41, y: 0.57 }, 3.7);
    const vs = getOverlayViewState(osd);
    if (!vs) throw new Error('no view state');
    expect(vs.target).toEqual([0.41 * 9274, 0.57 * 9274]);
    expect(2 ** vs.zoom).toBeCloseTo((3.7 * 980) / 9274, 12);
    for (const [x, y] of [
      [0, 0],
      [6930.58, 3510.24],
      [9274, 9911],
    ]) {
      const a = getScreenPoint(vs, x, y);
      const b = osd.toScreen(x, y);
      expect(a.x).toBeCloseTo(b.x, 9);
      expect(a.y).toBeCloseTo(b.y, 9);
      const back = getImagePoint(vs, a.x, a.y);
      expect(back.x).toBeCloseTo(x, 9);
      expect(back.y).toBeCloseTo(y, 9);
    }
  });

  it('no image open: no view state', () => {
    const osd: OsdViewLike = {
      viewport: { getCenter: () => ({ x: 0, y: 0 }), getZoom: () => 1, getContainerSize: () => ({ x: 10, y: 10 }) },
      world: { getItemAt: () => undefined },
    };
    expect(getOverlayViewState(osd)).toBeNull();
  });
});

describe('isSameViewState', () => {
  const a = { target: [5000, 4000] as [number, number], zoom: -3, width: 1280, height: 800 };
  it('is true for the same view (a frame OSD drew for a tile that arrived) and for null twice', () => {
    expect(isSameViewState(a, { ...a, target: [5000, 4000] })).toBe(true);
    expect(isSameViewState(null, null)).toBe(true);
  });
  it('is false when the view moved by any visible amount, was resized, opened or closed', () => {
    expect(isSameViewState(a, { ...a, target: [5000.01, 4000] })).toBe(false);
    expect(isSameViewState(a, { ...a, zoom: -3 + 1e-6 })).toBe(false);
    expect(isSameViewState(a, { ...a, width: 1279 })).toBe(false);
    expect(isSameViewState(a, null)).toBe(false);
    expect(isSameViewState(null, a)).toBe(false);
  });
});
