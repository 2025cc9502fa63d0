/**
 * Slide worker: opens one slide with the browser codec (createImageBitmap + OffscreenCanvas,
 * OpenJPEG WASM in a blob sub-worker for JPEG 2000) and answers tile / region / associated-image requests.
 * Tiles go back as transferable ImageBitmaps, regions as transferred RGBA buffers.
 */
/// <reference lib="webworker" />
import { createCanvasCodec } from '../core/image/browser/canvas-codec.ts';
import { slideInputFromFiles } from '../core/slide/bytes/blob-source.ts';
import { openUrlSlideInput } from '../core/slide/bytes/url-source.ts';
import { loadSlide } from '../core/slide/load-slide.ts';
import type { RgbaImage, SlideSource } from '../core/slide/types.ts';
import { createBlobWorkerJ2kDecoder } from './slide-j2k.ts';
import type { SlideWorkerRequest, SlideWorkerResponse } from './slide-protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const codec = createCanvasCodec({ decodeJpeg2000: createBlobWorkerJ2kDecoder() });

let slide: SlideSource | null = null;

/** Where requests come from and answers go: the main thread, or a port from another worker (slide-port.ts). */
interface Channel {
  post(msg: SlideWorkerResponse, transfer: Transferable[]): void;
  running: Map<number, AbortController>;
}

const mainChannel: Channel = { post: (msg, transfer) => scope.postMessage(msg, transfer), running: new Map() };

function fail(ch: Channel, id: number, e: unknown): void {
  const name = e instanceof Error || e instanceof DOMException ? e.name : 'Error';
  const message = e instanceof Error || e instanceof DOMException ? e.message : String(e);
  ch.post({ id, ok: false, name, message }, []);
}

function sendRgba(ch: Channel, id: number, img: RgbaImage, owned = false): void {
  // a region is the caller's own buffer (SlideSource.readRegion) and is transferred as it is; a
  // tile or associated image may be a cache's, so a copy goes
  const whole = owned && img.data.byteOffset === 0 && img.data.byteLength === img.data.buffer.byteLength;
  const buffer = (whole ? img.data.buffer : img.data.slice().buffer) as ArrayBuffer;
  ch.post({ id, ok: true, kind: 'rgba', width: img.width, height: img.height, buffer }, [buffer]);
}

async function handle(msg: SlideWorkerRequest, ch: Channel): Promise<void> {
  if (msg.type === 'abort') {
    ch.running.get(msg.id)?.abort(new DOMException('The operation was aborted.', 'AbortError'));
    return;
  }
  if (msg.type === 'close') {
    slide?.close();
    slide = null;
    return;
  }
  if (msg.type === 'port') {
    const port = msg.port;
    const portChannel: Channel = { post: (m, transfer) => port.postMessage(m, transfer), running: new Map() };
    port.onmessage = (ev: MessageEvent<SlideWorkerRequest>) => {
      // a port serves reads only; opening and closing stay with the main thread
      if (ev.data.type === 'open' || ev.data.type === 'close' || ev.data.type === 'port') fail(portChannel, ev.data.type === 'close' ? 0 : ev.data.id, new Error(`'${ev.data.type}' is not served on a port`));
      else void handle(ev.data, portChannel);
    };
    port.start();
    return;
  }
  const ctrl = new AbortController();
  ch.running.set(msg.id, ctrl);
  const { signal } = ctrl;
  try {
    if (msg.type === 'open') {
      const input = typeof msg.input === 'string' ? await openUrlSlideInput(msg.input, signal) : slideInputFromFiles(msg.input);
      slide?.close();
      let sent = -1;
      const onProgress = (stage: string, fraction: number) => {
        // at most one message per 2%
        if (fraction < 1 && fraction - sent < 0.02) return;
        sent = fraction;
        ch.post({ id: msg.id, ok: true, kind: 'progress', stage, fraction }, []);
      };
      slide = await loadSlide(input, { codec, mpp: msg.mpp, cacheBytes: msg.cacheBytes, signal, onProgress });
      ch.post({ id: msg.id, ok: true, kind: 'meta', meta: slide.meta }, []);
      return;
    }
    if (!slide) throw new Error('no slide is open in this worker');
    if (msg.type === 'tile') {
      const img = await slide.readTile(msg.level, msg.col, msg.row, signal);
      const bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), {
        premultiplyAlpha: 'none',
        colorSpaceConversion: 'none',
      });
      ch.post({ id: msg.id, ok: true, kind: 'bitmap', bitmap }, [bitmap]);
    } else if (msg.type === 'region') {
      sendRgba(ch, msg.id, await slide.readRegion(msg.level, msg.x, msg.y, msg.width, msg.height, signal), true);
    } else if (msg.type === 'associated') {
      sendRgba(ch, msg.id, await slide.readAssociated(msg.name, signal));
    }
  } catch (e) {
    fail(ch, msg.id, e);
  } finally {
    ch.running.delete(msg.id);
  }
}

scope.onmessage = (ev: MessageEvent<SlideWorkerRequest>) => {
  void handle(ev.data, mainChannel);
};
