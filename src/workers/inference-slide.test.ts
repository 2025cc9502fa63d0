import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCodec } from '../core/image/node/sharp-codec.ts';
import { getPatchGeometry, getPatchLevelRect, readPatchBatch } from '../core/model/patch.ts';
import { openNodeSlideInput } from '../core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../core/slide/load-slide.ts';
import type { RgbaImage, SlideSource } from '../core/slide/types.ts';
import { BLOCK, createProxySlide, type RemoteReader } from './inference-slide.ts';

const DEMO = resolve(__dirname, '../../public/demo/C2.tif');
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** A reader that serves the proxy from the real slide, counting what it is asked for. */
function getCountingReader(slide: SlideSource) {
  const log = { reads: 0, many: 0, cancelled: 0 };
  const reader: RemoteReader = {
    read(level, x, y, w, h) {
      log.reads++;
      return slide.readRegion(level, x, y, w, h);
    },
    readMany(level, regions, concurrency) {
      log.many += regions.length;
      let next = 0;
      let cancelled = false;
      const waits = regions.map(() => {
        let resolve!: (img: RgbaImage) => void;
        let reject!: (e: Error) => void;
        const p = new Promise<RgbaImage>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { p, resolve, reject, settled: false };
      });
      const pump = async () => {
        while (next < regions.length && !cancelled) {
          const i = next++;
          const r = regions[i];
          const img = await slide.readRegion(level, r.x, r.y, r.width, r.height);
          if (!waits[i].settled) {
            waits[i].settled = true;
            waits[i].resolve(img);
          }
        }
      };
      for (let c = 0; c < concurrency; c++) void pump();
      return {
        results: waits.map((w) => w.p),
        cancel() {
          cancelled = true;
          for (const w of waits) {
            if (w.settled) continue;
            w.settled = true;
            log.cancelled++;
            w.reject(new DOMException('prefetch cancelled', 'AbortError'));
          }
        },
      };
    },
  };
  return { reader, log };
}

describe('the inference worker slide proxy (blocks, prefetch) gives the pixels of direct reads', () => {
  let slide: SlideSource;
  beforeAll(async () => {
    slide = await loadSlide(await openNodeSlideInput(DEMO), { codec: createNodeCodec() });
  });
  afterAll(() => slide?.close());

  // spots on a grid across the section, a few at and beyond its edges (partly / wholly outside)
  const getPoints = (w: number, h: number) => {
    const cx: number[] = [];
    const cy: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        cx.push(w * (0.2 + 0.12 * i) + 7.3 * j);
        cy.push(h * (0.25 + 0.1 * j) + 3.1 * i);
      }
    }
    cx.push(5, w - 3, w + 400, 1200);
    cy.push(8, h - 2, 300, -500);
    return { cx, cy };
  };

  for (const [label, slideMpp] of [
    ['level 0', 1.3798],
    ['level 1 (downsample 2.0002, not an integer)', 0.7],
  ] as const) {
    it(`${label}: patches through the proxy with a prefetch equal the direct patches exactly`, async () => {
      const geom = getPatchGeometry(slide.meta, slideMpp, 64, 1.5);
      expect(geom.level).toBe(label === 'level 0' ? 0 : 1);
      const { cx, cy } = getPoints(slide.meta.width, slide.meta.height);
      const direct: Float32Array[] = [];
      for (let i = 0; i < cx.length; i++) direct.push(await readPatchBatch(slide, geom, [cx[i]], [cy[i]], MEAN, STD));

      const { reader, log } = getCountingReader(slide);
      const proxy = createProxySlide(slide.meta, reader);
      const queued = proxy.prefetch(
        geom.level,
        cx.map((x, i) => getPatchLevelRect(geom, x, cy[i])),
      );
      expect(queued).toBeGreaterThan(0);
      for (let i = 0; i < cx.length; i++) {
        const viaProxy = await readPatchBatch(proxy, geom, [cx[i]], [cy[i]], MEAN, STD);
        expect(viaProxy).toEqual(direct[i]);
      }
      // whole batches (the pipeline's scattered reads) too
      const batch = await readPatchBatch(proxy, geom, cx, cy, MEAN, STD);
      const plane = 3 * 64 * 64;
      for (let i = 0; i < cx.length; i++) expect(batch.subarray(i * plane, (i + 1) * plane)).toEqual(direct[i]);
      // every block was read once, by the prefetch; only the patches that start above / left of the
      // slide (2, read twice: alone and in the batch) went direct, and the block wholly right of the
      // slide (not prefetched: nothing to read there) was read once on demand
      expect(log.many).toBe(queued);
      expect(log.reads).toBe(5);
      proxy.endPrefetch();
      proxy.close();
    });
  }

  it('a cancelled prefetch drops its queued blocks; later reads fetch them on demand, still exact', async () => {
    const geom = getPatchGeometry(slide.meta, 0.7, 64, 1.5);
    const { cx, cy } = getPoints(slide.meta.width, slide.meta.height);
    const { reader, log } = getCountingReader(slide);
    const proxy = createProxySlide(slide.meta, reader);
    proxy.prefetch(
      geom.level,
      cx.map((x, i) => getPatchLevelRect(geom, x, cy[i])),
    );
    proxy.endPrefetch();
    const viaProxy = await readPatchBatch(proxy, geom, [cx[10]], [cy[10]], MEAN, STD);
    expect(viaProxy).toEqual(await readPatchBatch(slide, geom, [cx[10]], [cy[10]], MEAN, STD));
    expect(log.cancelled + log.reads).toBeGreaterThan(0);
    expect(BLOCK).toBeGreaterThanOrEqual(512);
    proxy.close();
  });
});
