import { describe, expect, it } from 'vitest';
import { getNiceFloor, getScaleBar } from './scaleBar';

describe('getNiceFloor', () => {
  it('picks the largest 1-2-5 x 10^n value not above the input', () => {
    expect(getNiceFloor(7)).toBe(5);
    expect(getNiceFloor(199)).toBe(100);
    expect(getNiceFloor(200)).toBe(200);
    expect(getNiceFloor(0.034)).toBeCloseTo(0.02, 12);
    expect(getNiceFloor(4999)).toBe(2000);
  });
});

describe('getScaleBar', () => {
  it('CMU-1 at native zoom (0.499 um/px, 1 screen px per image px): 50 um over ~100 px', () => {
    const bar = getScaleBar(0.499, 1, 160);
    expect(bar?.label).toBe('50 µm');
    expect(bar?.px).toBeCloseTo(50 / 0.499, 6);
  });
  it('switches to mm when zoomed far out and stays within maxPx', () => {
    const bar = getScaleBar(0.499, 0.02, 160); // 24.95 um per screen px
    expect(bar?.label).toBe('2 mm');
    expect(bar!.px).toBeLessThanOrEqual(160);
    expect(bar!.px).toBeGreaterThan(160 / 2.5 - 1e-9);
  });
  it('follows zoom: doubling the zoom doubles the bar or halves its length', () => {
    const a = getScaleBar(1.38, 0.3)!;
    const b = getScaleBar(1.38, 0.6)!;
    expect(a.label).not.toBe(b.label);
    for (const bar of [a, b]) expect(bar.px).toBeLessThanOrEqual(160);
  });
  it('uses image pixels when um/px is unknown', () => {
    expect(getScaleBar(null, 0.5, 160)).toEqual({ px: 100, label: '200 px' });
  });
  it('returns null before anything is shown', () => {
    expect(getScaleBar(0.5, 0)).toBeNull();
  });
});
