/**
 * k-nearest-neighbour graph over spot centres for the fusion tokens: for each point, the k nearest
 * OTHER points by Euclidean distance, nearest first, ties broken by the lower index. Uniform grid
 * buckets searched in growing square rings; typed arrays only. When fewer than k other points
 * exist, the remaining slots repeat the point itself.
 */

/** Returns n * k indices into x / y (row i = neighbours of point i). */
export function getNeighbourGraph(x: ArrayLike<number>, y: ArrayLike<number>, k: number): Int32Array {
  const n = x.length;
  const out = new Int32Array(n * k);
  if (n === 0 || k === 0) return out;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, x[i]);
    maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, y[i]);
    maxY = Math.max(maxY, y[i]);
  }
  const spanX = Math.max(maxX - minX, 1e-9);
  const spanY = Math.max(maxY - minY, 1e-9);
  // about 2 points per cell on average
  const cell = Math.max(Math.sqrt((spanX * spanY * 2) / n), spanX / 4096, spanY / 4096, 1e-9);
  const gw = Math.floor(spanX / cell) + 1;
  const gh = Math.floor(spanY / cell) + 1;
  const cellOf = new Int32Array(n);
  const counts = new Int32Array(gw * gh + 1);
  for (let i = 0; i < n; i++) {
    const c = Math.floor((y[i] - minY) / cell) * gw + Math.floor((x[i] - minX) / cell);
    cellOf[i] = c;
    counts[c + 1]++;
  }
  for (let c = 0; c < gw * gh; c++) counts[c + 1] += counts[c];
  const start = counts.slice();
  const members = new Int32Array(n);
  const fill = counts.slice(0, gw * gh);
  for (let i = 0; i < n; i++) members[fill[cellOf[i]]++] = i;

  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const kk = Math.min(k, n - 1);
  for (let i = 0; i < n; i++) {
    let found = 0;
    const px = x[i];
    const py = y[i];
    const cx = Math.floor((px - minX) / cell);
    const cy = Math.floor((py - minY) / cell);
    for (let ring = 0; ; ring++) {
      const x0 = cx - ring;
      const x1 = cx + ring;
      const y0 = cy - ring;
      const y1 = cy + ring;
      for (let gy = y0; gy <= y1; gy++) {
        if (gy < 0 || gy >= gh) continue;
        const edgeRow = gy === y0 || gy === y1;
        for (let gx = x0; gx <= x1; gx += edgeRow ? 1 : x1 - x0 || 1) {
          if (gx >= 0 && gx < gw) {
            const c = gy * gw + gx;
            for (let m = start[c]; m < start[c + 1]; m++) {
              const j = members[m];
              if (j === i) continue;
              const dx = x[j] - px;
              const dy = y[j] - py;
              const d = dx * dx + dy * dy;
              if (found === kk && (d > bestD[kk - 1] || (d === bestD[kk - 1] && j > bestI[kk - 1]))) continue;
              // insertion into the sorted best list (distance, then index)
              let pos = found < kk ? found : kk - 1;
              while (pos > 0 && (bestD[pos - 1] > d || (bestD[pos - 1] === d && bestI[pos - 1] > j))) {
                bestD[pos] = bestD[pos - 1];
                bestI[pos] = bestI[pos - 1];
                pos--;
              }
              bestD[pos] = d;
              bestI[pos] = j;
              if (found < kk) found++;
            }
          }
        }
      }
      // points in unvisited cells are at least `ring * cell` away from (px, py) along some axis
      const covered = ring * cell + Math.min(px - minX - cx * cell, (cx + 1) * cell - (px - minX), py - minY - cy * cell, (cy + 1) * cell - (py - minY));
      if (found === kk && (kk === 0 || bestD[kk - 1] < covered * covered)) break;
      if (x0 < 0 && y0 < 0 && x1 >= gw && y1 >= gh) break;
    }
    for (let t = 0; t < k; t++) out[i * k + t] = t < found ? bestI[t] : i;
  }
  return out;
}
