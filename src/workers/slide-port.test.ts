import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCodec } from '../core/image/node/sharp-codec.ts';
import { openNodeSlideInput } from '../core/slide/bytes/node-file-source.ts';
import { loadSlide } from '../core/slide/load-slide.ts';
import type { SlideSource } from '../core/slide/types.ts';
import { createProxySlide } from './inference-slide.ts';
import type { SlideWorkerRequest, SlideWorkerResponse } from './slide-protocol.ts';
import { createPortReader } from './slide-port.ts';

const DEMO = resolve(__dirname, '../../public/demo/C2.tif');

/**
 * The slide worker's side of a port (slide.worker.ts), over a real slide: region requests answered
 * after `delayMs`, aborts answered with an AbortError; what it was asked is logged.
 */
/** reads in flight over all served ports together, and the most at once */
const inFlight = { now: 0, max: 0 };

function servePort(port: MessagePort, slide: SlideSource, delayMs: number) {
  const log = { regions: 0, aborts: 0 };
  const running = new Map<number, AbortController>();
  port.onmessage = async (ev: MessageEvent<SlideWorkerRequest>) => {
    const msg = ev.data;
    if (msg.type === 'abort') {
      log.aborts++;
      running.get(msg.id)?.abort();
      return;
    }
    if (msg.type !== 'region') return;
    log.regions++;
    const ctrl = new AbortController();
    running.set(msg.id, ctrl);
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    await new Promise((r) => setTimeout(r, delayMs));
    let answer: SlideWorkerResponse;
    if (ctrl.signal.aborted) answer = { id: msg.id, ok: false, name: 'AbortError', message: 'aborted' };
    else if (msg.x > 1e7) answer = { id: msg.id, ok: false, name: 'SlideError', message: 'C2.tif: the region is outside the slide' };
    else {
      const img = await slide.readRegion(msg.level, msg.x, msg.y, msg.width, msg.height);
      const buffer = img.data.slice().buffer as ArrayBuffer;
      answer = { id: msg.id, ok: true, kind: 'rgba', width: img.width, height: img.height, buffer };
    }
    running.delete(msg.id);
    inFlight.now--;
    port.postMessage(answer);
  };
  return log;
}

describe('region reads over ports straight to the slide workers', () => {
  let slide: SlideSource;
  beforeAll(async () => {
    slide = await loadSlide(await openNodeSlideInput(DEMO), { codec: createNodeCodec() });
  });
  afterAll(() => slide?.close());

  it('gives the pixels of direct reads, spreads reads over the ports, keeps a prefetch within its concurrency, and cancels', async () => {
    const a = new MessageChannel();
    const b = new MessageChannel();
    const logA = servePort(a.port1, slide, 5);
    const logB = servePort(b.port1, slide, 5);
    let counted = 0;
    const reader = createPortReader([a.port2, b.port2], (w, h) => {
      counted += w * h;
    });
    try {
      const level = slide.meta.levels.length > 1 ? 1 : 0;
      const d = slide.meta.levels[level].downsample;
      // single reads, several at once: the same pixels as a direct read, answered by both ports
      const rects = [0, 1, 2, 3].map((i) => ({ x: Math.round(i * 300 * d), y: Math.round(200 * d), width: 256, height: 192 }));
      const got = await Promise.all(rects.map((r) => reader.read(level, r.x, r.y, r.width, r.height)));
      for (let i = 0; i < rects.length; i++) {
        const want = await slide.readRegion(level, rects[i].x, rects[i].y, rects[i].width, rects[i].height);
        expect([got[i].width, got[i].height]).toEqual([want.width, want.height]);
        expect(Buffer.from(got[i].data).equals(Buffer.from(want.data))).toBe(true);
      }
      expect(logA.regions).toBeGreaterThan(0);
      expect(logB.regions).toBeGreaterThan(0);
      expect(counted).toBe(4 * 256 * 192);

      // a prefetch: at most `concurrency` reads in flight over both ports together
      const many = Array.from({ length: 8 }, (_, i) => ({ x: Math.round(i * 64 * d), y: 0, width: 64, height: 64 }));
      const before = logA.regions + logB.regions;
      inFlight.max = 0;
      const { results } = reader.readMany(level, many, 2);
      const imgs = await Promise.all(results);
      expect(imgs.every((im) => im.width === 64 && im.height === 64)).toBe(true);
      expect(logA.regions + logB.regions - before).toBe(8);
      expect(inFlight.max).toBe(2);

      // cancel: reads not sent yet reject with an AbortError at once; in-flight ones are aborted
      const slow = reader.readMany(level, many, 2);
      slow.cancel();
      const settled = await Promise.allSettled(slow.results);
      expect(settled.every((s) => s.status === 'rejected' && (s.reason as Error).name === 'AbortError')).toBe(true);
      expect(logA.aborts + logB.aborts).toBe(2);

      // the slide worker's error reaches the caller with its name and message
      await expect(reader.read(level, 2e7, 0, 8, 8)).rejects.toMatchObject({ name: 'SlideError', message: 'C2.tif: the region is outside the slide' });

      // the inference worker's proxy over the port reader: a patch-sized read equals a direct read
      const proxy = createProxySlide(slide.meta, reader);
      const p = await proxy.readRegion(0, 1000, 1200, 300, 200);
      const q = await slide.readRegion(0, 1000, 1200, 300, 200);
      expect(Buffer.from(p.data).equals(Buffer.from(q.data))).toBe(true);
    } finally {
      reader.close();
      a.port1.close();
      b.port1.close();
    }
  });
});
