import { describe, expect, it } from 'vitest';
import { getNeighbourGraph } from './neighbours.ts';

function bruteForce(x: ArrayLike<number>, y: ArrayLike<number>, k: number): Int32Array {
  const n = x.length;
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    const others: [number, number][] = [];
    for (let j = 0; j < n; j++) if (j !== i) others.push([(x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2, j]);
    others.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let t = 0; t < k; t++) out[i * k + t] = t < others.length ? others[t][1] : i;
  }
  return out;
}

describe('getNeighbourGraph', () => {
  it('matches brute force on random points', () => {
    let s = 7;
    const rnd = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296;
    };
    const n = 800;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // clustered: some dense, some sparse regions
      x[i] = i % 3 === 0 ? rnd() * 100 : 500 + rnd() * 5000;
      y[i] = i % 3 === 0 ? rnd() * 100 : rnd() * 3000;
    }
    expect(getNeighbourGraph(x, y, 6)).toEqual(bruteForce(x, y, 6));
  });

  it('breaks distance ties by index on a lattice (Visium-like hexagonal grid)', () => {
    const x: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < 30; r++) for (let c = 0; c < 40; c++) {
      x.push(c * 100 + (r % 2) * 50);
      y.push(r * 86.60254037844386);
    }
    expect(getNeighbourGraph(x, y, 6)).toEqual(bruteForce(x, y, 6));
    const sq: number[][] = [[], []];
    for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) {
      sq[0].push(c * 290);
      sq[1].push(r * 290);
    }
    expect(getNeighbourGraph(sq[0], sq[1], 6)).toEqual(bruteForce(sq[0], sq[1], 6));
  });

  it('pads with the point itself when there are fewer than k others', () => {
    expect(Array.from(getNeighbourGraph([0, 10, 30], [0, 0, 0], 4))).toEqual([1, 2, 0, 0, 0, 2, 1, 1, 1, 0, 2, 2]);
    expect(getNeighbourGraph([], [], 6).length).toBe(0);
  });
});
